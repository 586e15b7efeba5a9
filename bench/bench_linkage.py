"""Linkage: complaints from a file to ranked networks, stage by stage, against networkx.

The complaints are generated once (``complaint_generator.py``, seeded, Parquet) into
``bench/out``. Ours is the real CLI in subprocesses on a fresh SQLite node: ``comity link
ingest`` (read, check, normalize and extract every identifier, store) then ``comity link run``
(link, give stable ids, record) then ``comity link networks --json`` (rank and list). The
anchor for the linking stage is the plain baseline the issue names: ``networkx`` connected
components over the same normalized identifiers (read from our node's database, the same
identifiers suppressed), in its own process. Both partitions are compared: they must be equal.

Reported: each stage's seconds, complaints per second end to end, peak RSS per stage, and the
linking stage's ratio to networkx. The goal is set at 10 million complaints (under 10 minutes
end to end and under 8 GB): the rate here is what that would need (16,667 complaints/s).

    .venv/bin/python bench/bench_linkage.py                 # 100,000 complaints, 1 round
    .venv/bin/python bench/bench_linkage.py --count 1000000
    .venv/bin/python bench/bench_linkage.py --quick         # 2,000 complaints
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import _common as c

NAME = "linkage"
TITLE = "comity link ingest + run + networks on generated complaints vs networkx components"
GOAL_RATE = 10_000_000 / 600
"""Complaints per second end to end that 10 million in 10 minutes needs."""

ANCHOR = r"""
import json, sqlite3, sys
import networkx as nx
db, suppressed_file = sys.argv[1], sys.argv[2]
suppressed = {tuple(k) for k in json.load(open(suppressed_file))}
rows = sqlite3.connect(db).execute(
    "SELECT complaint_seq, obs_type, value FROM link_identifiers WHERE valid = 1"
).fetchall()
graph = nx.Graph()
for seq, obs_type, value in rows:
    if (obs_type, value) not in suppressed:
        graph.add_edge(("c", seq), ("i", obs_type, value))
groups = []
for component in nx.connected_components(graph):
    members = sorted(node[1] for node in component if node[0] == "c")
    if len(members) > 1:
        groups.append(members)
print(json.dumps(sorted(groups)))
"""


def main() -> int:
    args = c.parse_sized_args(__doc__ or NAME, quick=2_000, full=100_000)
    count = args.count
    sys.path.insert(0, str(c.BENCH))
    import complaint_generator as gen

    data = c.OUT / f"complaints-{count}-seed1"
    source = data / "complaints.parquet"
    if not source.exists():
        data.mkdir(parents=True, exist_ok=True)
        gen.write(gen.Knobs(count=count, seed=1), data, "parquet")
    stages: dict[str, list[float]] = {"ingest": [], "run": [], "networks": [], "networkx": []}
    rss: dict[str, list[int]] = {"ingest": [], "run": [], "networks": [], "networkx": []}
    summary: dict[str, Any] = {}
    for round_ in range(args.repeat):
        home = c.fresh_home(f"linkage-{round_}")
        ctx, _case = c.init_node_home(home)
        ctx.dispose()
        env = c.cli_env(home)
        for stage, argv in (
            ("ingest", ["link", "ingest", str(source), "--json"]),
            ("run", ["link", "run", "--json"]),
            ("networks", ["link", "networks", "--json", "--limit", str(count)]),
        ):
            timing, out, maxrss = c.run_timed(c.cli(home, *argv), env=env)
            stages[stage].append(timing.seconds)
            rss[stage].append(maxrss)
            if stage == "run":
                summary = json.loads(out)
            if stage == "networks":
                seq_of = _seqs(home)
                ours = sorted(
                    sorted(seq_of[cid] for cid in n["complaints"])
                    for n in json.loads(out)["networks"]
                )
        suppressed = home / "suppressed.json"
        suppressed.write_text(json.dumps(c.last_suppressed(home)))
        timing, out, maxrss = c.run_timed(
            [c.PYTHON, "-c", ANCHOR, str(home / "comity.db"), str(suppressed)]
        )
        stages["networkx"].append(timing.seconds)
        rss["networkx"].append(maxrss)
        if json.loads(out) != ours:
            raise SystemExit("networkx found other networks than comity link run")
        shutil.rmtree(home)
    medians = {stage: c.median(values) for stage, values in stages.items()}
    total = medians["ingest"] + medians["run"] + medians["networks"]
    rate = count / total
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="complaints per second, file to ranked networks (median)",
        ours=rate,
        anchor=count / medians["networkx"],
        anchor_name="networkx connected components (linking only)",
        ratio=medians["networkx"] / medians["run"],
        goal=f"10,000,000 complaints in under 10 minutes (>= {GOAL_RATE:,.0f} complaints/s)",
        met=None if args.quick else rate >= GOAL_RATE,
        params={"complaints": count, "rounds": args.repeat, "file": source.name},
        extra={
            **{f"{stage}_s": round(value, 2) for stage, value in medians.items()},
            **{f"{stage}_peak_rss_MB": round(max(v) * 1024 / 1e6, 1) for stage, v in rss.items()},
            "networks": summary.get("networks"),
            "linked": summary.get("linked"),
            "suppressed": summary.get("suppressed"),
        },
        samples={f"{stage}_s": [round(v, 3) for v in values] for stage, values in stages.items()},
    )
    c.save(result, args.quick)
    return 0


def _seqs(home: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(home / "comity.db") as db:
        return dict(db.execute("SELECT complaint_id, seq FROM link_complaints").fetchall())


if __name__ == "__main__":
    raise SystemExit(main())
