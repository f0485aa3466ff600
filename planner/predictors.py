"""Which file predictor the planner uses by default: the analyzer's ranking."""

from __future__ import annotations

from .analyzer_predictor import AnalyzerPredictor
from .database import Database
from .mentions import FilePredictor


def default_predictor(db: Database | None = None) -> FilePredictor:
    """The predictor plans are built with unless another is given (in memory without `db`)."""
    return AnalyzerPredictor(db)
