"""Use cases: what a face asks the planner to do — build a plan (and announce it), adjust it,
backtest the predictor, run builds in worker processes — each one transaction over the storage."""
