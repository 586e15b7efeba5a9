"""Shared helpers of the benchmarks: timing, medians, fresh nodes, machine facts, results.

Every benchmark times our code and its anchor on the same data in the same run, alternately,
and reports medians and the ratio ``anchor time / our time`` (higher is better; 1.0 means as
fast as the anchor). Results go to ``bench/out/<name>.json``; ``run_all.py`` merges them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = Path(os.environ.get("BENCH_OUT_DIR") or BENCH / "out")
"""Where data, nodes and results go (``BENCH_OUT_DIR`` moves it, e.g. for the tests)."""
PYTHON = sys.executable


def parse_args(description: str, default_repeat: int = 3) -> argparse.Namespace:
    """``--quick`` (tiny sizes: checks the script runs) and ``--repeat N``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument(
        "--repeat", type=int, default=None, help=f"repetitions (default {default_repeat})"
    )
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.quick else default_repeat
    return args


def parse_sized_args(description: str, quick: int, full: int) -> argparse.Namespace:
    """``--quick`` (``quick`` items), ``--count N`` (default ``full``), ``--repeat N`` (1).

    ``args.count`` is the size to run.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=f"{quick:,} items, one round")
    parser.add_argument("--count", type=int, default=None, help=f"items (default {full:,})")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (default 1)")
    args = parser.parse_args()
    args.count = args.count or (quick if args.quick else full)
    return args


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return float(statistics.median(values))


def busy_ticks() -> int:
    """Non-idle CPU ticks of the whole machine so far (all processes, from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


@dataclass
class Timing:
    """Wall time of one measurement and the CPU the whole machine spent meanwhile."""

    seconds: float
    machine_cpu: float
    own_cpu: float = 0.0

    @property
    def others_cpu(self) -> float:
        """CPU seconds other processes used during the measurement (noise indicator)."""
        return max(0.0, self.machine_cpu - self.own_cpu)


@contextmanager
def timed() -> Iterator[list[Timing]]:
    """Time a block: wall clock, machine CPU and this process's (and children's) CPU."""
    box: list[Timing] = []
    ticks = os.sysconf("SC_CLK_TCK")
    t0, b0, c0 = time.perf_counter(), busy_ticks(), _own_cpu()
    yield box
    box.append(Timing(time.perf_counter() - t0, (busy_ticks() - b0) / ticks, _own_cpu() - c0))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def run_timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[Timing, str, int]:
    """Run ``cmd``; return its timing, standard output and peak RSS in KiB.

    The peak RSS is read with ``wait4`` for this very child, so it is not the maximum over
    every child this process ever had (what ``RUSAGE_CHILDREN`` would give).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    t0, b0 = time.perf_counter(), busy_ticks()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    machine = (busy_ticks() - b0) / ticks
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
        )
    own = usage.ru_utime + usage.ru_stime
    return Timing(seconds, machine, own), out.decode(), usage.ru_maxrss


def make_data_file(path: Path, size: int) -> Path:
    """Create ``path`` with ``size`` random bytes once (kept for later runs)."""
    if path.is_file() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    block = 16 << 20
    with tmp.open("wb") as handle:
        left = size
        while left:
            n = min(block, left)
            handle.write(os.urandom(n))
            left -= n
    tmp.replace(path)
    return path


def check_disk(folder: Path, needed: int) -> None:
    """Refuse to start when ``folder``'s file system has less than ``needed`` bytes free."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SystemExit(
            f"not enough disk space in {folder}: {free >> 20} MiB free, need {needed >> 20} MiB"
        )


def cli_env(home: Path) -> dict[str, str]:
    """An environment for the ``comity`` CLI on the node at ``home`` (SQLite inside it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    env["COMITY_HOME"] = str(home)
    return env


def cli(home: Path, *args: str) -> list[str]:
    """The command line running ``comity ARGS`` (the real entry point) on ``home``."""
    del home  # passed through the environment, see cli_env
    return [PYTHON, "-m", "comity.cli.main", *args]


def run_cli(home: Path, *args: str) -> str:
    """Run ``comity ARGS`` on ``home`` and return its standard output (raises on failure)."""
    proc = subprocess.run(
        cli(home, *args), env=cli_env(home), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"comity {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


def fresh_home(name: str) -> Path:
    """An empty folder for a node under ``bench/out/nodes``."""
    home = OUT / "nodes" / name
    if home.exists():
        shutil.rmtree(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    return home


def init_node_home(home: Path, code: str = "BEN") -> tuple[Any, Any]:
    """Initialize a node at ``home`` in this process; return its context and a case.

    Setting up is not measured, so it uses the services directly instead of three CLI runs.
    """
    from comity.cases.services import create_case
    from comity.context import NodeContext
    from comity.core.settings import load_settings
    from comity.identity.services import init_node, resolve_actor

    ctx = NodeContext(load_settings(home=home))
    init_node(ctx, agency="Benchmark Agency", code=code, country="IN", timezone="Asia/Kolkata")
    with ctx.transaction() as session:
        actor = resolve_actor(session, None)
        case = create_case(session, actor, title="benchmark", jurisdictions=["IN"])
        session.flush()
        reference = case.reference
    return ctx, reference


def last_suppressed(home: Path) -> list[list[str]]:
    """``[type, value]`` of what the node's last ``comity link run`` suppressed (SQLite)."""
    import sqlite3

    with sqlite3.connect(home / "comity.db") as db:
        (details,) = db.execute(
            "SELECT details FROM link_runs ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    return [[t, v] for t, v, _reason in json.loads(details)["suppressed"]]


def machine() -> dict[str, Any]:
    """Cores, CPU model, kernel, Python and OpenSSL versions."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        openssl = subprocess.run(
            ["openssl", "version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        openssl = "absent"
    import ssl

    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_openssl": ssl.OPENSSL_VERSION,
        "openssl_cli": openssl,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


@dataclass
class Result:
    """One benchmark's outcome: medians, ratio, goal and the raw samples."""

    name: str
    title: str
    metric: str
    ours: float
    anchor: float
    anchor_name: str
    ratio: float
    goal: str
    met: bool | None
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return dict(self.__dict__)


def save(result: Result, quick: bool) -> Path:
    """Write ``bench/out/<name>[-quick].json`` and print a one-line summary with the ratio."""
    OUT.mkdir(parents=True, exist_ok=True)
    data = {
        **result.as_dict(),
        "quick": quick,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    path = OUT / f"{result.name}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    met = {True: "goal met", False: "GOAL MISSED", None: "no goal"}[result.met]
    print(
        f"{result.name}: {result.metric}: ours {result.ours:.4g}, {result.anchor_name} "
        f"{result.anchor:.4g}; ratio {result.ratio:.2f} ({result.goal}: {met})"
    )
    for key, value in result.extra.items():
        print(f"  {key}: {value}")
    return path


def unavailable(name: str, title: str, reason: str, quick: bool) -> Path:
    """Record that a benchmark could not run (e.g. a command not written yet)."""
    OUT.mkdir(parents=True, exist_ok=True)
    data = {
        "name": name,
        "title": title,
        "unavailable": reason,
        "quick": quick,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = OUT / f"{name}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{name}: UNAVAILABLE: {reason}")
    return path


def alternate(
    runs: int, ours: Callable[[int], Timing], anchor: Callable[[int], Timing]
) -> tuple[list[Timing], list[Timing]]:
    """Run anchor and ours alternately ``runs`` times each (anchor first in odd rounds)."""
    mine: list[Timing] = []
    theirs: list[Timing] = []
    for i in range(runs):
        if i % 2 == 0:
            theirs.append(anchor(i))
            mine.append(ours(i))
        else:
            mine.append(ours(i))
            theirs.append(anchor(i))
    return mine, theirs
