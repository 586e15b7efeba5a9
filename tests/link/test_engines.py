"""Linkage engines: DuckDB and Spark give the partition the in-memory linkage gives.

The in-memory union-find (:func:`comity.link.graph.link`) is the reference. Random graphs
with hubs and listed identifiers go through it and through the DuckDB engine (Hypothesis);
the labelled corpus, 3,000 generated complaints and the hub cases go through a node's full run
with each engine, on every database backend. Spark runs in local mode in this process.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.core.settings import load_settings
from comity.link.engines import OCCURRENCE_SCHEMA, get_engine, register
from comity.link.engines.columnar import stars
from comity.link.engines.spark import spark_memory
from comity.link.errors import DuplicateEngine, LinkInputError, UnknownEngine
from comity.link.graph import HubPolicy, link
from comity.link.ingest import IngestOptions, ingest_file
from comity.link.networks import run_linkage
from tests.conftest import CliNode, Node
from tests.link.test_networks import (
    CORPUS,
    complaint,
    corpus_node,
    hub_rows,
    networks,
    write,
)

HAS_JAVA = bool(os.environ.get("JAVA_HOME") or shutil.which("java"))
needs_java = pytest.mark.skipif(not HAS_JAVA, reason="the spark engine needs a Java runtime")
ENGINES = [
    "duckdb",
    pytest.param("spark", marks=[needs_java, pytest.mark.xdist_group("spark")]),
]


def listed(obs_type: str, value: str) -> str | None:
    return "on a test list" if value.startswith("listed") else None


def occurrences_file(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    seqs, types, values = (
        (list(column) for column in zip(*rows, strict=True)) if rows else ([],) * 3
    )
    table = pa.table(
        [pa.array(seqs, pa.int64()), pa.array(types, pa.string()), pa.array(values, pa.string())],
        schema=OCCURRENCE_SCHEMA,
    )
    pq.write_table(table, path)
    return path


def by_engine(name: str, rows: list[tuple[int, str, str]], workdir: Path, hubs: HubPolicy) -> Any:
    workdir.mkdir(parents=True, exist_ok=True)
    source = occurrences_file(workdir / "occurrences.parquet", rows)
    partition = get_engine(name, load_settings(home=workdir)).link(source, listed, hubs, workdir)
    return partition.groups(), partition.suppressed


occurrence = st.tuples(
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["phone-number", "email-addr"]),
    st.one_of(
        st.integers(min_value=0, max_value=40).map(str),
        st.sampled_from(["listed-1", "listed-2", "busy"]),
    ),
)


@settings(max_examples=60)
@given(rows=st.lists(occurrence, max_size=150), min_complaints=st.integers(2, 8))
def test_duckdb_links_any_graph_as_the_reference_does(
    rows: list[tuple[int, str, str]], min_complaints: int, tmp_path_factory: Any
) -> None:
    hubs = HubPolicy(min_complaints=min_complaints, min_groups=2)
    reference = link(rows, listed, hubs)
    workdir = tmp_path_factory.mktemp("duckdb")
    assert by_engine("duckdb", rows, workdir, hubs) == (reference.groups, reference.suppressed)


@needs_java
@pytest.mark.xdist_group("spark")
def test_spark_links_random_graphs_as_the_reference_does(tmp_path: Path) -> None:
    import random

    for seed in range(3):
        rng = random.Random(seed)
        rows = [
            (rng.randint(1, 400), rng.choice(["upi", "phone-number"]), str(rng.randint(0, 300)))
            for _ in range(600)
        ]
        rows += [(seq, "phone-number", "busy") for seq in range(1, 400, 9)]
        rows += [(seq, "domain-name", "listed-x") for seq in range(1, 400, 5)]
        hubs = HubPolicy(min_complaints=10, min_groups=3)
        reference = link(rows, listed, hubs)
        found = by_engine("spark", rows, tmp_path / str(seed), hubs)
        assert found == (reference.groups, reference.suppressed)
        assert any("hub" in reason for reason in reference.suppressed.values())


def test_components_take_rounds_that_grow_with_the_log_of_a_chain() -> None:
    """A chain of 4,096 complaints, each linked only to the next, is one network after a few
    rounds (propagating a label along the chain would take 4,096)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE chain AS SELECT i + 1 AS a, i AS b FROM range(1, 4096) t(i)")
    rounds = stars(con, "chain", "labels")
    assert con.execute(
        "SELECT count(*), count(DISTINCT label), min(label) FROM labels"
    ).fetchone() == (
        4096,
        1,
        1,
    )
    assert rounds <= 30
    with pytest.raises(ValueError, match="table name"):
        stars(con, "chain; DROP TABLE chain", "labels")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_full_run_with_each_engine_finds_the_same_networks(
    node: Node, engine: str, tmp_path: Path
) -> None:
    linked = corpus_node(node)
    ingest_file(linked.ctx, None, CORPUS / "corpus-in.csv", IngestOptions(country="IN"))
    ingest_file(linked.ctx, None, CORPUS / "corpus-us.jsonl", IngestOptions(country="US"))
    ingest_file(linked.ctx, None, write(tmp_path / "hubs.csv", hub_rows()), IngestOptions())
    reference = run_linkage(linked.ctx, None, full=True, engine="memory")
    before = networks(linked)
    summary = run_linkage(linked.ctx, None, full=True, engine=engine)
    assert summary["engine"] == engine and summary["mode"] == "full"
    assert (summary["networks"], summary["linked"], summary["suppressed"]) == (
        reference["networks"],
        reference["linked"],
        reference["suppressed"],
    )
    after = networks(linked)
    # The same networks under the same ids: nothing moved, so nothing was recorded.
    assert sorted((n["id"], n["complaints"], n["suppressed"]) for n in after) == sorted(
        (n["id"], n["complaints"], n["suppressed"]) for n in before
    )
    assert not any(summary[k] for k in ("created", "grown", "merged", "split", "dissolved"))
    hub = next(s for n in after for s in n["suppressed"] if s["value"] == "+9118002091234")
    assert "6 otherwise unrelated groups" in hub["reason"]
    # Occurrences are complaint data: the run's scratch folder is gone.
    assert [p.name for p in (linked.ctx.settings.home / "tmp").iterdir()] in ([], ["spark"])


@pytest.mark.parametrize("engine", ENGINES)
def test_generated_complaints_get_the_same_partition_from_every_engine(
    node: Node, engine: str, tmp_path: Path
) -> None:
    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    import complaint_generator as gen

    gen.write(gen.Knobs(count=3000, seed=11), tmp_path, "parquet")
    ingest_file(node.ctx, None, tmp_path / "complaints.parquet", IngestOptions())
    run_linkage(node.ctx, None, full=True, engine="memory")
    reference = {frozenset(n["complaints"]) for n in networks(node)}
    run_linkage(node.ctx, None, full=True, engine=engine)
    assert {frozenset(n["complaints"]) for n in networks(node)} == reference
    assert len(reference) > 200


def test_engines_are_registered_once_and_named_in_errors() -> None:
    with pytest.raises(UnknownEngine) as unknown:
        get_engine("graphframes", load_settings())
    assert unknown.value.data["known"] == ["duckdb", "memory", "spark"]
    with pytest.raises(DuplicateEngine):
        register("duckdb")(lambda settings: get_engine("memory", settings))
    assert spark_memory("4GB") == "4096m" and spark_memory("1.5 GiB") == "1536m"
    with pytest.raises(LinkInputError):
        spark_memory("lots")


def test_the_engine_is_chosen_on_the_command_line(cli_node_factory: Any, tmp_path: Path) -> None:
    cli: CliNode = cli_node_factory("cbi")
    cli.run("init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", check=True)
    path = write(
        tmp_path / "a.csv",
        [complaint("A", phones="+91 98765 33333"), complaint("B", phones="98765 33333")],
    )
    cli.run("link", "ingest", str(path), check=True)
    unknown = cli.run("link", "run", "--full", "--engine", "graphframes")
    assert unknown.code == 2 and "no linkage engine named 'graphframes'" in unknown.err
    run = cli.run("link", "run", "--full", "--engine", "duckdb", "--json", check=True).json()
    assert (run["engine"], run["networks"], run["linked"]) == ("duckdb", 1, 2)
    # Spark needs a Java runtime: without one the run stops with a clear line (exit 3), and
    # nothing changes.
    cli.env["PATH"] = str(tmp_path / "no-java")
    cli.env.pop("JAVA_HOME", None)
    no_java = cli.run("link", "run", "--full", "--engine", "spark")
    assert no_java.code == 3 and "needs a Java runtime" in no_java.err
    assert "Traceback" not in no_java.err
    human = cli.run("link", "run", "--full", "--engine", "duckdb", check=True)
    assert "full run (asked for) with the duckdb engine: read 2 complaints" in human.out
