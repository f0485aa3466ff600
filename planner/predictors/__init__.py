"""Predictors of the files a task will touch, behind `planner.core.predictor.FilePredictor`: the
analyzer's (the default) and the mention-only one."""
