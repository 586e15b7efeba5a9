"""The benchmark scripts still run: each with ``--quick`` (tiny sizes), exit 0, print a ratio.

They run in parallel, each in its own process, with their output folder moved to a temporary
one (``BENCH_OUT_DIR``) so a benchmark run in ``bench/out`` is left alone. Timing is never
asserted here: performance is measured by the scripts themselves (see BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("bench_*.py"))


def test_every_bench_script_runs_quick_and_prints_a_ratio(tmp_path: Path) -> None:
    assert len(SCRIPTS) >= 4, SCRIPTS
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    procs = {}
    for script in SCRIPTS:
        out = tmp_path / script.removesuffix(".py")
        env_one = {**env, "BENCH_OUT_DIR": str(out)}
        procs[script] = subprocess.Popen(
            [sys.executable, str(BENCH / script), "--quick"],
            env=env_one,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for script, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{stdout}\n{stderr}"
        assert "ratio" in stdout, f"{script} printed no ratio:\n{stdout}"
        (result,) = (tmp_path / script.removesuffix(".py")).glob("*-quick.json")
        data = json.loads(result.read_text())
        assert data["quick"] is True and data["ratio"] > 0, data
