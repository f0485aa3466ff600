"""Words for matching text to files: identifiers split into words, lower-cased and lightly stemmed.

The same function turns task text, commit messages, paths and file contents into words, so that
"Set cookies" and `set_cookie` meet on `cooki`: stemming only strips a few English suffixes
(`s`, `es`, `ed`, `ing`, a final `e`), enough for plurals and tenses.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Iterator
from itertools import chain, repeat
from operator import itemgetter

WORD_PATTERN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_]+")
TOKEN_BYTES = bytes(byte if TOKEN_PATTERN.fullmatch(chr(byte)) else 0x20 for byte in range(256))
"""A `bytes.translate` table that keeps the bytes of `TOKEN_PATTERN` and blanks every other."""
MIN_LENGTH = 3

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else few for from
    further get got had has have having he her here hers him his how i if in into is it its itself
    just let like may me might more most much must my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these they this
    those through to too under until up upon us very via was we were what when where which while who
    whom why will with would you your yet etc e g ie eg use used using make makes made some thing
    things way one two see now well still
    """.split()
)
"""Words that say nothing about where a change lands."""

CHANGE_VERBS = frozenset(
    """
    new add added adds adding fix fixed fixes fixing update updated updates updating change changed
    changes changing remove removed removes removing
    """.split()
)
"""Verbs every task has: noise when matching file contents, a signal in commit history (a `fix`
touches the changelog more often than a `refactor`)."""


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A crude suffix-stripping stem: `cookies`, `cookie` → `cooki`; `routing`, `routes` → `rout`."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def split_identifier(token: str) -> list[str]:
    """`HTTPServerError` → [`http`, `server`, `error`]; `open_uds_stream` → [`open`, `uds`, `stream`]."""
    if token.isascii() and token.isalpha() and token.islower():
        return [token]  # one plain word, as `WORD_PATTERN` would find it, without the search
    return [part.lower() for part in WORD_PATTERN.findall(token)]


@functools.lru_cache(maxsize=200_000)
def spellings(token: str) -> tuple[tuple[str, str], ...]:
    """Each part of `token` (as `split_identifier` gives them) with its stem: (stem, part)."""
    return tuple((stem(part), part) for part in split_identifier(token))


@functools.lru_cache(maxsize=200_000)
def token_words(token: str, keep_verbs: bool = False) -> tuple[str, ...]:
    """The stemmed, non-stop words of one token (`open_uds_streams` → `open`, `uds`, `stream`)."""
    words = []
    for part in split_identifier(token):
        if len(part) < MIN_LENGTH or part in STOP_WORDS or part.isdigit():
            continue
        if not keep_verbs and part in CHANGE_VERBS:
            continue
        words.append(stem(part))
    return tuple(words)


def tokens(data: bytes) -> list[str]:
    """The runs of `TOKEN_PATTERN` bytes of UTF-8 `data`, found by blanking every other byte: the
    tokens of the decoded text, since in UTF-8 no byte of another character (nor of one replaced
    as undecodable) is ASCII."""
    return data.translate(TOKEN_BYTES).decode("ascii").split()


def words_of(text: str, keep_verbs: bool = False) -> Iterator[str]:
    """The stemmed, non-stop words of `text`, in order, with repeats; change verbs only if asked."""
    found = tokens(text.encode("utf-8", "surrogatepass"))
    return chain.from_iterable(map(token_words, found, repeat(keep_verbs)))


def text_words(text: str, keep_verbs: bool = False) -> list[str]:
    """`words_of(text)`, as a list."""
    return list(words_of(text, keep_verbs))


def word_counts(content: bytes, limit: int) -> tuple[tuple[str, int], ...]:
    """The `limit` most frequent words of UTF-8 `content` with their counts, sorted by word (of
    words as frequent as the last one kept, those met first)."""
    counts: dict[str, int] = {}
    seen = counts.get
    for token, count in Counter(tokens(content)).items():
        for word in token_words(token):
            counts[word] = seen(word, 0) + count
    return tuple(sorted(heapq.nlargest(limit, counts.items(), key=itemgetter(1))))


def path_words(path: str) -> list[str]:
    """Words of a path: its directories and file name split like identifiers (`docs/app_ctx.rst`)."""
    return text_words(path.replace("/", " ").replace(".", " ").replace("-", " "))
