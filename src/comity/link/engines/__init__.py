"""Linkage engines: the same linkage computed in memory, in DuckDB or on Apache Spark.

    engine = get_engine("duckdb")
    partition = engine.link(Path("occurrences.parquet"), listed, HubPolicy(), workdir)
    partition.groups()          # [[seq, seq, …], …] as comity.link.graph.link gives them
    partition.suppressed        # {(type, value): reason}

Every engine takes the same input — a Parquet file of identifier **occurrences**, one row per
``(seq, type, value)``: complaint ``seq`` names the valid, normalized identifier ``(type,
value)`` — and gives the same answer as :func:`comity.link.graph.link`: the connected groups
of complaints over identifiers that are evidence (warning lists and hubs link nothing, by the
same rule and with the same reasons). They differ in where the work happens:

- ``memory`` — :func:`comity.link.graph.link`, a union-find over Python objects: fastest up to
  a few million occurrences, and the reference the others are tested against;
- ``duckdb`` — the embedded analytical engine: columnar, on every core, spilling to disk
  beyond its memory limit; for one machine and tens of millions of complaints;
- ``spark`` — Apache Spark (pyspark), for when one machine is not enough: every step is a
  DataFrame operation on the executors; nothing but the suppressed identifiers and the final
  partition reaches the driver.

The duckdb and spark engines find components by alternating *large-star* and *small-star*
rounds over complaint pairs (Kiveris et al., "Connected Components in MapReduce and Beyond",
SoCC 2014), which needs a number of rounds that grows with the logarithm of a network's size,
not its diameter: see :func:`comity.link.engines.columnar.stars`.

Engines register by name (:func:`register`); a duplicate name is an error.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from comity.core.settings import Settings
from comity.link.errors import DuplicateEngine, UnknownEngine
from comity.link.graph import HubPolicy, Key

Listed = Callable[[str, str], str | None]
"""Why an identifier is not evidence (a warning list, a short code…), or ``None``."""

OCCURRENCE_SCHEMA = pa.schema([("seq", pa.int64()), ("type", pa.string()), ("value", pa.string())])
"""The columns of an occurrences file."""

LABEL_SCHEMA = pa.schema([("seq", pa.int64()), ("label", pa.int64())])
"""The columns of a partition's labels."""


@dataclass
class Partition:
    """An engine's answer: which complaints are linked together, and what links nothing."""

    labels: pa.Table
    """``seq``, ``label``: each complaint in a group of two or more, labelled by the smallest
    ``seq`` of its group."""
    suppressed: dict[Key, str] = field(default_factory=dict)
    """Identifiers named by two or more complaints that link nothing, and why."""

    def groups(self) -> list[list[int]]:
        """The groups, each sorted, ordered by their first complaint (as ``graph.link``)."""
        ordered = self.labels.sort_by([("label", "ascending"), ("seq", "ascending")])
        seqs = ordered.column("seq").to_pylist()
        labels = ordered.column("label").to_pylist()
        return [
            [seq for _label, seq in members]
            for _key, members in groupby(zip(labels, seqs, strict=True), key=lambda p: p[0])
        ]


def listed_in(batch: pa.RecordBatch, listed: Listed) -> list[tuple[int, str, str, str]]:
    """The identifiers of ``batch`` (``id``, ``type``, ``value``) that the warning-list rule
    suppresses, each as ``(id, type, value, reason)``: the one loop every engine runs, in the
    driver (duckdb) or on the executors (spark)."""
    found: list[tuple[int, str, str, str]] = []
    for key_id, obs_type, value in zip(
        batch.column(0).to_pylist(),
        batch.column(1).to_pylist(),
        batch.column(2).to_pylist(),
        strict=True,
    ):
        reason = listed(obs_type, value)
        if reason is not None:
            found.append((key_id, obs_type, value, reason))
    return found


class Engine(Protocol):
    """What a linkage engine does."""

    name: str

    def link(self, source: Path, listed: Listed, hubs: HubPolicy, workdir: Path) -> Partition:
        """Link the complaints of the occurrences file ``source`` (scratch files in
        ``workdir``, which exists and is the caller's to remove)."""
        ...


Factory = Callable[[Settings], Engine]
"""Makes an engine with the node's settings (memory limit, Spark master…)."""

_ENGINES: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register an engine factory under ``name`` (a duplicate is an error)."""

    def decorate(factory: Factory) -> Factory:
        if name in _ENGINES:
            raise DuplicateEngine(f"a linkage engine named {name!r} is already registered")
        _ENGINES[name] = factory
        return factory

    return decorate


def engine_names() -> list[str]:
    """The registered engines' names."""
    _load()
    return sorted(_ENGINES)


def get_engine(name: str, settings: Settings) -> Engine:
    """The engine registered as ``name``; :class:`UnknownEngine` if none is."""
    _load()
    factory = _ENGINES.get(name)
    if factory is None:
        known = sorted(_ENGINES)
        raise UnknownEngine(
            f"no linkage engine named {name!r} (known: {', '.join(known)})",
            engine=name,
            known=known,
        )
    return factory(settings)


@contextmanager
def scratch_dir(settings: Settings) -> Iterator[Path]:
    """A private folder (0700) under the node home for an engine's files, removed after:
    occurrences are complaint data, which never leaves the node."""
    root = settings.home / "tmp"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="link-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _load() -> None:
    from comity.link.engines import columnar, memory, spark  # noqa: F401  (they register)
