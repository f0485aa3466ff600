"""Indexes a git repository and ranks the files a task will touch; knows nothing of the database."""
