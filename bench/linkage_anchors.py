"""The anchors of ``bench_linkage_scale.py``, each run in its own process by that script.

Every mode reads a node's SQLite database directly (no comity code): the valid identifiers of
``link_identifiers`` minus those the node's last ``link run`` suppressed (warning lists and
hubs: they link nothing), which is exactly what links complaints. Each writes a partition as
Parquet, ``seq, label``: every complaint in a group of two or more, labelled by the smallest
``seq`` of its group, and prints one JSON line of figures (the last line of its output).

    python bench/linkage_anchors.py splink DB SUPPRESSED.json LABELS.parquet --memory 16GB
    python bench/linkage_anchors.py networkx DB SUPPRESSED.json LABELS.parquet
    python bench/linkage_anchors.py ours DB LABELS.parquet          # the node's networks
    python bench/linkage_anchors.py compare A.parquet B.parquet     # equal partitions?

``splink``: Splink's deterministic linkage on the DuckDB backend — one record per complaint
(``unique_id`` = its seq) with an array of its linking identifiers (``"type|value"``), a
blocking rule matching records that share any element of the array (``block_on(ids,
arrays_to_explode=[ids])``), ``deterministic_link()`` (every pair of complaints sharing an
identifier), then Splink's connected components (``cluster_pairwise_predictions_at_threshold``).
``networkx``: connected components of the complaint–identifier graph.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

BATCH = 500_000
"""Rows fetched from SQLite at a time."""

OCCURRENCES = pa.schema([("seq", pa.int64()), ("type", pa.string()), ("value", pa.string())])
LABELS = pa.schema([("seq", pa.int64()), ("label", pa.int64())])


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _suppressed(path: Path) -> set[tuple[str, str]]:
    return {(t, v) for t, v in json.loads(path.read_text())}


def _rows(db: Path, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    with _connect(db) as con:
        cursor = con.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            yield rows


VALID = "SELECT complaint_seq, obs_type, value FROM link_identifiers WHERE valid = 1"


def splink(
    db: Path, suppressed_file: Path, out: Path, memory: str, spill: Path, spill_limit: str
) -> dict[str, Any]:
    """Splink's deterministic linkage (DuckDB backend) and its connected components."""
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": memory,
            "temp_directory": str(spill),
            "max_temp_directory_size": spill_limit,
        },
    )
    con.execute("CREATE TABLE occ (seq BIGINT, type VARCHAR, value VARCHAR)")
    for rows in _rows(db, VALID):
        seqs, types, values = zip(*rows, strict=True)
        batch = pa.table([list(seqs), list(types), list(values)], schema=OCCURRENCES)
        con.register("batch", batch)
        con.execute("INSERT INTO occ SELECT * FROM batch")
        con.unregister("batch")
    con.execute("CREATE TABLE complaints (seq BIGINT)")
    for rows in _rows(db, "SELECT seq FROM link_complaints"):
        batch = pa.table({"seq": pa.array([r[0] for r in rows], pa.int64())})
        con.register("batch", batch)
        con.execute("INSERT INTO complaints SELECT * FROM batch")
        con.unregister("batch")
    sup = sorted(_suppressed(suppressed_file))
    con.register(
        "sup_arrow",
        pa.table(
            {
                "type": pa.array([t for t, _ in sup], pa.string()),
                "value": pa.array([v for _, v in sup], pa.string()),
            }
        ),
    )
    con.execute(
        "CREATE TABLE records AS SELECT c.seq AS unique_id, coalesce(i.ids, []::VARCHAR[]) AS ids"
        " FROM complaints c LEFT JOIN (SELECT seq, list(DISTINCT type || '|' || value) AS ids"
        " FROM occ o WHERE NOT EXISTS (SELECT 1 FROM sup_arrow s"
        " WHERE s.type = o.type AND s.value = o.value) GROUP BY seq) i ON i.seq = c.seq"
    )
    con.execute("DROP TABLE occ")
    con.execute("DROP TABLE complaints")
    read_s = time.perf_counter() - started

    t0 = time.perf_counter()
    db_api = DuckDBAPI(con)
    records = db_api.register("records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("ids", arrays_to_explode=["ids"])],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(records, settings, log_level=logging.WARNING)
    pairs = linker.inference.deterministic_link()
    link_s = time.perf_counter() - t0
    ((pair_count,),) = con.execute(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()

    t0 = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs)
    cluster_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    con.execute(
        "COPY (SELECT seq, label FROM (SELECT unique_id::BIGINT AS seq,"
        " min(unique_id::BIGINT) OVER (PARTITION BY cluster_id) AS label,"
        f" count(*) OVER (PARTITION BY cluster_id) AS n FROM {clusters.physical_name})"
        f" WHERE n > 1) TO '{_sql_path(out)}' (FORMAT parquet)"
    )
    write_s = time.perf_counter() - t0
    ((records_n,),) = con.execute("SELECT count(*) FROM records").fetchall()
    con.close()
    return {
        "records": int(records_n),
        "pairs": int(pair_count),
        "read_s": round(read_s, 2),
        "deterministic_link_s": round(link_s, 2),
        "cluster_s": round(cluster_s, 2),
        "write_s": round(write_s, 2),
    }


def networkx(db: Path, suppressed_file: Path, out: Path) -> dict[str, Any]:
    """Connected components of the complaint–identifier graph with networkx."""
    import networkx as nx

    started = time.perf_counter()
    suppressed = _suppressed(suppressed_file)
    rows = [row for batch in _rows(db, VALID) for row in batch]
    read_s = time.perf_counter() - started
    t0 = time.perf_counter()
    graph = nx.Graph()
    graph.add_edges_from(
        (("c", seq), ("i", obs_type, value))
        for seq, obs_type, value in rows
        if (obs_type, value) not in suppressed
    )
    del rows
    seqs: list[int] = []
    labels: list[int] = []
    for component in nx.connected_components(graph):
        members = [node[1] for node in component if node[0] == "c"]
        if len(members) > 1:
            label = min(members)
            seqs.extend(members)
            labels.extend([label] * len(members))
    link_s = time.perf_counter() - t0
    pq.write_table(pa.table([seqs, labels], schema=LABELS), out)
    return {
        "read_s": round(read_s, 2),
        "link_s": round(link_s, 2),
        "nodes": graph.number_of_nodes(),
    }


def ours(db: Path, out: Path) -> dict[str, Any]:
    """The node's networks (``link_network_members``) as a partition."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE members (seq BIGINT, network VARCHAR)")
    for rows in _rows(db, "SELECT complaint_seq, network_id FROM link_network_members"):
        seqs, networks = zip(*rows, strict=True)
        batch = pa.table({"seq": pa.array(seqs, pa.int64()), "network": pa.array(networks)})
        con.register("batch", batch)
        con.execute("INSERT INTO members SELECT * FROM batch")
        con.unregister("batch")
    con.execute(
        "COPY (SELECT seq, min(seq) OVER (PARTITION BY network) AS label FROM members)"
        f" TO '{_sql_path(out)}' (FORMAT parquet)"
    )
    ((members,),) = con.execute("SELECT count(*) FROM members").fetchall()
    con.close()
    return {"members": int(members)}


def compare(a: Path, b: Path) -> dict[str, Any]:
    """Whether two partitions are equal: groups and complaints on each side, complaints whose
    group differs, and a few of them."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{_sql_path(a)}')")
    con.execute(f"CREATE VIEW b AS SELECT * FROM read_parquet('{_sql_path(b)}')")
    (row,) = con.execute(
        "SELECT (SELECT count(DISTINCT label) FROM a), (SELECT count(*) FROM a),"
        " (SELECT count(DISTINCT label) FROM b), (SELECT count(*) FROM b)"
    ).fetchall()
    groups_a, complaints_a, groups_b, complaints_b = (int(v) for v in row)
    differ = "FROM a FULL OUTER JOIN b ON a.seq = b.seq WHERE a.label IS DISTINCT FROM b.label"
    ((mismatched,),) = con.execute(f"SELECT count(*) {differ}").fetchall()
    examples = con.execute(
        f"SELECT coalesce(a.seq, b.seq), a.label, b.label {differ} ORDER BY 1 LIMIT 5"
    ).fetchall()
    con.close()
    return {
        "equal": mismatched == 0,
        "groups": [groups_a, groups_b],
        "complaints": [complaints_a, complaints_b],
        "mismatched": int(mismatched),
        "examples": [list(e) for e in examples],
    }


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("splink")
    p.add_argument("db", type=Path)
    p.add_argument("suppressed", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--memory", default="16GB", help="DuckDB memory limit")
    p.add_argument("--spill", type=Path, default=None, help="DuckDB spill folder")
    p.add_argument("--spill-limit", default="50GB", help="DuckDB spill size limit")
    p = sub.add_parser("networkx")
    p.add_argument("db", type=Path)
    p.add_argument("suppressed", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("ours")
    p.add_argument("db", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.mode == "splink":
        spill = args.spill or args.out.with_name(args.out.stem + "-spill")
        figures = splink(args.db, args.suppressed, args.out, args.memory, spill, args.spill_limit)
    elif args.mode == "networkx":
        figures = networkx(args.db, args.suppressed, args.out)
    elif args.mode == "ours":
        figures = ours(args.db, args.out)
    else:
        figures = compare(args.a, args.b)
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
