"""Normalizing 1,000,000 mixed identifiers (goal: at least 200,000 values/s) against phonenumbers.

Data (generated, seeded, not timed): 1,000,000 identifiers of every observable type, in the
messy forms reports use (``0091 98765 43210``, ``९८७६५४३२१०``, ``Rahul.V[at]Gmail[.]com``,
``hxxps://…``, ``A/c no. …, IFSC - …``, ``0x…`` in any case…), drawn with a skewed popularity
(a few numbers and accounts recur in many complaints, most appear a few times): 35 % phone
numbers, 65 % the other types, from a pool of 60,000 distinct identifiers written in 1 to 9
ways each. Each identifier comes with the reporting country (IN or US).

The generated data is moved out of the garbage collector's reach (``gc.freeze()``) before
timing: in a real pipeline values stream through instead of sitting in one million-item list.
Timed, alternately, each round starting with an empty cache:

* ours: :func:`comity.intel.observables.normalize` over all 1,000,000 values;
* anchor: ``phonenumbers.parse`` + ``format_number(E164)`` alone over the phone subset
  (what phone normalization would cost with no cache and no fast path).

The ratio is our values per second over the anchor's (the anchor's time per value over ours).
On a shared machine the wall-clock rates move with the load; the rates per CPU second of this
process (``*_values_per_cpu_s``) move less.
Also timed (extra): :func:`comity.intel.observables.extract` over 2,000 generated complaint
texts, in characters per second and observables per second.

    .venv/bin/python bench/bench_normalize.py           # 1,000,000 values, 5 rounds
    .venv/bin/python bench/bench_normalize.py --quick   # 20,000 values, 1 round
"""

from __future__ import annotations

import gc
import hashlib
import random
import sys
import zlib
from collections import Counter

import base58
import phonenumbers

import _common as c

NAME = "normalize"
TITLE = "normalize() over 1,000,000 mixed identifiers vs phonenumbers parse+format (phones only)"
GOAL = 200_000.0

MIX = {
    "phone-number": 35,
    "email-addr": 10,
    "upi-id": 10,
    "bank-account": 8,
    "url": 8,
    "domain-name": 6,
    "cryptocurrency-wallet": 5,
    "ipv4-addr": 4,
    "ipv6-addr": 1,
    "file-sha256": 2,
    "file-md5": 2,
    "user-account": 4,
    "person-name": 3,
    "organization-name": 2,
}
POOL = 60_000

FIRST = [
    "rahul",
    "priya",
    "amit",
    "sunita",
    "vikram",
    "anjali",
    "arjun",
    "neha",
    "rohit",
    "pooja",
    "sanjay",
    "kavita",
    "john",
    "mary",
]
LAST = [
    "sharma",
    "verma",
    "gupta",
    "singh",
    "kumar",
    "patel",
    "reddy",
    "iyer",
    "das",
    "nair",
    "smith",
    "johnson",
    "brown",
    "lee",
]
WORDS = [
    "kyc",
    "sbi",
    "rbi",
    "paytm",
    "refund",
    "loan",
    "bonus",
    "crypto",
    "trade",
    "invest",
    "help",
    "desk",
    "secure",
    "verify",
]
TLDS = ["com", "in", "co.in", "net", "org", "xyz", "top", "online", "github.io", "site"]
MAIL = ["gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "proton.me"]
PSPS = ["okaxis", "ybl", "paytm", "oksbi", "ibl", "okhdfcbank", "axl", "upi"]
BANKS = ["SBIN", "HDFC", "ICIC", "PUNB", "UTIB", "BARB", "CNRB", "KKBK"]
US_AREAS = ["212", "415", "646", "202", "312", "713", "305", "206", "617", "404", "972"]
IBAN_BANKS = {"GB": ("NWBK", 14), "DE": ("", 18), "FR": ("", 23), "AE": ("", 19)}
DEV = str.maketrans("0123456789", "०१२३४५६७८९")


def _iban(rng: random.Random) -> str:
    country = rng.choice(list(IBAN_BANKS))
    prefix, digits = IBAN_BANKS[country]
    bban = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bban}"


def _b58check(version: int, rng: random.Random) -> str:
    return base58.b58encode_check(bytes([version]) + rng.randbytes(20)).decode()


def _base(type_: str, rng: random.Random) -> tuple[str, str]:
    """One distinct identifier (in a plain form) and its reporting country."""
    country = "IN" if rng.random() < 0.7 else "US"
    if type_ == "phone-number":
        if rng.random() < 0.6:
            return "+91" + rng.choice("6789") + "".join(rng.choices("0123456789", k=9)), country
        area = rng.choice(US_AREAS)
        exchange = rng.choice("23456789") + "".join(rng.choices("0123456789", k=2))
        return f"+1{area}{exchange}{''.join(rng.choices('0123456789', k=4))}", country
    name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randrange(1000)}"
    host = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{rng.randrange(100)}.{rng.choice(TLDS)}"
    if type_ == "email-addr":
        return f"{name}@{rng.choice([*MAIL, host])}", country
    if type_ == "upi-id":
        return f"{name}@{rng.choice(PSPS)}", country
    if type_ == "bank-account":
        if rng.random() < 0.15:
            return _iban(rng), country
        ifsc = rng.choice(BANKS) + "0" + "".join(rng.choices("0123456789", k=6))
        account = "".join(rng.choices("0123456789", k=rng.choice([11, 12, 14, 16])))
        return f"{ifsc}:{account}", country
    if type_ == "url":
        return f"https://{host}/{rng.choice(WORDS)}/{rng.randrange(10**6)}?ref=sms", country
    if type_ == "domain-name":
        return host, country
    if type_ == "cryptocurrency-wallet":
        kind = rng.random()
        if kind < 0.35:
            from comity.intel.observables.wallets import encode_segwit

            version, size = rng.choice([(0, 20), (0, 32), (1, 32)])
            return encode_segwit("bc", version, rng.randbytes(size)), country
        if kind < 0.55:
            return _b58check(rng.choice([0, 5]), rng), country
        if kind < 0.8:
            return "0x" + rng.randbytes(20).hex(), country
        return _b58check(0x41, rng), country
    if type_ == "ipv4-addr":
        return ".".join(str(rng.randrange(1, 255)) for _ in range(4)), country
    if type_ == "ipv6-addr":
        return "2001:db8:" + ":".join(f"{rng.randrange(65536):x}" for _ in range(6)), country
    if type_ == "file-sha256":
        return hashlib.sha256(rng.randbytes(16)).hexdigest(), country
    if type_ == "file-md5":
        return hashlib.md5(rng.randbytes(16)).hexdigest(), country
    if type_ == "user-account":
        return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{rng.randrange(1000)}", country
    if type_ == "person-name":
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}", country
    return f"{rng.choice(WORDS).title()} {rng.choice(['Infotech', 'Traders'])}", country


def _variant(type_: str, base: str, k: int) -> str:
    """``base`` written in the ``k``-th of the ways reports write it (0 to 8)."""
    if type_ == "phone-number":
        if base.startswith("+91"):
            n = base[3:]
            forms = [
                f"+91 {n[:5]} {n[5:]}",
                f"+91-{n}",
                f"0{n}",
                n,
                f"{n[:5]}-{n[5:]}",
                f"0091 {n[:5]} {n[5:]}",
                f"+91 ({n[:5]}) {n[5:]}",
                n.translate(DEV),
                f"91 {n[:5]} {n[5:]}",
            ]
        else:
            n = base[2:]
            forms = [
                f"({n[:3]}) {n[3:6]}-{n[6:]}",
                f"{n[:3]}-{n[3:6]}-{n[6:]}",
                f"{n[:3]}.{n[3:6]}.{n[6:]}",
                f"+1 {n[:3]} {n[3:6]} {n[6:]}",
                f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
                f"011 1 {n}",
                f"+1{n}",
                n,
                f"+1 ({n[:3]}) {n[3:6]} {n[6:]}",
            ]
        return forms[k]
    if type_ in ("email-addr", "upi-id"):
        local, _, domain = base.partition("@")
        forms = [
            base,
            base.upper(),
            f"{local.title()}@{domain}",
            base.replace("@", "[at]").replace(".", "[.]"),
            base.replace("@", "(at)").replace(".", "(dot)"),
            f" {base} ",
            base.replace("@", "[@]"),
            base.title(),
            base,
        ]
        return forms[k]
    if type_ == "bank-account":
        if ":" not in base:
            return " ".join(base[i : i + 4] for i in range(0, len(base), 4)) if k % 2 else base
        ifsc, account = base.split(":")
        forms = [
            base,
            f"{account} ({ifsc})",
            f"A/c {account} IFSC {ifsc.lower()}",
            f"a/c no. {account}, IFSC - {ifsc}",
            f"Account No: {account} IFSC: {ifsc}",
            f"{ifsc} {account}",
            base,
            f"A/c {account} IFSC {ifsc}",
            f"{account} / {ifsc}",
        ]
        return forms[k]
    if type_ in ("url", "domain-name"):
        host = base.split("/")[2] if type_ == "url" else base
        forms = [
            base,
            base.replace("https", "hxxps").replace(host, host.replace(".", "[.]")),
            base.replace(host, host.upper()),
            base.replace(host, host + ":443") if type_ == "url" else "www." + base,
            base.replace(".", "(dot)"),
            base if type_ == "url" else base + ".",
            base.replace("https://", "") if type_ == "url" else "login." + base,
            base,
            base.replace(host, host.replace(".", "[.]")),
        ]
        return forms[k]
    if type_ == "cryptocurrency-wallet":
        if base.startswith("0x"):
            return [base, base.upper().replace("0X", "0x"), f"eth:{base}"][k % 3]
        if base.startswith("bc1"):
            return [base, base.upper(), f"bitcoin:{base}"][k % 3]
        return [base, f" {base}", f"{'btc' if base[0] != 'T' else 'tron'}:{base}"][k % 3]
    if type_ in ("ipv4-addr", "ipv6-addr"):
        forms = [base, base.replace(".", "[.]"), f" {base} ", base.upper(), f"[{base}]"]
        return forms[k % (5 if type_ == "ipv6-addr" else 3)]
    if type_.startswith("file-"):
        label = "SHA256" if type_ == "file-sha256" else "MD5"
        return [base, base.upper(), f"{label}: {base}"][k % 3]
    if type_ == "user-account":
        forms = [f"@{base}", f"t.me/{base}", f"https://www.instagram.com/{base}/", f"@{base}"]
        return forms[k % 4].upper() if k > 6 else forms[k % 4]
    if type_ == "person-name":
        return [base, base.upper(), f"Shri {base.title()}", f"Mr.  {base}", base.title()][k % 5]
    return [f"{base} Pvt. Ltd.", f"M/s {base} Private Limited", f"{base.upper()} PVT LTD"][k % 3]


def make_data(count: int, seed: int = 1930) -> list[tuple[str, str, str]]:
    """``count`` ``(type, raw, country)`` triples, skewed popularity, messy forms."""
    rng = random.Random(seed)
    types = list(MIX)
    weights = [MIX[t] for t in types]
    pool_size = max(200, POOL * count // 1_000_000)
    pools: dict[str, list[tuple[str, str, int]]] = {}
    for type_ in types:
        size = max(10, pool_size * MIX[type_] // 100)
        pools[type_] = [(*_base(type_, rng), 1 + rng.randrange(9)) for _ in range(size)]
    data = []
    for type_ in rng.choices(types, weights, k=count):
        pool = pools[type_]
        base, country, ways = pool[int(len(pool) * rng.random() ** 2.5)]
        k = (zlib.crc32(base.encode()) + rng.randrange(ways)) % 9
        raw = _variant(type_, base, k)
        if type_ == "phone-number" and not raw.lstrip("(").startswith(("+", "00", "011")):
            country = "IN" if base.startswith("+91") else "US"  # national forms: own country
        data.append((type_, raw, country))
    return data


def make_texts(data: list[tuple[str, str, str]], count: int) -> list[tuple[str, str]]:
    """``count`` complaint-like texts (English and Hindi) quoting identifiers from ``data``."""
    rng = random.Random(7)
    templates = [
        "On {d} I got a call from {0} claiming to be from the bank. They asked me to pay "
        "the KYC fee to {1} and later sent the link {2}. I lost Rs {n}.",
        "मुझे {0} से कॉल आया। उसने कहा कि {1} पर पैसे भेजो। फिर {2} लिंक भेजा। कुल {n} रुपये गए।",
        "Victim reports e-mail from {0}; payment to {1}; wallet {2}. Loss USD {n} on {d}.",
    ]
    picks = [raw for _t, raw, _c in data if "\n" not in raw]
    texts = []
    for _ in range(count):
        values = rng.sample(picks, 3)
        text = rng.choice(templates).format(
            *values,
            d=f"{rng.randrange(1, 29)}.0{rng.randrange(1, 10)}.2026",
            n=rng.randrange(10**6),
        )
        texts.append((text, rng.choice(["IN", "US"])))
    return texts


def main() -> int:
    args = c.parse_args(__doc__ or NAME, default_repeat=5)
    count = 20_000 if args.quick else 1_000_000
    with c.timed() as build:
        data = make_data(count)
        texts = make_texts(data, 100 if args.quick else 2_000)
    phones = [(raw, country) for type_, raw, country in data if type_ == "phone-number"]
    gc.collect()
    gc.freeze()  # the generated data is set-up: keep the collector from re-scanning it
    print(f"generated {count:,} values ({len(set(data)):,} distinct) in {build[0].seconds:.1f} s")

    from comity.intel.observables import cache_clear, cache_info, extract, normalize

    invalid: Counter[str] = Counter()

    def ours(i: int) -> c.Timing:
        cache_clear()
        norm = normalize
        with c.timed() as box:
            for type_, raw, country in data:
                norm(type_, raw, country=country)
        if i == 0:
            for type_, raw, country in data:
                if not norm(type_, raw, country=country).valid:
                    invalid[type_] += 1
        return box[0]

    def anchor(_i: int) -> c.Timing:
        parse, fmt, e164 = phonenumbers.parse, phonenumbers.format_number, 0
        with c.timed() as box:
            for raw, country in phones:
                try:  # noqa: SIM105 (contextlib.suppress would slow the anchor down)
                    fmt(parse(raw, country), e164)
                except phonenumbers.NumberParseException:
                    pass
        return box[0]

    mine, theirs = c.alternate(args.repeat, ours, anchor)
    hits, misses, _size, _current = cache_info()

    extract_runs = []
    found = 0
    chars = sum(len(t) for t, _ in texts)
    for _ in range(args.repeat):
        cache_clear()
        with c.timed() as box:
            found = sum(len(extract(text, country=country)) for text, country in texts)
        extract_runs.append(box[0])

    ours_rate = count / c.median([t.seconds for t in mine])
    anchor_rate = len(phones) / c.median([t.seconds for t in theirs])
    extract_s = c.median([t.seconds for t in extract_runs])
    result = c.Result(
        name=NAME,
        title=TITLE,
        metric="values per second (median)",
        ours=ours_rate,
        anchor=anchor_rate,
        anchor_name="phonenumbers parse+format, phones only",
        ratio=ours_rate / anchor_rate,
        goal=f">= {GOAL:,.0f} values/s",
        met=None if args.quick else ours_rate >= GOAL,
        params={"values": count, "phones": len(phones), "rounds": args.repeat, "pool": POOL},
        extra={
            "distinct_values": len(set(data)),
            "cache_hits_last_round": hits,
            "cache_misses_last_round": misses,
            "invalid_by_type": dict(invalid),
            "extract_texts": len(texts),
            "extract_chars_per_s": round(chars / extract_s),
            "extract_observables_per_s": round(found / extract_s),
            "extract_observables": found,
            "ours_values_per_cpu_s": round(count / c.median([t.own_cpu for t in mine])),
            "anchor_values_per_cpu_s": round(len(phones) / c.median([t.own_cpu for t in theirs])),
            "others_cpu_s_median": round(c.median([t.others_cpu for t in mine]), 2),
        },
        samples={
            "ours_s": [round(t.seconds, 3) for t in mine],
            "anchor_s": [round(t.seconds, 3) for t in theirs],
            "extract_s": [round(t.seconds, 3) for t in extract_runs],
        },
    )
    c.save(result, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
