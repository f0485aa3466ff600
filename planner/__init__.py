"""Plans tasks into conflict-free batches and worktrees, and stores the plan."""
