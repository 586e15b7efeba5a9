"""Pausing Python's cyclic garbage collector around bulk work.

Reading a 100,000-object bundle makes about a million dictionaries, lists and strings that
all stay alive until the import ends. Each time enough new containers accumulate, the cyclic
collector walks every live one, and as the heap grows these walks cost more than the import's
database writes (a fifth of the run, measured in ``bench/bench_intel_import.py``). None of
that data forms reference cycles — parsed JSON is a tree — so nothing would be found.

    with paused_collection():
        parsed = read_bundle(data)
        store(...)

    @paused_collection()          # or around a whole function
    def import_data(...): ...

Reference counting still frees everything as usual; only the search for cycles waits. The
pause is process-wide, so it nests and is shared between threads: the collector is enabled
again when the last pause ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_collection() -> Iterator[None]:
    """Disable the cyclic garbage collector for the block (nesting and thread safe)::

    with paused_collection():
        objects = [dict(n=n) for n in range(1_000_000)]   # no collector pass meanwhile
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def collect_young() -> int:
    """While the collector is paused, free the reference cycles made since the last call —
    a finished database session's, say — with one pass over the youngest objects only
    (cheap: what a batch allocated, never the long-lived heap); return how many were freed.

    Long pauses need it: each committed batch of an ingest leaves a few cycles (a session and
    its transaction refer to each other), and over ten million rows they add up to gigabytes.
    """
    return gc.collect(0)
