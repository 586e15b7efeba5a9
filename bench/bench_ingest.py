"""Ingest throughput: ``comity evidence add`` of a 2 GiB file against ``openssl dgst -sha256``.

Each round runs, alternately, ``openssl dgst -sha256 FILE`` and the real CLI in a subprocess
on a fresh node home (SQLite): ``comity evidence add CASE FILE --json``, which reads, hashes
(SHA-256), encrypts (AES-256-GCM) and writes the file into the store and records it. Nothing is
dropped from the page cache: both read the same cached file. Reported: median times, the ratio
``openssl / ours`` (goal >= 0.8) and the peak RSS of the ingest process (goal < 150 MB).

Also measured, to show where the time goes: the command's fixed cost (``comity evidence add``
of a one-byte file: start-up, database, records, with nothing to overlap them with), the
streaming pipeline alone (``hash_and_encrypt`` in this process, same file), and the difference
between the command and the pipeline alone: what the command adds that the background stream
does not hide (start-up before the stream starts, recording after it ends, contention between
the two).

    .venv/bin/python bench/bench_ingest.py            # 2 GiB, 5 rounds
    .venv/bin/python bench/bench_ingest.py --quick    # 4 MiB, 1 round
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import _common as c

NAME = "ingest"
TITLE = "comity evidence add (2 GiB, SQLite) vs openssl dgst -sha256"
FULL_SIZE = 2 << 30
QUICK_SIZE = 4 << 20
RSS_GOAL_MB = 150


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=5)
    size = QUICK_SIZE if args.quick else FULL_SIZE
    c.check_disk(c.OUT, size * 2 + (256 << 20))
    data = c.make_data_file(c.OUT / f"evidence-{size >> 20}m.bin", size)
    openssl = ["openssl", "dgst", "-sha256", str(data)]
    anchor_out = c.run_timed(openssl)[1]  # warm-up: the file is now in the page cache
    expected = anchor_out.strip().rsplit("= ", 1)[-1].strip()

    rss: list[int] = []

    def ours(i: int) -> c.Timing:
        home = c.fresh_home(f"ingest-{i}")
        ctx, case = c.init_node_home(home)
        ctx.dispose()
        timing, out, maxrss = c.run_timed(
            c.cli(home, "evidence", "add", case, str(data), "--json"), env=c.cli_env(home)
        )
        (item,) = json.loads(out)["items"]
        if item["hashes"]["sha256"] != expected or item["size"] != size:
            raise SystemExit(f"ingest recorded {item['hashes']['sha256']}, expected {expected}")
        if i == 0:  # the stored blob decrypts to the same bytes
            report = json.loads(c.run_cli(home, "custody", "verify", "--json"))
            if not report["ok"]:
                raise SystemExit(f"custody verify failed after ingest: {report}")
        rss.append(maxrss)
        shutil.rmtree(home)
        return timing

    def anchor(_i: int) -> c.Timing:
        return c.run_timed(openssl)[0]

    mine, theirs = c.alternate(args.repeat, ours, anchor)
    startup = _fixed_cost(args.repeat)
    stream = [_stream_only(data, expected).seconds for _ in range(args.repeat)]

    ours_s = c.median([t.seconds for t in mine])
    anchor_s = c.median([t.seconds for t in theirs])
    ratio = anchor_s / ours_s
    peak_mb = max(rss) * 1024 / 1e6
    mib = size / 2**20
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="seconds (median)",
        ours=ours_s,
        anchor=anchor_s,
        anchor_name="openssl dgst -sha256",
        ratio=ratio,
        goal="ratio >= 0.8 and peak RSS < 150 MB",
        met=None if args.quick else ratio >= 0.8 and peak_mb < RSS_GOAL_MB,
        params={"size_bytes": size, "rounds": args.repeat, "database": "sqlite"},
        extra={
            "ours_MiB_per_s": round(mib / ours_s, 1),
            "openssl_MiB_per_s": round(mib / anchor_s, 1),
            "peak_rss_MB": round(peak_mb, 1),
            "rss_goal_met": peak_mb < RSS_GOAL_MB,
            "ratio_goal_met": ratio >= 0.8,
            "cli_startup_s": round(c.median(startup), 3),
            "stream_only_s": round(c.median(stream), 3),
            "stream_only_ratio": round(anchor_s / c.median(stream), 2),
            "visible_overhead_s": round(ours_s - c.median(stream), 3),
            "others_cpu_s_median": round(c.median([t.others_cpu for t in mine]), 2),
        },
        samples={
            "ours_s": [round(t.seconds, 3) for t in mine],
            "openssl_s": [round(t.seconds, 3) for t in theirs],
            "peak_rss_kib": rss,
            "cli_startup_s": [round(s, 3) for s in startup],
            "stream_only_s": [round(s, 3) for s in stream],
            "others_cpu_s": [round(t.others_cpu, 2) for t in mine],
        },
    )
    c.save(result, args.quick)
    return 0


def _fixed_cost(rounds: int) -> list[float]:
    """The command's fixed cost: ``comity evidence add`` of a one-byte file, start-up included."""
    home = c.fresh_home("ingest-fixed")
    ctx, case = c.init_node_home(home)
    ctx.dispose()
    tiny = home / "one-byte.bin"
    tiny.write_bytes(b"x")
    cmd = c.cli(home, "evidence", "add", case, str(tiny), "--json")
    seconds = [c.run_timed(cmd, env=c.cli_env(home))[0].seconds for _ in range(rounds)]
    shutil.rmtree(home)
    return seconds


def _stream_only(data: Path, expected: str) -> c.Timing:
    """The pipeline alone: read, hash, encrypt and write the blob, in this process."""
    from comity.core.aead import new_key
    from comity.evidence.streaming import hash_and_encrypt

    target = c.OUT / "stream-only.blob"
    target.unlink(missing_ok=True)
    with c.timed() as box, data.open("rb") as handle:
        result = hash_and_encrypt(handle, target, new_key(), ("sha256",))
    target.unlink()
    if result.digests["sha256"] != expected:
        raise SystemExit("hash_and_encrypt computed another SHA-256 than openssl")
    return box[0]


if __name__ == "__main__":
    sys.exit(main())
