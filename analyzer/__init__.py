"""Indexes a git repository and ranks the files a task description will touch; knows nothing of the database."""
