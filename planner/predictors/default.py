"""Which file predictor the planner uses by default: the analyzer's ranking."""

from __future__ import annotations

from planner.core.predictor import FilePredictor
from planner.predictors.analyzer import AnalyzerPredictor
from planner.storage.database import Database


def default_predictor(db: Database | None = None) -> FilePredictor:
    """The predictor plans are built with unless another is given (in memory without `db`)."""
    return AnalyzerPredictor(db)
