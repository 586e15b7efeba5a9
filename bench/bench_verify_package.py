"""Package verification: ``comity verify`` of a package holding a 2 GiB file vs openssl.

Setup (not timed): a sender node ingests the benchmark file (the one ``bench_ingest.py``
uses), a recipient node is registered as its peer (``comity node export`` / ``comity peer
add``), and the CLI writes the package: ``comity evidence export CASE --to REC --out PATH``
(timed once, for information) as a ``.zip`` and as a folder.

Timed, alternately, for each form: ``comity verify PATH --trust SENDER --json`` (the real CLI
in a subprocess: structure, every hash, ledgers, signature) and ``openssl dgst -sha256`` of the
same bytes (the package file for ``.zip``, the payload file for a folder). Reported: medians
and the ratio ``openssl / ours`` (goal >= 0.8).

    .venv/bin/python bench/bench_verify_package.py           # 2 GiB, 5 rounds
    .venv/bin/python bench/bench_verify_package.py --quick   # 4 MiB, 1 round
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import _common as c

NAME = "verify_package"
TITLE = "comity verify of a package holding a 2 GiB file vs openssl dgst -sha256"
FULL_SIZE = 2 << 30
QUICK_SIZE = 4 << 20
FORMATS = ("zip", "folder")


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=5)
    size = QUICK_SIZE if args.quick else FULL_SIZE
    c.check_disk(c.OUT, size * 4 + (512 << 20))
    data = c.make_data_file(c.OUT / f"evidence-{size >> 20}m.bin", size)
    sender, recipient, case, trust = _nodes(data)
    results: dict[str, dict[str, Any]] = {}
    try:
        for form in FORMATS[:1] if args.quick else FORMATS:
            results[form] = _measure(form, sender, case, trust, data, args.repeat)
    except MissingCommand as exc:
        c.unavailable(NAME, TITLE, f"the CLI has no '{exc}' command yet", args.quick)
        return 0
    finally:
        shutil.rmtree(sender, ignore_errors=True)
        shutil.rmtree(recipient, ignore_errors=True)

    main_form = results[FORMATS[0]]
    ratio = main_form["anchor_s"] / main_form["ours_s"]
    mib = size / 2**20
    extra: dict[str, Any] = {}
    for form, r in results.items():
        extra[f"{form}: ours_s"] = round(r["ours_s"], 3)
        extra[f"{form}: openssl_s"] = round(r["anchor_s"], 3)
        extra[f"{form}: ratio"] = round(r["anchor_s"] / r["ours_s"], 2)
        extra[f"{form}: ours_MiB_per_s"] = round(mib / r["ours_s"], 1)
        extra[f"{form}: export_s"] = round(r["export_s"], 2)
        extra[f"{form}: peak_rss_MB"] = round(r["peak_rss_kib"] * 1024 / 1e6, 1)
        extra[f"{form}: others_cpu_s_median"] = r["others_cpu_s"]
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="seconds (median), .zip package",
        ours=main_form["ours_s"],
        anchor=main_form["anchor_s"],
        anchor_name="openssl dgst -sha256",
        ratio=ratio,
        goal="ratio >= 0.8",
        met=None if args.quick else ratio >= 0.8,
        params={"size_bytes": size, "rounds": args.repeat, "forms": list(results)},
        extra=extra,
        samples={f"{form}: {k}": v for form, r in results.items() for k, v in r["samples"].items()},
    )
    c.save(result, args.quick)
    return 0


class MissingCommand(Exception):
    """The CLI lacks a command the benchmark needs (the package work not merged yet)."""


def _run(cmd: list[str], home: Path, command: str) -> tuple[c.Timing, str, int]:
    try:
        return c.run_timed(cmd, env=c.cli_env(home))
    except RuntimeError as exc:
        if "No such command" in str(exc):
            raise MissingCommand(command) from exc
        raise


def _nodes(data: Path) -> tuple[Path, Path, str, Path]:
    """A sender holding ``data`` in a case and a recipient it knows as peer REC."""
    from comity.evidence.ingest import IngestOptions, ingest

    sender = c.fresh_home("package-sender")
    recipient = c.fresh_home("package-recipient")
    ctx, case = c.init_node_home(sender, code="BEN")
    ingest(ctx, None, case, [data], IngestOptions(examiner="bench"))
    ctx.dispose()
    rctx, _ = c.init_node_home(recipient, code="REC")
    rctx.dispose()
    descriptor = c.OUT / "recipient-node.json"
    c.run_cli(recipient, "node", "export", "--out", str(descriptor))
    c.run_cli(sender, "peer", "add", "--descriptor", str(descriptor))
    trust = c.OUT / "sender-node.json"
    c.run_cli(sender, "node", "export", "--out", str(trust))
    return sender, recipient, case, trust


def _measure(
    form: str, sender: Path, case: str, trust: Path, data: Path, rounds: int
) -> dict[str, Any]:
    out = c.OUT / ("package.zip" if form == "zip" else "package")
    if out.is_dir():
        shutil.rmtree(out)
    out.unlink(missing_ok=True)
    export, _out, _rss = _run(
        c.cli(sender, "evidence", "export", case, "--to", "REC", "--out", str(out), "--json"),
        sender,
        "comity evidence export",
    )
    if form == "zip":
        hashed = out
    else:
        (hashed,) = (p for p in (out / "data").rglob("*") if p.is_file())
    openssl = ["openssl", "dgst", "-sha256", str(hashed)]
    c.run_timed(openssl)  # warm-up, as for the anchor
    verify = c.cli(sender, "verify", str(out), "--trust", str(trust), "--json")
    rss: list[int] = []

    def ours(_i: int) -> c.Timing:
        timing, stdout, maxrss = _run(verify, sender, "comity verify")
        report = json.loads(stdout)
        if not report.get("ok"):
            raise SystemExit(f"comity verify says the package is broken: {report}")
        rss.append(maxrss)
        return timing

    def anchor(_i: int) -> c.Timing:
        return c.run_timed(openssl)[0]

    mine, theirs = c.alternate(rounds, ours, anchor)
    if out.is_dir():
        shutil.rmtree(out)
    out.unlink(missing_ok=True)
    del data
    return {
        "ours_s": c.median([t.seconds for t in mine]),
        "anchor_s": c.median([t.seconds for t in theirs]),
        "export_s": export.seconds,
        "peak_rss_kib": max(rss),
        "others_cpu_s": round(c.median([t.others_cpu for t in mine]), 2),
        "samples": {
            "ours_s": [round(t.seconds, 3) for t in mine],
            "openssl_s": [round(t.seconds, 3) for t in theirs],
        },
    }


if __name__ == "__main__":
    sys.exit(main())
