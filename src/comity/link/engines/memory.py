"""The ``memory`` linkage engine: :func:`comity.link.graph.link` over an occurrences file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from comity.core.settings import Settings
from comity.link.engines import LABEL_SCHEMA, Engine, Listed, Partition, register
from comity.link.graph import HubPolicy, link


class MemoryEngine:
    """A union-find over Python objects: the reference the other engines are tested against."""

    name = "memory"

    def link(self, source: Path, listed: Listed, hubs: HubPolicy, workdir: Path) -> Partition:
        """See :class:`comity.link.engines.Engine`."""
        table = pq.read_table(source, columns=["seq", "type", "value"])
        occurrences = zip(
            table.column("seq").to_pylist(),
            table.column("type").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        )
        linkage = link(occurrences, listed, hubs)
        seqs = [seq for group in linkage.groups for seq in group]
        labels = [group[0] for group in linkage.groups for _seq in group]
        return Partition(
            pa.table(
                [pa.array(seqs, pa.int64()), pa.array(labels, pa.int64())], schema=LABEL_SCHEMA
            ),
            linkage.suppressed,
        )


@register("memory")
def _factory(settings: Settings) -> Engine:
    return MemoryEngine()
