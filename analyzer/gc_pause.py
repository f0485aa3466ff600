"""Pausing Python's cycle collector while a step builds a great many objects, none in a cycle.

Reading a long history and counting its statistics make hundreds of thousands of small objects
(commits, changes, counting cells, dicts); the collector would walk them all again and again as
they pile up, and find nothing to free, since reference counting frees them. `no_cycle_collection`
pauses it for the step and restores it as it was (so pauses nest); the pause is process-wide, and
cycles made meanwhile elsewhere are collected after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused inside, then enabled again if it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle_long_lived() -> None:
    """Move every object alive now out of the cycle collector's sight (`gc.freeze`): called once a
    repository index is kept warm, so that no later collection walks its hundreds of thousands of
    objects again (a full collection of a big index took about a second each time). They are
    still freed by reference counting when dropped; only a cycle among them would stay."""
    gc.freeze()
