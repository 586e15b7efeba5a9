"""The ``duckdb`` linkage engine: the linkage in DuckDB, the embedded analytical database.

Stages, each one SQL statement over columnar tables (every core; spilled to ``workdir``
beyond ``memory_limit``):

1. the distinct occurrences, and the identifiers named by two or more complaints (*shared*),
   each given an integer id;
2. the shared identifiers go once through the warning-list rule (Python, in batches: the
   one rule of :mod:`comity.link.evidence`), giving the suppressed ones;
3. components over the evidence below the hub threshold (large-star / small-star rounds,
   :func:`stars`); then each busy identifier's complaints are counted by group, and one whose
   complaints fall in ``min_groups`` groups or more is a hub;
4. components again, the first components' stars plus the busy identifiers that are not hubs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import duckdb
import pyarrow as pa

from comity.core.settings import Settings
from comity.link.engines import LABEL_SCHEMA, Engine, Listed, Partition, listed_in, register
from comity.link.errors import EngineFailed
from comity.link.graph import HubPolicy, Key, hub_reason

MAX_ROUNDS: Final = 200
"""Large-star / small-star rounds before the engine gives up (a few dozen at most in
practice: the rounds grow with the logarithm of a network's size)."""

_TABLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]*")

BATCH: Final = 100_000
"""Shared identifiers per batch through the warning-list rule."""


class DuckDBEngine:
    """The linkage in DuckDB (see the module)."""

    name = "duckdb"

    def __init__(self, memory_limit: str = "4GB", threads: int | None = None) -> None:
        self.memory_limit = memory_limit
        self.threads = threads

    def link(self, source: Path, listed: Listed, hubs: HubPolicy, workdir: Path) -> Partition:
        """See :class:`comity.link.engines.Engine`."""
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(workdir / "spill"),
            "preserve_insertion_order": False,
        }
        if self.threads:
            config["threads"] = self.threads
        con = duckdb.connect(":memory:", config=config)
        try:
            return self._link(con, source, listed, hubs)
        finally:
            con.close()

    def _link(
        self, con: duckdb.DuckDBPyConnection, source: Path, listed: Listed, hubs: HubPolicy
    ) -> Partition:
        con.read_parquet(str(source)).create_view("raw")
        con.execute(
            "CREATE TEMP TABLE keys AS SELECT row_number() OVER () AS id, type, value, n, first"
            " FROM (SELECT type, value, count(DISTINCT seq) AS n, min(seq) AS first FROM raw"
            " GROUP BY type, value HAVING count(DISTINCT seq) > 1)"
        )
        con.execute(
            "CREATE TEMP TABLE occ AS SELECT DISTINCT r.seq, k.id FROM raw r"
            " JOIN keys k ON r.type = k.type AND r.value = k.value"
        )
        suppressed = _listed(con, listed)
        con.execute(
            "CREATE TEMP TABLE candidates AS SELECT id, n FROM keys"
            " WHERE n >= $min AND id NOT IN (SELECT id FROM suppressed)",
            {"min": hubs.min_complaints},
        )
        con.execute(
            "CREATE TEMP TABLE edges0 AS SELECT o.seq AS a, k.first AS b FROM occ o"
            " JOIN keys k ON o.id = k.id"
            " WHERE k.n < $min AND o.seq <> k.first AND k.id NOT IN (SELECT id FROM suppressed)",
            {"min": hubs.min_complaints},
        )
        stars(con, "edges0", "labels0")
        found_hubs = con.execute(
            "SELECT k.type, k.value, c.n, count(DISTINCT l.label) AS g FROM candidates c"
            " JOIN occ o ON o.id = c.id JOIN labels0 l ON l.seq = o.seq"
            " JOIN keys k ON k.id = c.id GROUP BY k.type, k.value, c.n HAVING g >= $groups",
            {"groups": hubs.min_groups},
        ).fetchall()
        for obs_type, value, n, groups in found_hubs:
            suppressed[(obs_type, value)] = hub_reason(int(n), int(groups), hubs)
        hub_keys = pa.table(
            {
                "type": pa.array([t for t, _v, _n, _g in found_hubs], pa.string()),
                "value": pa.array([v for _t, v, _n, _g in found_hubs], pa.string()),
            }
        )
        con.register("hub_keys", hub_keys)
        con.execute(
            "CREATE TEMP TABLE edges1 AS SELECT seq AS a, label AS b FROM labels0"
            " WHERE seq <> label"
            " UNION ALL SELECT o.seq AS a, k.first AS b FROM candidates c"
            " JOIN keys k ON k.id = c.id JOIN occ o ON o.id = c.id"
            " WHERE o.seq <> k.first AND NOT EXISTS (SELECT 1 FROM hub_keys h"
            " WHERE h.type = k.type AND h.value = k.value)"
        )
        stars(con, "edges1", "labels")
        labels = con.sql("SELECT seq, label FROM labels").to_arrow_table()
        if labels is None:
            raise EngineFailed("DuckDB returned no labels", engine="duckdb", reason="no result")
        return Partition(labels.cast(LABEL_SCHEMA), suppressed)


def _listed(con: duckdb.DuckDBPyConnection, listed: Listed) -> dict[Key, str]:
    """Put every shared identifier through the warning-list rule; leave the suppressed ones in
    table ``suppressed`` (``id``) and return them with their reasons."""
    reasons: dict[Key, str] = {}
    ids: list[int] = []
    reader = con.sql("SELECT id, type, value FROM keys").to_arrow_reader(BATCH)
    for batch in reader or ():
        for key_id, obs_type, value, reason in listed_in(batch, listed):
            reasons[(obs_type, value)] = reason
            ids.append(key_id)
    con.register("suppressed_ids", pa.table({"id": pa.array(ids, pa.int64())}))
    con.execute("CREATE TEMP TABLE suppressed AS SELECT id FROM suppressed_ids")
    return reasons


def stars(con: duckdb.DuckDBPyConnection, edges: str, out: str) -> int:
    """Connected components of the graph whose edges are table ``edges`` (``a``, ``b``, both
    complaint seqs, ``a > b``) into table ``out`` (``seq``, ``label``: every complaint on an
    edge, labelled with the smallest complaint of its component); return the rounds taken.

    Alternates *large-star* (every node's larger neighbours are attached to the smallest node
    of its neighbourhood) and *small-star* (every node and its smaller neighbours are attached
    to the smallest of them) until the graph is a forest of stars, each centred on its
    component's smallest complaint.
    """
    for name in (edges, out):
        if not _TABLE_NAME.fullmatch(name):
            raise ValueError(f"not a table name: {name!r}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE e AS SELECT DISTINCT a, b FROM {edges}")  # noqa: S608
    for rounds in range(1, MAX_ROUNDS + 1):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE n AS SELECT a AS u, b AS v FROM e"
            " UNION ALL SELECT b AS u, a AS v FROM e"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE e AS"
            " WITH m AS (SELECT u, least(u, min(v)) AS m FROM n GROUP BY u)"
            " SELECT DISTINCT n.v AS a, m.m AS b FROM n JOIN m ON n.u = m.u WHERE n.v > n.u"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE e AS"
            " WITH m AS (SELECT a AS u, min(b) AS m FROM e GROUP BY a)"
            " SELECT DISTINCT e.b AS a, m.m AS b FROM e JOIN m ON e.a = m.u WHERE e.b <> m.m"
            " UNION SELECT u AS a, m AS b FROM m"
        )
        row = con.execute(
            "SELECT count(*) = count(DISTINCT a) AND NOT EXISTS"
            " (SELECT 1 FROM e AS inner_e WHERE inner_e.a IN (SELECT b FROM e)) FROM e"
        ).fetchone()
        if row is None or row[0] is None or row[0]:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT a AS seq, b AS label FROM e"  # noqa: S608
                " UNION ALL SELECT DISTINCT b AS seq, b AS label FROM e"
            )
            con.execute("DROP TABLE IF EXISTS n")
            return rounds
    raise EngineFailed(
        f"connected components did not settle in {MAX_ROUNDS} rounds",
        engine="duckdb",
        reason="rounds",
    )


@register("duckdb")
def _factory(settings: Settings) -> Engine:
    return DuckDBEngine(memory_limit=settings.link_engine_memory)
