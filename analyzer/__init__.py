"""Indexes a git repository and ranks the files a task will touch; knows nothing of the database."""

from analyzer.git_cli import repository_problem
from analyzer.history import CommitChange, FileChange, HistoryDelta, head_commit, read_history
from analyzer.history_stats import (
    HistorySettings,
    HistoryStats,
    KeptCommit,
    accumulate_history,
    change_rate,
    cochange_confidence,
    merge_deltas,
    stats_from_rows,
)
from analyzer.history_tables import Tally
from analyzer.imports import resolve_imports
from analyzer.indexing import MAX_FILE_BYTES, index_blob, index_file, index_files
from analyzer.languages import language_of
from analyzer.mentions import Mentions, extract_mentions
from analyzer.rank_config import RankConfig
from analyzer.ranking import predict
from analyzer.records import INDEX_VERSION, FileRecord, ImportRef, PredictedFile, Symbol, TrackedFile
from analyzer.repo_index import RepoIndex, assemble_index, build_repo_index, parse_and_count, records_by_path
from analyzer.tracked import is_safe_path, list_tracked_files

__all__ = [
    "INDEX_VERSION",
    "MAX_FILE_BYTES",
    "CommitChange",
    "FileChange",
    "FileRecord",
    "HistoryDelta",
    "HistorySettings",
    "HistoryStats",
    "ImportRef",
    "KeptCommit",
    "Mentions",
    "PredictedFile",
    "RankConfig",
    "RepoIndex",
    "Symbol",
    "Tally",
    "TrackedFile",
    "accumulate_history",
    "assemble_index",
    "build_repo_index",
    "change_rate",
    "cochange_confidence",
    "extract_mentions",
    "head_commit",
    "index_blob",
    "index_file",
    "index_files",
    "is_safe_path",
    "language_of",
    "list_tracked_files",
    "merge_deltas",
    "parse_and_count",
    "predict",
    "read_history",
    "records_by_path",
    "repository_problem",
    "resolve_imports",
    "stats_from_rows",
]
