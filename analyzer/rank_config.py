"""Every weight of the ranking, in one frozen object: change a number here, nowhere else.

Each signal gives a file a strength in [0, 1] times its weight; a file's confidence is the
noisy-or of its signals, `1 - Π(1 - s)`. Files at or above `threshold` are predicted, at most
`max_files` of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankConfig:
    """Weights and limits of `predict`."""

    threshold: float = 0.3
    max_files: int = 8

    path_mentioned: float = 0.97
    """An existing path written out in the text."""
    path_suffix_mentioned: float = 0.9
    """A partial path (`mvc/index.js`, `docs/quickstart`) matching a file, shared among matches."""
    file_name_mentioned: float = 0.85
    """A file name with its extension (`client.py`), shared among files of that name."""
    new_file: float = 0.8
    """A path with a known extension that does not exist yet: a file to be created."""
    module_mentioned: float = 0.85
    """A dotted module (`flask.ctx`) naming a file."""
    stem_mentioned: float = 0.55
    """A word that is a file's name without extension (`quickstart`, `README`)."""
    ambiguity_limit: int = 6
    """A name matching more files than this says nothing."""

    symbol_defined: float = 0.8
    """A code-like identifier (CamelCase, snake_case, `quoted`, `call()`) a file defines."""
    qualified_symbol_defined: float = 0.9
    """A qualified name (`Class.method`, `res.send`) a file defines."""
    word_symbol_defined: float = 0.2
    """A plain word that is the name of a symbol a file defines."""
    symbol_ambiguity_limit: int = 8

    history_words: float = 0.75
    """Words that went with a file in past commit messages."""
    history_prior: float = 2.0
    """Pseudo-commits pulling a word's file distribution towards the files' base rates."""
    history_min_commits: int = 2
    """A word seen in fewer commits than this says nothing."""

    lexical: float = 0.35
    """BM25 match of the text's words with a file's words and path, relative to the best file."""
    lexical_saturation: float = 12.0

    directory_mentioned: float = 0.25
    """A directory named in the text raises the other signals of the files inside it."""

    cochange: float = 0.6
    """Times co-change confidence, from a file already predicted (a seed) to its partners."""
    cochange_min_commits: int = 3
    import_neighbour: float = 0.15
    """From a seed to the files it imports or that import it."""
    seed_min: float = 0.35
    """Only files at least this confident spread to co-change and import neighbours."""
    base_rate: float = 0.25
    """Times the share of commits that changed a file: often-changed files are likelier."""
