"""The garbage-collector pause: nests, is shared by threads, restores what it found."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from comity.core.collector import collect_young, paused_collection


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_pause_disables_and_restores() -> None:
    gc.enable()
    with paused_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_enable_only_at_the_outermost_end() -> None:
    gc.enable()
    with paused_collection():
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with paused_collection():
        pass
    assert not gc.isenabled()


def test_an_error_in_the_block_still_restores() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), paused_collection():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads() -> None:
    """The collector comes back when the last of two overlapping pauses ends, not the first."""
    gc.enable()
    entered, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with paused_collection():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with paused_collection():
        thread.start()
        assert entered.wait(5)
    seen.append(gc.isenabled())  # the other thread still pauses
    release.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_as_a_decorator() -> None:
    gc.enable()

    @paused_collection()
    def work() -> bool:
        return gc.isenabled()

    assert work() is False
    assert work() is False  # each call pauses afresh
    assert gc.isenabled()


def test_young_cycles_are_freed_while_the_collector_waits() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    cycles: weakref.WeakSet[Node] = weakref.WeakSet()
    with paused_collection():
        kept = [Node() for _ in range(1000)]
        for _ in range(1000):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle, unreachable once a and b are gone
            cycles.update((a, b))
        del a, b
        assert len(cycles) == 2000  # the paused collector keeps them all
        freed = collect_young()
        assert not gc.isenabled()
        assert len(cycles) == 0
    assert freed >= 2000
    assert len(kept) == 1000
