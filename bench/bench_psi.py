"""Private matching: 1,000,000 × 1,000,000 identifiers, the two parties in separate processes.

The identifiers (Indian mobile numbers and UPI ids, as ``type<TAB>canonical value``; a tenth
held by both sides) are generated once into ``bench/out``. Ours is :mod:`comity.link.psi` as a
match uses it, each step of each party in its own process, exchanging files: the requester
blinds its set (``start``), the responder blinds its own and the request (``respond``), the
requester finds the shared ones (``finish``); each party spreads its work over the cores.
The anchor is the same ECDH PSI (OpenMined's library) single-threaded in one process, the
way the library is used out of the box.

Reported: wall time, CPU seconds per party, bytes exchanged. Goal: under 4 minutes wall.

    .venv/bin/python bench/bench_psi.py            # 1,000,000 × 1,000,000, 1 round
    .venv/bin/python bench/bench_psi.py --quick    # 2,000 × 2,000
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import _common as c

NAME = "psi"
TITLE = "private matching of 1,000,000 x 1,000,000 identifiers, parties in separate processes"
GOAL_SECONDS = 240.0

STEP = r"""
import json, sys, time
from pathlib import Path
from comity.link import psi
step, folder = sys.argv[1], Path(sys.argv[2])
workers = None if sys.argv[3] == "auto" else int(sys.argv[3])
if step == "start":
    items = json.loads((folder / "a.json").read_text())
    secret, requests = psi.start(items, workers)
    (folder / "secret.json").write_text(json.dumps(secret.as_dict()))
    (folder / "request.json").write_text(json.dumps([psi.encode(r) for r in requests]))
elif step == "respond":
    items = json.loads((folder / "b.json").read_text())
    requests = [psi.decode(r) for r in json.loads((folder / "request.json").read_text())]
    answer = psi.respond(requests, items, workers)
    (folder / "answer.json").write_text(json.dumps(
        {"setup": psi.encode(answer.setup), "responses": [psi.encode(r) for r in answer.responses]}
    ))
elif step == "finish":
    secret = psi.Secret.from_dict(json.loads((folder / "secret.json").read_text()))
    doc = json.loads((folder / "answer.json").read_text())
    answer = psi.Answer(psi.decode(doc["setup"]), [psi.decode(r) for r in doc["responses"]])
    print(len(psi.finish(secret, answer, workers)))
elif step == "single":
    a = json.loads((folder / "a.json").read_text())
    b = json.loads((folder / "b.json").read_text())
    secret, requests = psi.start(a, 1)
    answer = psi.respond(requests, b, 1)
    print(len(psi.finish(secret, answer, 1)))
"""


def _items(count: int, offset: int, rng: random.Random) -> list[str]:
    numbers = [f"phone-number\t+91{9_000_000_000 + offset + i}" for i in range(count // 2)]
    upis = [f"upi-id\tpay{offset + i}@ybl" for i in range(count - count // 2)]
    items = numbers + upis
    rng.shuffle(items)
    return items


def main() -> int:
    args = c.parse_sized_args(__doc__ or NAME, quick=2_000, full=1_000_000)
    count = args.count
    data = c.OUT / f"psi-{count}"
    if not (data / "b.json").exists():
        data.mkdir(parents=True, exist_ok=True)
        rng = random.Random(1)
        shared = count // 10
        (data / "a.json").write_text(json.dumps(_items(count, 0, rng)))
        # each half of b starts where the last tenth of a's half begins
        (data / "b.json").write_text(json.dumps(_items(count, count // 2 - shared // 2, rng)))
    expected = 2 * (count // 10 // 2)  # the shared phone numbers and UPI ids

    def step(name: str, folder: Path) -> tuple[c.Timing, str]:
        timing, out, _rss = c.run_timed([c.PYTHON, "-c", STEP, name, str(folder), "auto"])
        return timing, out

    walls: list[float] = []
    requester_cpu: list[float] = []
    responder_cpu: list[float] = []
    exchanged: list[int] = []
    singles: list[c.Timing] = []
    for round_ in range(args.repeat):
        work = c.OUT / f"psi-run-{round_}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for name in ("a.json", "b.json"):
            (work / name).symlink_to(data / name)
        started, _ = step("start", work)
        answered, _ = step("respond", work)
        finished, out = step("finish", work)
        if int(out.strip()) != expected:
            raise SystemExit(f"found {out.strip()} shared identifiers, expected {expected}")
        walls.append(started.seconds + answered.seconds + finished.seconds)
        requester_cpu.append(started.own_cpu + finished.own_cpu)
        responder_cpu.append(answered.own_cpu)
        exchanged.append(
            (work / "request.json").stat().st_size + (work / "answer.json").stat().st_size
        )
        timing, out, _rss = c.run_timed([c.PYTHON, "-c", STEP, "single", str(work), "1"])
        if int(out.strip()) != expected:
            raise SystemExit(f"single-threaded: {out.strip()} shared, expected {expected}")
        singles.append(timing)
        shutil.rmtree(work)
    wall = c.median(walls)
    single = c.median([t.seconds for t in singles])
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="seconds, wall clock (median)",
        ours=wall,
        anchor=single,
        anchor_name="the same ECDH PSI single-threaded in one process",
        ratio=single / wall,
        goal=f"< {GOAL_SECONDS:.0f} s wall",
        met=None if args.quick else wall < GOAL_SECONDS,
        params={"identifiers_each": count, "shared": expected, "rounds": args.repeat},
        extra={
            "requester_cpu_s": round(c.median(requester_cpu), 1),
            "responder_cpu_s": round(c.median(responder_cpu), 1),
            "single_cpu_s": round(c.median([t.own_cpu for t in singles]), 1),
            "bytes_exchanged": int(c.median([float(b) for b in exchanged])),
        },
        samples={"wall_s": [round(w, 2) for w in walls], "single_s": [t.seconds for t in singles]},
    )
    c.save(result, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
