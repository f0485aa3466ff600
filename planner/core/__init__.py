"""The planning core: the plan's model and every planning rule, with no I/O.

Tasks with their levels and predicted files go in, an `ExecutionPlan` comes out: conflicts,
batches, packing, worktrees, overrides, the explanation, the settings and the predictor protocol.
Nothing here touches the database, git or the network (import-linter keeps it so).
"""
