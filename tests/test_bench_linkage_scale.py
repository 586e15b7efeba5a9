"""bench/bench_linkage_scale.py: its process measurement, and a tiny run of both of its paths.

The ``--quick`` run of ``test_bench_scripts.py`` covers networkx at the size run; the run here
moves networkx to a smaller size (``BENCH_NETWORKX_AT``), which makes the script generate and
link a second data set, and checks that every anchor found our partition. Timing is never
asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def scale() -> Iterator[ModuleType]:
    """The script as a module (its measurement helpers write nothing)."""
    sys.path.insert(0, str(BENCH))
    try:
        import bench_linkage_scale

        yield bench_linkage_scale
    finally:
        sys.path.remove(str(BENCH))


def test_measure_counts_the_whole_process_tree(scale: ModuleType) -> None:
    hold = "import time; b = b'x' * 150_000_000; time.sleep(4)"  # overlap, even under load
    parent = f"import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', {hold!r}]); "
    parent += f"exec({hold!r}); p.wait()"
    measured = scale.measure([sys.executable, "-c", parent])
    assert measured.status == "ok"
    # The largest process alone holds its 150 MB (its high-water mark may also count the
    # test process's own memory at the fork that started it: Linux keeps it across exec).
    assert measured.maxrss > 150_000_000
    assert measured.tree_peak > 280_000_000  # both at once


def test_measure_stops_a_process_tree_at_its_time_limit(scale: ModuleType) -> None:
    sleeper = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
    sleeper += "'import time; time.sleep(60)']); time.sleep(60)"
    measured = scale.measure([sys.executable, "-c", sleeper], limit_s=1.0, check=False)
    assert measured.status == "timeout"
    assert measured.seconds < 10
    with pytest.raises(RuntimeError, match="timeout"):
        scale.measure([sys.executable, "-c", sleeper], limit_s=0.5)


def test_quick_run_with_networkx_on_a_second_data_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    env |= {"BENCH_OUT_DIR": str(tmp_path), "BENCH_NETWORKX_AT": "3000"}
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_linkage_scale.py"), "--quick"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    data = json.loads((tmp_path / "linkage-scale-quick.json").read_text())
    extra = data["extra"]
    assert data["quick"] is True and data["met"] is None and data["ratio"] > 0
    assert extra["partitions_equal"] == {"splink": True, "networkx": True}
    assert extra["splink_status"] == "finished" and extra["splink_pairs"] > 0
    assert extra["networkx_at"] == 3000 and extra["ours_run_at_3000_s"] > 0
    for stage in ("ingest", "run", "networks"):
        assert extra[f"{stage}_s"] > 0 and extra[f"{stage}_peak_rss_MB"] > 0
    assert not (tmp_path / "nodes" / "linkage-scale").exists()  # nodes are removed
