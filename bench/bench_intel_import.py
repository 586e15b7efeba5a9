"""STIX import: ``comity intel import`` of a 100,000-object bundle against ``stix2.parse``.

The bundle is generated (seeded, so every run reads the same bytes): fraud infrastructure as
agencies share it — observables (domains, URLs, IPs, e-mail addresses, phone numbers, bank
accounts, UPI ids, wallets), indicators with STIX patterns, infrastructure, threat actors,
relationships, sightings and reports, a quarter of them TLP-marked. Ours is the real CLI in a
subprocess on a fresh SQLite node: read, check every object, apply TLP, store, index every
identifier for correlation, audit. The anchor, alternately and on the same file, is parsing the
bundle with the OASIS ``stix2`` library (``stix2.parse(..., allow_custom=True)``) — parsing
only, nothing stored. Reported: objects per second (goal >= 20,000) and each side's peak RSS;
also objects per CPU second of each process, which the machine's other load disturbs less.

    .venv/bin/python bench/bench_intel_import.py            # 100,000 objects, 3 rounds
    .venv/bin/python bench/bench_intel_import.py --quick    # 2,000 objects, 1 round
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from typing import Any

import _common as c

NAME = "intel_import"
TITLE = "comity intel import of a 100,000-object STIX bundle vs stix2.parse"
GOAL = 20_000
GENERATOR_VERSION = 2  # bump when make_bundle changes: the file is generated once and kept
TLP_IDS = [
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
]
STAMP = "2026-11-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"
ANCHOR = (
    "import sys, stix2\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    bundle = stix2.parse(f.read(), allow_custom=True)\n"
    "print(len(bundle.objects))\n"
)


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=3)
    count = 2_000 if args.quick else 100_000
    path = c.OUT / f"stix-bundle-{count}-v{GENERATOR_VERSION}.json"
    if not path.exists():
        c.OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_bundle(count)))
    rss: dict[str, list[int]] = {"ours": [], "anchor": []}

    def ours(i: int) -> c.Timing:
        home = c.fresh_home(f"intel-import-{i}")
        ctx, _case = c.init_node_home(home)
        ctx.dispose()
        timing, out, maxrss = c.run_timed(
            c.cli(home, "intel", "import", str(path), "--json"), env=c.cli_env(home)
        )
        added = json.loads(out)["added"]
        if added != count:
            raise SystemExit(f"import added {added} objects, expected {count}")
        rss["ours"].append(maxrss)
        shutil.rmtree(home)
        return timing

    def anchor(_i: int) -> c.Timing:
        timing, out, maxrss = c.run_timed([c.PYTHON, "-c", ANCHOR, str(path)])
        if int(out.strip()) != count:
            raise SystemExit(f"stix2 parsed {out.strip()} objects, expected {count}")
        rss["anchor"].append(maxrss)
        return timing

    mine, theirs = c.alternate(args.repeat, ours, anchor)
    ours_rate = count / c.median([t.seconds for t in mine])
    anchor_rate = count / c.median([t.seconds for t in theirs])
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="objects per second (median)",
        ours=ours_rate,
        anchor=anchor_rate,
        anchor_name="stix2.parse",
        ratio=ours_rate / anchor_rate,
        goal=f">= {GOAL} objects/s",
        met=None if args.quick else ours_rate >= GOAL,
        params={"objects": count, "rounds": args.repeat, "bytes": path.stat().st_size},
        extra={
            "ours_objects_per_cpu_s": round(count / c.median([t.own_cpu for t in mine])),
            "stix2_objects_per_cpu_s": round(count / c.median([t.own_cpu for t in theirs])),
            "ours_peak_rss_MB": round(max(rss["ours"]) * 1024 / 1e6, 1),
            "stix2_peak_rss_MB": round(max(rss["anchor"]) * 1024 / 1e6, 1),
            "others_cpu_s_median": round(c.median([t.others_cpu for t in mine]), 2),
        },
        samples={
            "ours_s": [round(t.seconds, 3) for t in mine],
            "stix2_s": [round(t.seconds, 3) for t in theirs],
            "ours_cpu_s": [round(t.own_cpu, 3) for t in mine],
            "stix2_cpu_s": [round(t.own_cpu, 3) for t in theirs],
        },
    )
    c.save(result, args.quick)
    return 0


def make_bundle(count: int, seed: int = 2026) -> dict[str, Any]:
    """A realistic fraud-infrastructure bundle of exactly ``count`` objects."""
    rng = random.Random(seed)
    objects: list[dict[str, Any]] = []
    actors = [_sdo(rng, "threat-actor", name=f"Call centre {n}") for n in range(count // 100)]
    infra = [
        _sdo(rng, "infrastructure", name=f"Fake KYC site {n}", infrastructure_types=["phishing"])
        for n in range(count // 33)
    ]
    objects += actors + infra
    observables = [_observable(rng, n) for n in range(count * 2 // 5)]
    objects += observables
    indicators = [_indicator(rng, obs) for obs in observables[: count // 5]]
    objects += indicators
    while len(objects) < count - count // 100 - count // 20:
        source = rng.choice(indicators)
        target = rng.choice(actors + infra)
        objects.append(
            _sdo(
                rng,
                "relationship",
                relationship_type="indicates",
                source_ref=source["id"],
                target_ref=target["id"],
            )
        )
    for _ in range(count // 20):
        objects.append(
            _sdo(
                rng,
                "sighting",
                sighting_of_ref=rng.choice(indicators)["id"],
                count=rng.randint(1, 50),
            )
        )
    while len(objects) < count:
        refs = [o["id"] for o in rng.sample(indicators, 10)]
        objects.append(
            _sdo(rng, "report", name="Advisory", published=_stamp(rng), object_refs=refs)
        )
    return {
        "type": "bundle",
        "id": f"bundle--{_uuid(rng)}",
        "objects": objects,
    }


def _stamp(rng: random.Random) -> str:
    return STAMP.format(day=rng.randint(1, 28), hour=rng.randint(0, 23), minute=rng.randint(0, 59))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _sdo(rng: random.Random, obj_type: str, **properties: Any) -> dict[str, Any]:
    stamp = _stamp(rng)
    obj = {
        "type": obj_type,
        "spec_version": "2.1",
        "id": f"{obj_type}--{_uuid(rng)}",
        "created": stamp,
        "modified": stamp,
        **properties,
    }
    if rng.random() < 0.25:
        obj["object_marking_refs"] = [rng.choice(TLP_IDS)]
    return obj


def _observable(rng: random.Random, n: int) -> dict[str, Any]:
    kind = n % 6
    if kind == 0:
        value = f"kyc-update-{n}.in"
        obj_type = "domain-name"
    elif kind == 1:
        value = f"https://secure-login-{n}.example.com/verify?id={n}"
        obj_type = "url"
    elif kind == 2:
        value = f"10.{n % 250}.{(n // 250) % 250}.{n % 7 + 1}"
        obj_type = "ipv4-addr"
    elif kind == 3:
        value = f"support{n}@helpdesk-{n % 500}.example.org"
        obj_type = "email-addr"
    elif kind == 4:
        value = f"+9198{n:08d}"[:13]
        obj_type = "phone-number"
    else:
        value = f"refund{n}@okaxis"
        obj_type = "upi-id"
    return {
        "type": obj_type,
        "spec_version": "2.1",
        "id": f"{obj_type}--{_uuid(rng)}",
        "value": value,
    }


def _indicator(rng: random.Random, observable: dict[str, Any]) -> dict[str, Any]:
    value = observable["value"]
    return _sdo(
        rng,
        "indicator",
        name=f"Fraud {observable['type']}",
        pattern=f"[{observable['type']}:value = '{value}']",
        pattern_type="stix",
        valid_from="2026-11-01T00:00:00Z",
        indicator_types=["malicious-activity"],
    )


if __name__ == "__main__":
    raise SystemExit(main())
