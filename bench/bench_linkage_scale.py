"""Linkage at national scale: 10 million complaints from a file to ranked networks, one machine.

The requirement measured: 10 million complaints (about 30 million identifier occurrences) from
ingest to ranked networks on one machine (2 cores, 24 GB) in under 10 minutes end to end and
under 8 GB peak memory, each stage reported.

The complaints are generated once (``complaint_generator.py``, seed 1, Parquet) into
``bench/out``. Ours is the real CLI, one subprocess per stage, on a fresh SQLite node:
``comity link ingest FILE --json``, ``comity link run --engine duckdb --json``, ``comity link
networks --json --limit 100``; each stage's wall seconds and memory are recorded. Memory is
given two ways: the peak RSS of the largest process (``wait4``) and the peak of the whole
process tree (ingest workers included), sampled every half second as the sum of the
processes' proportional set sizes (PSS, so pages shared by forked workers count once); the
goal is judged on the larger of the two.

Anchors, each in its own process (``linkage_anchors.py``), on the same normalized identifiers
read from the node's database (valid ones, minus those the run suppressed: what links):

- **Splink** 5's deterministic linkage on its DuckDB backend at the full size: one record per
  complaint with the array of its identifiers, a blocking rule on any shared element
  (``arrays_to_explode``), ``deterministic_link()`` then Splink's connected components. A
  deterministic link on an exploded array yields every pair of complaints that share an
  identifier (a network of 5,000 complaints on one id is 12.5 million pairs): that is its real
  cost, reported as it is. Its DuckDB may use 16 GB of memory and half the free disk to spill;
  it is stopped after three times our end to end time (at least 60 s) or when its processes
  pass 20 GB, and then recorded as not finished, with the reason, its ratio being a lower
  bound.
- **networkx** connected components at 1 million complaints (or the size run, if smaller;
  ``BENCH_NETWORKX_AT`` changes it): above 1 million a second, 1-million data set is generated
  and ours (``link ingest`` and ``link run --engine duckdb``) runs on it too, so that both
  link the same data.

Every partition (groups of two or more complaints) is compared with ours; the script fails
(exit 1, after writing its result) if one differs.

Result: complaints per second, file to ranked networks (ours: N / (ingest + run + networks)),
the anchor Splink's rate; the ratio is Splink's seconds over our ``link run``'s (both link
the normalized identifiers from the database, each in a process of its own). The goal is
judged at 10 million complaints only (``met`` is empty below that).

    .venv/bin/python bench/bench_linkage_scale.py                   # 10,000,000 complaints
    .venv/bin/python bench/bench_linkage_scale.py --count 1000000
    .venv/bin/python bench/bench_linkage_scale.py --quick           # 20,000 complaints
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common as c

NAME = "linkage-scale"
TITLE = "comity link at national scale (ingest + run --engine duckdb + networks) vs Splink"
GOAL_COUNT = 10_000_000
GOAL_SECONDS = 600.0
GOAL_BYTES = 8 * 10**9
NETWORKX_AT = int(os.environ.get("BENCH_NETWORKX_AT") or 1_000_000)
"""The size networkx runs at (``BENCH_NETWORKX_AT`` changes it, e.g. for the tests)."""
SPLINK_MEMORY = "16GB"
SPLINK_KILL_BYTES = 20 * 10**9
"""Splink's processes are stopped above this (the machine has 24 GB; DuckDB's own limit is
16 GB, and not everything it holds counts against that limit)."""
SPLINK_TIME_FACTOR = 3.0
SPLINK_MIN_SECONDS = 60.0
SAMPLE_S = 0.5
ANCHORS = c.BENCH / "linkage_anchors.py"
MB = 10**6


@dataclass
class Measured:
    """One process run: wall time, memory, output, how it ended."""

    timing: c.Timing
    stdout: str
    stderr: str
    maxrss: int
    """Peak RSS of the largest process of the tree, bytes (``wait4``)."""
    tree_peak: int
    """Peak of the sum of the tree's PSS, bytes (sampled every ``SAMPLE_S``)."""
    status: str
    """``ok``, ``timeout``, ``memory`` (stopped for passing a limit) or ``exit N``."""

    @property
    def seconds(self) -> float:
        return self.timing.seconds

    @property
    def peak(self) -> int:
        """The larger of the two memory figures, bytes."""
        return max(self.maxrss, self.tree_peak)

    def figures(self, prefix: str) -> dict[str, Any]:
        """``<prefix>_s``, peak RSS and tree PSS in MB, other processes' CPU seconds."""
        return {
            f"{prefix}_s": round(self.seconds, 2),
            f"{prefix}_peak_rss_MB": round(self.maxrss / MB, 1),
            f"{prefix}_tree_peak_pss_MB": round(self.tree_peak / MB, 1),
            f"{prefix}_others_cpu_s": round(self.timing.others_cpu, 1),
        }


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from the parent ids in ``/proc/*/stat``."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(
    cmd: list[str],
    env: dict[str, str] | None = None,
    *,
    limit_s: float | None = None,
    kill_above: int | None = None,
    check: bool = True,
) -> Measured:
    """Run ``cmd`` in a session of its own, sampling its process tree's memory; stop it (the
    whole session) after ``limit_s`` seconds or above ``kill_above`` bytes. With ``check``, a
    run that does not end well raises ``RuntimeError``."""
    ticks = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0, b0 = time.perf_counter(), c.busy_ticks()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, start_new_session=True)
        peak, stopped = 0, ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if not stopped:
                peak = max(peak, sum(_pss(p) for p in _tree(proc.pid)))
                elapsed = time.perf_counter() - t0
                if limit_s is not None and elapsed > limit_s:
                    stopped = "timeout"
                elif kill_above is not None and peak > kill_above:
                    stopped = "memory"
                if stopped:
                    os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(SAMPLE_S if not stopped else 0.05)
        seconds = time.perf_counter() - t0
        machine = (c.busy_ticks() - b0) / ticks
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    own = usage.ru_utime + usage.ru_stime
    result = Measured(
        timing=c.Timing(seconds, machine, own),
        stdout=stdout,
        stderr=stderr,
        maxrss=usage.ru_maxrss * 1024,
        tree_peak=peak,
        status=stopped or ("ok" if proc.returncode == 0 else f"exit {proc.returncode}"),
    )
    if check and result.status != "ok":
        raise RuntimeError(f"{' '.join(cmd)}: {result.status}: {stderr[-2000:]}")
    return result


def last_json(text: str) -> dict[str, Any]:
    """The last line of ``text`` that is a JSON object."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise ValueError(f"no JSON line in: {text[-500:]}")


def data_file(count: int) -> Path:
    """The generated complaints (seed 1, Parquet) of ``count`` complaints, made once."""
    sys.path.insert(0, str(c.BENCH))
    import complaint_generator as gen

    data = c.OUT / f"complaints-{count}-seed1"
    source = data / "complaints.parquet"
    if not source.exists():
        partial = data.with_name(data.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        t0 = time.perf_counter()
        gen.write(gen.Knobs(count=count, seed=1), partial, "parquet")
        if data.exists():
            shutil.rmtree(data)
        partial.rename(data)
        print(f"generated {count:,} complaints in {time.perf_counter() - t0:.0f} s", flush=True)
    return source


def networks_args() -> tuple[list[str], int | None]:
    """``link networks`` arguments: ``--limit 100`` when the CLI has it."""
    home = c.OUT / "nodes"
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        c.cli(home, "link", "networks", "--help"),
        env={**c.cli_env(home), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    if "--limit" in proc.stdout:
        return ["link", "networks", "--json", "--limit", "100"], 100
    return ["link", "networks", "--json"], None


def run_ours(source: Path, name: str, networks: list[str] | None) -> dict[str, Any]:
    """Ingest, run (and list the networks, unless ``networks`` is None) on a fresh node."""
    home = c.fresh_home(name)
    ctx, _case = c.init_node_home(home)
    ctx.dispose()
    env = c.cli_env(home)
    stages: dict[str, Measured] = {}
    argvs = [
        ("ingest", ["link", "ingest", str(source), "--json"]),
        ("run", ["link", "run", "--engine", "duckdb", "--json"]),
    ]
    if networks is not None:
        argvs.append(("networks", networks))
    for stage, argv in argvs:
        print(f"  {name}: comity {' '.join(argv[:3])} …", flush=True)
        stages[stage] = measure(c.cli(home, *argv), env=env)
        print(f"    {stages[stage].seconds:.1f} s, {stages[stage].peak / MB:,.0f} MB", flush=True)
    db_bytes = sum(f.stat().st_size for f in home.glob("comity.db*"))
    suppressed = home / "suppressed.json"
    suppressed.write_text(json.dumps(c.last_suppressed(home)))
    labels = home / "ours.parquet"
    measure([c.PYTHON, str(ANCHORS), "ours", str(home / "comity.db"), str(labels)])
    return {
        "home": home,
        "stages": stages,
        "ingest": json.loads(stages["ingest"].stdout),
        "run": json.loads(stages["run"].stdout),
        "networks": json.loads(stages["networks"].stdout) if "networks" in stages else None,
        "suppressed": suppressed,
        "db_bytes": db_bytes,
        "labels": labels,
    }


def compare(ours: Path, theirs: Path) -> dict[str, Any]:
    """Compare two partitions (in a process of its own: no memory held here)."""
    return last_json(measure([c.PYTHON, str(ANCHORS), "compare", str(ours), str(theirs)]).stdout)


def main() -> int:
    args = c.parse_sized_args(__doc__ or NAME, quick=20_000, full=GOAL_COUNT)
    count = args.count
    if args.repeat != 1:
        print("linkage-scale runs one round (--repeat ignored)")
    c.check_disk(c.OUT, count * 4_000)
    work = c.OUT / "linkage-scale-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    source = data_file(count)
    networks, limit = networks_args()
    print(f"ours at {count:,}", flush=True)
    ours = run_ours(source, "linkage-scale", networks)
    stages: dict[str, Measured] = ours["stages"]
    end_to_end = sum(m.seconds for m in stages.values())
    peak = max(m.peak for m in stages.values())
    checks: dict[str, Any] = {}

    # Splink at the full size.
    limit_s = max(SPLINK_TIME_FACTOR * end_to_end, SPLINK_MIN_SECONDS)
    print(f"Splink at {count:,} (stopped after {limit_s:.0f} s)", flush=True)
    db = ours["home"] / "comity.db"
    spill_limit = max(shutil.disk_usage(work).free // 2, 10**9)
    splink_labels = work / "splink.parquet"
    splink = measure(
        [
            c.PYTHON,
            str(ANCHORS),
            "splink",
            str(db),
            str(ours["suppressed"]),
            str(splink_labels),
            "--memory",
            SPLINK_MEMORY,
            "--spill",
            str(work / "splink-spill"),
            "--spill-limit",
            f"{spill_limit // 10**9}GB",
        ],
        limit_s=limit_s,
        kill_above=SPLINK_KILL_BYTES,
        check=False,
    )
    shutil.rmtree(work / "splink-spill", ignore_errors=True)
    splink_figures: dict[str, Any] = {}
    if splink.status == "ok":
        splink_figures = last_json(splink.stdout)
        checks["splink"] = compare(ours["labels"], splink_labels)
        splink_status = "finished"
    elif splink.status == "timeout":
        splink_status = f"did not finish: stopped after {splink.seconds:.0f} s (3x ours)"
    elif splink.status == "memory":
        splink_status = (
            f"did not finish: stopped at {splink.tree_peak / MB:,.0f} MB after "
            f"{splink.seconds:.0f} s (limit {SPLINK_KILL_BYTES / MB:,.0f} MB)"
        )
    else:
        tail = splink.stderr.strip().splitlines()[-1:] or [""]
        splink_status = f"did not finish: {splink.status}: {tail[0][:300]}"
        if args.quick:  # a crash at a tiny size is this script's bug, not a finding
            raise RuntimeError(f"Splink failed: {splink.stderr[-3000:]}")
    print(f"  {splink_status}, {splink.seconds:.1f} s, {splink.peak / MB:,.0f} MB", flush=True)

    # networkx at 1 million (or the size run), on the data ours linked too.
    nx_count = min(count, NETWORKX_AT)
    if nx_count == count:
        at_nx = ours
    else:
        print(f"ours at {nx_count:,} (for networkx)", flush=True)
        at_nx = run_ours(data_file(nx_count), f"linkage-scale-{nx_count}", None)
    print(f"networkx at {nx_count:,}", flush=True)
    nx_labels = work / "networkx.parquet"
    nx_run = measure(
        [
            c.PYTHON,
            str(ANCHORS),
            "networkx",
            str(at_nx["home"] / "comity.db"),
            str(at_nx["suppressed"]),
            str(nx_labels),
        ]
    )
    nx_figures = last_json(nx_run.stdout)
    checks["networkx"] = compare(at_nx["labels"], nx_labels)
    ours_run_nx = at_nx["stages"]["run"]
    print(f"  {nx_run.seconds:.1f} s, {nx_run.peak / MB:,.0f} MB", flush=True)

    rate = count / end_to_end
    finished = splink.status == "ok"
    run_s = stages["run"].seconds
    summary = ours["run"]
    timings = ours["ingest"].get("seconds")
    run_seconds = summary.get("seconds")
    extra: dict[str, Any] = {
        **{k: v for stage, m in stages.items() for k, v in m.figures(stage).items()},
        "end_to_end_s": round(end_to_end, 2),
        "peak_MB": round(peak / MB, 1),
        "db_MB": round(ours["db_bytes"] / MB, 1),
        "ingest_seconds": timings if isinstance(timings, dict) else None,
        "run_seconds": run_seconds if isinstance(run_seconds, dict) else None,
        "ingested": ours["ingest"].get("ingested"),
        "rejected": ours["ingest"].get("rejected_total"),
        "networks": summary.get("networks"),
        "linked": summary.get("linked"),
        "suppressed": summary.get("suppressed"),
        "networks_limit": limit if limit is not None else "none (--limit not in this CLI)",
        "splink_status": splink_status,
        **splink.figures("splink"),
        **{f"splink_{k}": v for k, v in splink_figures.items()},
        "networkx_at": nx_count,
        **nx_run.figures("networkx"),
        **{f"networkx_{k}": v for k, v in nx_figures.items()},
        "networkx_vs_our_run": round(nx_run.seconds / ours_run_nx.seconds, 2),
        "partitions_equal": {name: check["equal"] for name, check in checks.items()},
        "groups_compared": {name: check["groups"][0] for name, check in checks.items()},
    }
    if at_nx is not ours:
        for stage, m in at_nx["stages"].items():
            extra.update(m.figures(f"ours_{stage}_at_{nx_count}"))
    met = None if count < GOAL_COUNT else end_to_end < GOAL_SECONDS and peak < GOAL_BYTES
    anchor_name = "Splink deterministic_link + clustering, DuckDB backend"
    if not finished:
        anchor_name += " (DID NOT FINISH: its rate is an upper bound, the ratio a lower bound)"
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="complaints per second, file to ranked networks",
        ours=rate,
        anchor=count / splink.seconds,
        anchor_name=anchor_name,
        ratio=splink.seconds / run_s,
        goal=(
            f"{GOAL_COUNT:,} complaints in under {GOAL_SECONDS / 60:.0f} minutes end to end, "
            f"under {GOAL_BYTES / 1e9:.0f} GB peak"
        ),
        met=met,
        params={
            "complaints": count,
            "file": f"{source.parent.name}/{source.name}",
            "engine": "duckdb",
            "splink_memory_limit": SPLINK_MEMORY,
            "splink_time_limit_s": round(limit_s, 1),
            "splink_spill_limit_GB": spill_limit // 10**9,
            "networkx_at": nx_count,
        },
        extra=extra,
        samples={f"{stage}_s": [round(m.seconds, 3)] for stage, m in stages.items()},
    )
    c.save(result, args.quick)
    print_summary(count, stages, end_to_end, peak, splink, splink_status, nx_count, nx_run, at_nx)

    for home in {str(ours["home"]), str(at_nx["home"])}:
        shutil.rmtree(home, ignore_errors=True)
    bad = {name: check for name, check in checks.items() if not check["equal"]}
    if bad:
        print(f"PARTITIONS DIFFER from ours: {json.dumps(bad)}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


def print_summary(
    count: int,
    stages: dict[str, Measured],
    end_to_end: float,
    peak: int,
    splink: Measured,
    splink_status: str,
    nx_count: int,
    nx_run: Measured,
    at_nx: dict[str, Any],
) -> None:
    """A short table for people."""
    print()
    print(f"{count:,} complaints, file to ranked networks:")
    for stage, m in stages.items():
        print(
            f"  {stage:<9} {m.seconds:8.1f} s   peak {m.peak / MB:8,.0f} MB"
            f"   (others used {m.timing.others_cpu:.0f} CPU s meanwhile)"
        )
    print(
        f"  {'total':<9} {end_to_end:8.1f} s   peak {peak / MB:8,.0f} MB   "
        f"{count / end_to_end:,.0f} complaints/s"
        f" (goal: {GOAL_COUNT:,} in {GOAL_SECONDS:.0f} s, {GOAL_BYTES / 1e9:.0f} GB)"
    )
    print(f"  Splink    {splink.seconds:8.1f} s   peak {splink.peak / MB:8,.0f} MB")
    print(f"            {splink_status}")
    ours_run = at_nx["stages"]["run"]
    print(
        f"  at {nx_count:,}: networkx {nx_run.seconds:.1f} s ({nx_run.peak / MB:,.0f} MB), "
        f"our link run {ours_run.seconds:.1f} s ({ours_run.peak / MB:,.0f} MB)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
