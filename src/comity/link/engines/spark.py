"""The ``spark`` linkage engine: the same linkage as DataFrame operations on Apache Spark.

For when one machine is not enough: the occurrences are read by the executors, and every
stage — distinct occurrences, shared identifiers, the warning-list rule (run on the executors
with ``mapInArrow``), hub decisions, components — is a DataFrame operation. No edge is ever
collected to the driver: what reaches it is the suppressed identifiers (a short list, shown to
the user) and the convergence counts; the final partition is written to Parquet by the
executors and read from there.

Components are found as in the ``duckdb`` engine (large-star / small-star rounds, each round's
result checkpointed so the plan does not grow). GraphFrames is not used: its JVM package must
be fetched at run time, which a node without outside access cannot do.

The Spark session is local (``local[*]``) unless the ``link_spark_master`` setting names a
cluster; it is made once per process and reused.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from comity.core.settings import Settings
from comity.link.engines import LABEL_SCHEMA, Engine, Listed, Partition, listed_in, register
from comity.link.errors import EngineFailed, EngineUnavailable, LinkInputError
from comity.link.graph import HubPolicy, Key, hub_reason

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MAX_ROUNDS: Final = 200
"""Large-star / small-star rounds before the engine gives up."""

SHUFFLE_PARTITIONS: Final = 8
"""Partitions of a shuffle on a local session (adaptive execution coalesces small ones)."""


class SparkEngine:
    """The linkage on Spark (see the module)."""

    name = "spark"

    def __init__(
        self, master: str = "local[*]", driver_memory: str = "4g", local_dir: Path | None = None
    ) -> None:
        self.master = master
        self.driver_memory = driver_memory
        self.local_dir = local_dir

    def link(self, source: Path, listed: Listed, hubs: HubPolicy, workdir: Path) -> Partition:
        """See :class:`comity.link.engines.Engine`."""
        spark = session(self.master, self.driver_memory, self.local_dir or workdir / "spark")
        from pyspark.sql import functions as F  # noqa: N812  (the usual name)

        raw = spark.read.parquet(str(source)).select("seq", "type", "value").distinct()
        keys = (
            raw.groupBy("type", "value")
            .agg(F.count("*").alias("n"), F.min("seq").alias("first"))
            .where(F.col("n") > 1)
            .withColumn("id", F.monotonically_increasing_id())
            .localCheckpoint()
        )
        occ = raw.join(keys, ["type", "value"]).select("seq", "id").localCheckpoint()
        rule = _rule(listed)
        suppressed_df = (
            keys.select("id", "type", "value")
            .mapInArrow(rule, "id long, type string, value string, reason string")
            .localCheckpoint()
        )
        suppressed: dict[Key, str] = {
            (row["type"], row["value"]): row["reason"] for row in suppressed_df.toLocalIterator()
        }
        evidence = keys.join(suppressed_df.select("id"), "id", "left_anti")
        candidates = evidence.where(F.col("n") >= hubs.min_complaints)
        below = evidence.where(F.col("n") < hubs.min_complaints)
        edges0 = (
            occ.join(below, "id")
            .where(F.col("seq") != F.col("first"))
            .select(F.col("seq").alias("a"), F.col("first").alias("b"))
        )
        labels0 = stars(edges0)
        hubs_df = (
            candidates.join(occ, "id")
            .join(labels0, "seq")
            .groupBy("id", "type", "value", "n")
            .agg(F.countDistinct("label").alias("g"))
            .where(F.col("g") >= hubs.min_groups)
            .localCheckpoint()
        )
        for row in hubs_df.toLocalIterator():
            suppressed[(row["type"], row["value"])] = hub_reason(int(row["n"]), int(row["g"]), hubs)
        kept = candidates.join(hubs_df.select("id"), "id", "left_anti")
        edges1 = (
            labels0.where(F.col("seq") != F.col("label"))
            .select(F.col("seq").alias("a"), F.col("label").alias("b"))
            .unionByName(
                occ.join(kept, "id")
                .where(F.col("seq") != F.col("first"))
                .select(F.col("seq").alias("a"), F.col("first").alias("b"))
            )
        )
        out = workdir / "labels.parquet"
        stars(edges1).write.mode("overwrite").parquet(str(out))
        labels = pq.read_table(out, schema=LABEL_SCHEMA)
        return Partition(labels, suppressed)


def stars(edges: DataFrame) -> DataFrame:
    """Connected components of ``edges`` (``a``, ``b``: complaint seqs, ``a > b``) as
    ``seq``, ``label`` (the smallest complaint of the component): large-star / small-star
    rounds until the graph is a forest of stars (see :func:`comity.link.engines.columnar.stars`).
    """
    from pyspark.sql import functions as F  # noqa: N812

    e = edges.select("a", "b").distinct().localCheckpoint()
    for _round in range(MAX_ROUNDS):
        n = e.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
            e.select(F.col("b").alias("u"), F.col("a").alias("v"))
        )
        m = n.groupBy("u").agg(F.least(F.col("u"), F.min("v")).alias("m"))
        large = (
            n.join(m, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("a"), F.col("m").alias("b"))
            .distinct()
        )
        m2 = large.groupBy("a").agg(F.min("b").alias("m"))
        e = (
            large.join(m2, "a")
            .where(F.col("b") != F.col("m"))
            .select(F.col("b").alias("a"), F.col("m").alias("b"))
            .unionByName(m2.select("a", F.col("m").alias("b")))
            .distinct()
            .localCheckpoint()
        )
        edges_n = e.count()
        leaves = e.select("a").distinct().count()
        inner = e.join(e.select(F.col("b").alias("a")).distinct(), "a").limit(1).count()
        if edges_n == leaves and inner == 0:
            return e.select(F.col("a").alias("seq"), F.col("b").alias("label")).unionByName(
                e.select(F.col("b").alias("seq"), F.col("b").alias("label")).distinct()
            )
    raise EngineFailed(
        f"connected components did not settle in {MAX_ROUNDS} rounds",
        engine="spark",
        reason="rounds",
    )


def _rule(listed: Listed) -> Any:
    """The warning-list rule as a ``mapInArrow`` function (shipped to the executors)."""

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            found = listed_in(batch, listed)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array([f[0] for f in found], pa.int64()),
                    pa.array([f[1] for f in found], pa.string()),
                    pa.array([f[2] for f in found], pa.string()),
                    pa.array([f[3] for f in found], pa.string()),
                ],
                names=["id", "type", "value", "reason"],
            )

    return apply


_SESSION: SparkSession | None = None


def session(master: str, driver_memory: str, local_dir: Path) -> SparkSession:
    """This process's Spark session, started on first use, its scratch space in ``local_dir``
    (kept for the session's life: made 0700 here).

    :class:`EngineUnavailable` when pyspark or a Java runtime is missing.
    """
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable(
            "the spark engine needs pyspark (pip install 'comity[spark]')", engine="spark"
        ) from exc
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise EngineUnavailable(
            "the spark engine needs a Java runtime (17 or later): none is on PATH or JAVA_HOME",
            engine="spark",
        )
    local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python
    builder: Any = SparkSession.builder
    _SESSION = (
        builder.master(master)
        .appName("comity-linkage")
        .config("spark.driver.memory", driver_memory)
        .config("spark.local.dir", str(local_dir))
        .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    assert _SESSION is not None
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


@register("spark")
def _factory(settings: Settings) -> Engine:
    return SparkEngine(
        settings.link_spark_master,
        spark_memory(settings.link_engine_memory),
        settings.home / "tmp" / "spark",
    )


def spark_memory(size: str) -> str:
    """A size as the settings write it (``4GB``, ``1.5 GiB``, ``512MB``) as Spark writes it,
    in mebibytes (``4096m``)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([KMGT])i?B?", size.strip(), re.IGNORECASE)
    if match is None:
        raise LinkInputError(f"not a memory size: {size!r} (such as 4GB)", size=size)
    power = "KMGT".index(match.group(2).upper()) - 1
    return f"{max(int(float(match.group(1)) * 1024**power), 1)}m"
