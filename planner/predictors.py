"""Which file predictor the planner uses by default."""

from __future__ import annotations

from .mentions import FilePredictor, MentionPredictor


def default_predictor() -> FilePredictor:
    """The predictor plans are built with unless another is given."""
    return MentionPredictor()
