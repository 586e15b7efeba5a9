"""Run every benchmark (each its own script and process), print a table, write results.json.

    .venv/bin/python bench/run_all.py             # full sizes (``make bench``), ~15-20 min
    .venv/bin/python bench/run_all.py --quick     # tiny sizes: checks the scripts still run
    .venv/bin/python bench/run_all.py --only ingest ledger_verify

Each script runs its code and its anchor alternately on the same data and reports medians and
the ratio ``anchor time / our time``. Results: ``bench/out/results.json`` (``results-quick.json``
with ``--quick``); one file per benchmark beside it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import _common as c

SCRIPTS = {
    "ingest": "bench_ingest.py",
    "verify_package": "bench_verify_package.py",
    "ledger_append": "bench_ledger_append.py",
    "ledger_verify": "bench_ledger_verify.py",
    "normalize": "bench_normalize.py",
    "intel_import": "bench_intel_import.py",
    "taxii": "bench_taxii.py",
    "linkage": "bench_linkage.py",
    "linkage-scale": "bench_linkage_scale.py",
    "psi": "bench_psi.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Run Comity's benchmarks.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per benchmark")
    parser.add_argument("--only", nargs="+", choices=sorted(SCRIPTS), help="run only these")
    args = parser.parse_args()

    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in args.only or list(SCRIPTS):
        cmd = [sys.executable, str(c.BENCH / SCRIPTS[name])]
        if args.quick:
            cmd.append("--quick")
        if args.repeat is not None:
            cmd += ["--repeat", str(args.repeat)]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(cmd, check=False).returncode
        path = c.OUT / f"{name}{'-quick' if args.quick else ''}.json"
        if code != 0 or not path.is_file():
            failed.append(name)
            results.append({"name": name, "error": f"exited {code}"})
            continue
        data = json.loads(path.read_text())
        data["wall_s"] = round(time.perf_counter() - t0, 1)
        results.append(data)

    ran = {r["name"] for r in results}
    for name in SCRIPTS:  # with --only, keep the latest results of the others (own dates)
        path = c.OUT / f"{name}{'-quick' if args.quick else ''}.json"
        if name not in ran and path.is_file():
            results.append({**json.loads(path.read_text()), "from_earlier_run": True})
    results.sort(key=lambda r: list(SCRIPTS).index(r["name"]))
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "quick": args.quick,
        "total_s": round(time.perf_counter() - started, 1),
        "machine": c.machine(),
        "results": results,
    }
    out = c.OUT / f"results{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(summary))
    print()
    print(table(results))
    print(f"\nwritten {out} ({summary['total_s']} s)")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


def table(results: list[dict[str, Any]]) -> str:
    """A plain-text table of the results: ours, anchor, ratio, goal."""
    rows = [("benchmark", "metric", "ours", "anchor", "ratio", "goal", "met")]
    for r in results:
        if "error" in r:
            rows.append((r["name"], "-", "-", "-", "-", "-", f"ERROR {r['error']}"))
        elif "unavailable" in r:
            rows.append((r["name"], "-", "-", "-", "-", "-", f"unavailable: {r['unavailable']}"))
        else:
            met = {True: "yes", False: "NO", None: "-"}[r["met"]]
            rows.append(
                (
                    r["name"],
                    r["metric"],
                    f"{r['ours']:.4g}",
                    f"{r['anchor']:.4g} ({r['anchor_name']})",
                    f"{r['ratio']:.2f}",
                    r["goal"],
                    met,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(summary: dict[str, Any]) -> str:
    """The results as a Markdown table (pasted into BENCHMARKS.md)."""
    lines = [
        "| benchmark | ours (median) | anchor (median) | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in summary["results"]:
        if "error" in r or "unavailable" in r:
            lines.append(f"| {r['name']} | - | - | - | - | {r.get('error') or r['unavailable']} |")
            continue
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        lines.append(
            f"| {r['title']} | {r['ours']:.4g} | {r['anchor']:.4g} ({r['anchor_name']}) "
            f"| {r['ratio']:.2f} | {r['goal']} | {met} |"
        )
    m = summary["machine"]
    lines += [
        "",
        f"{summary['date']}; `{summary['command']}`; {summary['total_s']} s; "
        f"{m['cores']} cores, {m['cpu']}; Python {m['python']}; {m['openssl_cli']}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
