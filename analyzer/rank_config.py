"""Every weight of the ranking, in one frozen object: change a number here, nowhere else.

A file's confidence is a logistic model of its features (see `analyzer.signals`):
`sigmoid(bias + Σ weight_f · f)`. The direct features give each file a first confidence; files
at least `seed_min` confident spread to their co-change partners and import neighbours, whose
`cochange` and `imports` features then join the sum. A file named outright in the text is at
least as confident as its `floor_*` says (noisy-or of the model and the floors): commit messages,
which the weights were fitted on, rarely name files, but task descriptions do, and when they do
they mean it. Files at or above `threshold` are predicted, at most `max_files` of them.

The weights were fitted by `bench/analyzer_tune.py` on the taskbench development set (logistic
regression, so a confidence reads as a probability), except `weight_cochange` and
`weight_imports`: commit messages seldom name a file, so the fit finds no use for what a named
file lends its partners (similar past commits carry the same news); task descriptions often do,
so both are set by hand to a moderate value (`--set` in the tune script), which costs nothing
measurable on the development set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankConfig:
    """Weights and limits of `predict`."""

    threshold: float = 0.15
    max_files: int = 8
    spec_max_files: int = 40
    """A spec may name many files it changes (only named files pass in a spec: see `ranking`)."""

    bias: float = -6.14
    weight_path: float = 3.14
    """An existing path written out in the text."""
    weight_name: float = 2.68
    """A file name, partial path or dotted module naming the file (shared among matches)."""
    weight_stem: float = 0.7
    """A word that is the file's name without extension, times how rare the word is in paths."""
    weight_symbol: float = 1.47
    """A code-style identifier or qualified name the file defines (shared among definers)."""
    weight_word_symbol: float = 0.37
    """A plain word naming a definition in the file."""
    weight_new_file: float = 7.93
    """A path with a known extension that does not exist yet: a file to be created."""
    weight_history: float = 2.75
    """Mean P(file | word) over the text's words, from past commit messages (log scale)."""
    weight_history_max: float = 0.93
    """Largest P(file | word) of any one word."""
    weight_lexical: float = 3.22
    """BM25 of the text's words against the file's words and path, saturated."""
    weight_lexical_rank: float = 1.5
    """The same BM25 relative to the best-matching file."""
    weight_path_words: float = 0.95
    """Rarity-weighted share of the file's path words that the text has."""
    weight_directory: float = 1.73
    """The file is inside a directory named in the text (less, the bigger the directory)."""
    weight_base_rate: float = 0.0
    """Share of all commits that changed the file (log scale)."""
    weight_recent: float = 1.32
    """The file's share of recent commits (see `recent_half_life`; log scale)."""
    weight_similar_commits: float = 2.21
    """Share of the votes of the past commits most like the text that changed the file."""
    weight_text_length: float = -2.29
    """Length of the text (log scale): longer descriptions, bigger changes."""
    weight_commit_size: float = -1.52
    """How many files the repository's commits usually change (log scale)."""
    weight_cochange: float = 1.5
    """Seed confidence times the share of the seed's commits that also changed this file."""
    weight_imports: float = 1.0
    """Confidence of a seed this file imports or is imported by."""

    mention_value: float = 0.5
    """How much a path counts that the text names without saying it changes it (a directory tree,
    prose), against 1 for a file it says it changes."""
    package_init_value: float = 0.4
    """How much a new module's new package counts towards its `__init__.py` (times the module's)."""
    read_value: float = 0.2
    """How much a path counts that the text says it only reads, uses or follows."""

    spec_implicit_cap: float = 0.1
    """In a spec, the most confidence of a file the text does not name."""

    floor_path: float = 0.95
    """Least confidence of a file whose path is written out."""
    floor_name: float = 0.85
    """Least confidence of a file named by file name, partial path or module (times its share)."""
    floor_new_file: float = 0.85
    """Least confidence of a file to be created."""
    floor_symbol: float = 0.6
    """Least confidence of a file defining a code-style identifier named (times its share)."""

    ambiguity_limit: int = 6
    """A file name or partial path matching more files than this says nothing."""
    symbol_ambiguity_limit: int = 8
    """An identifier defined in more files than this says nothing."""
    word_symbol_limit: int = 3
    """A plain word naming definitions in more files than this says nothing."""
    history_prior: float = 2.0
    """Pseudo-commits pulling a word's file distribution towards the files' base rates."""
    history_min_commits: int = 2
    """A word seen in fewer commits than this says nothing."""
    lexical_saturation: float = 12.0
    """BM25 score at which the saturated lexical feature reaches one half."""
    recent_half_life: float = 30.0
    """Commits after which a change counts half as much towards `recent`."""
    similar_commits: int = 10
    """How many of the most similar past commits vote."""
    cochange_min_commits: int = 3
    """Pairs that changed together fewer times than this say nothing."""
    seed_min: float = 0.3
    """Only files at least this confident spread to co-change partners and import neighbours."""
