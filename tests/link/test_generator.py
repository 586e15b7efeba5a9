"""The complaint generator (bench/complaint_generator.py): formats, labels, determinism, and
identifiers that are valid for Comity's normalizers and never shared between networks.

A few hundred complaints per format; the ground truth is checked end to end: the connected
components of complaints over shared identifiers (structured fields and what extraction finds
in the narratives, benign hubs left out) are exactly the networks of ``labels.csv``.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from comity.intel.observables import extract, normalize
from comity.link.scoring import bcubed

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import complaint_generator as gen  # noqa: E402

COUNT = 300
SEED = 41
KIND_TYPES = {
    gen.K_IN: "phone-number",
    gen.K_US: "phone-number",
    gen.K_UPI: "upi-id",
    gen.K_BANK: "bank-account",
    gen.K_DOMAIN: "domain-name",
    gen.K_URL: "url",
    gen.K_EMAIL: "email-addr",
    gen.K_WALLET: "cryptocurrency-wallet",
}


def _read(path: Path) -> list[dict[str, Any]]:
    """Complaints as dictionaries with lists for the multi-valued fields, whatever the format."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames or ()) == gen.FIELDS
            rows: list[dict[str, Any]] = []
            for row in reader:
                record: dict[str, Any] = dict(row)
                for name in gen.LIST_FIELDS:
                    record[name] = row[name].split(";") if row[name] else []
                record["victim_age"] = int(row["victim_age"]) if row["victim_age"] else None
                rows.append(record)
            return rows
    if path.suffix == ".jsonl":
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert set(record) <= set(gen.FIELDS), set(record) - set(gen.FIELDS)
            for name in gen.FIELDS:
                record.setdefault(name, [] if name in gen.LIST_FIELDS else None)
            rows.append(record)
        return rows
    table = pq.read_table(path)
    assert tuple(table.schema.names) == gen.FIELDS
    for name in gen.LIST_FIELDS:
        list_type = table.schema.field(name).type
        assert pa.types.is_list(list_type) and pa.types.is_string(list_type.value_type)
    assert pa.types.is_int16(table.schema.field("victim_age").type)
    assert pa.types.is_string(table.schema.field("narrative").type)
    assert table.num_rows == COUNT
    rows = table.to_pylist()
    for record in rows:
        for name in gen.LIST_FIELDS:
            record[name] = record[name] or []
    return rows


def _labels(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["complaint_id", "network"]
        pairs = [(complaint, network) for complaint, network in reader]
    labels = dict(pairs)
    assert len(labels) == len(pairs), "a complaint is labelled twice"
    return labels


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same seed written in each format, plus one other seed (CSV)."""
    out: dict[str, Path] = {}
    for fmt in gen.FORMATS:
        folder = tmp_path_factory.mktemp(fmt)
        gen.write(gen.Knobs(count=COUNT, seed=SEED), folder, fmt, chunk_size=128)
        out[fmt] = folder
    other = tmp_path_factory.mktemp("other")
    gen.write(gen.Knobs(count=COUNT, seed=SEED + 1), other, "csv")
    out["other"] = other
    return out


@pytest.mark.parametrize("fmt", gen.FORMATS)
def test_schema_and_labels(generated: dict[str, Path], fmt: str) -> None:
    rows = _read(generated[fmt] / f"complaints.{fmt}")
    labels = _labels(generated[fmt] / "labels.csv")
    assert len(rows) == COUNT
    ids = [row["complaint_id"] for row in rows]
    assert len(set(ids)) == COUNT
    assert set(labels) == set(ids)  # every complaint labelled, nothing else
    countries = {"IN": 0, "US": 0}
    for row in rows:
        assert row["country"] in countries
        countries[row["country"]] += 1
        prefix = "NCRP-" if row["country"] == "IN" else "IC3-"
        assert row["complaint_id"].startswith(prefix + row["received_on"][:4])
        assert date.fromisoformat(row["received_on"]).year in range(2021, 2026)
        assert row["victim_age"] is None or 14 <= row["victim_age"] <= 95
        if row["loss_amount"]:
            assert float(row["loss_amount"]) >= 0 and "," not in row["loss_amount"]
            assert row["currency"] == ("INR" if row["country"] == "IN" else "USD")
        else:
            assert not row["currency"]
        assert row["category"] in {c.name for c in gen.CATEGORIES}
        for name in gen.LIST_FIELDS:
            assert isinstance(row[name], list) and all(row[name]), (name, row[name])
        if row["country"] == "US":
            assert not row["bank_accounts"] and not row["upi_ids"]
    assert 0.6 < countries["IN"] / COUNT < 0.8, countries
    sizes: dict[str, int] = defaultdict(int)
    for network in labels.values():
        sizes[network] += 1
    singles = sum(1 for size in sizes.values() if size == 1)
    assert 0.15 < singles / COUNT < 0.4, singles
    assert max(sizes.values()) >= 5


def test_same_seed_same_complaints_in_every_format(generated: dict[str, Path]) -> None:
    csv_rows = _read(generated["csv"] / "complaints.csv")
    for fmt in ("jsonl", "parquet"):
        rows = _read(generated[fmt] / f"complaints.{fmt}")
        for mine, theirs in zip(csv_rows, rows, strict=True):
            assert {k: v or None for k, v in mine.items()} == {
                k: v or None for k, v in theirs.items()
            }
        assert (generated[fmt] / "labels.csv").read_bytes() == (
            generated["csv"] / "labels.csv"
        ).read_bytes()


def test_deterministic_for_a_seed(generated: dict[str, Path], tmp_path: Path) -> None:
    gen.write(gen.Knobs(count=COUNT, seed=SEED), tmp_path, "csv", chunk_size=7)
    for name in ("complaints.csv", "labels.csv"):
        assert (tmp_path / name).read_bytes() == (generated["csv"] / name).read_bytes()
    other = (generated["other"] / "complaints.csv").read_bytes()
    assert other != (generated["csv"] / "complaints.csv").read_bytes()


def _observables(row: dict[str, Any]) -> tuple[list[tuple[str, str]], list[Any]]:
    """Every canonical (type, value) of a complaint, and the invalid ones."""
    found: list[tuple[str, str]] = []
    invalid: list[Any] = []
    for name, obs_type in gen.FIELD_TYPES.items():
        for raw in row[name]:
            observable = normalize(obs_type, raw, country=row["country"])
            if not observable.valid:
                invalid.append((name, raw, observable.reason))
            found.append((obs_type, observable.value))
            if obs_type == "url":  # a URL's site links complaints as its domain
                domain = normalize("domain-name", raw)
                if domain.valid:
                    found.append(("domain-name", domain.value))
    for item in extract(row["narrative"] or "", country=row["country"]):
        if not item.valid:
            invalid.append(("narrative", item.raw, item.reason))
        found.append((item.type, item.value))
    return found, invalid


@pytest.mark.parametrize("fmt", gen.FORMATS)
def test_identifiers_are_valid_and_never_shared_between_networks(
    generated: dict[str, Path], fmt: str
) -> None:
    rows = _read(generated[fmt] / f"complaints.{fmt}")
    labels = _labels(generated[fmt] / "labels.csv")
    networks_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    complaints_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        found, invalid = _observables(row)
        assert not invalid, (row["complaint_id"], invalid)
        for key in set(found):
            networks_of[key].add(labels[row["complaint_id"]])
            if not gen.is_benign(*key):
                complaints_of[key].append(row["complaint_id"])
    shared = {k: v for k, v in networks_of.items() if len(v) > 1 and not gen.is_benign(*k)}
    assert not shared
    hubs = {k for k, v in networks_of.items() if len(v) > 1 and gen.is_benign(*k)}
    assert len(hubs) >= 3, hubs  # benign hubs do occur across networks
    assert any(t == "email-addr" and v.endswith("@gmail.com") for t, v in complaints_of)

    # Connected components over shared identifiers are exactly the labelled networks.
    parent = {row["complaint_id"]: row["complaint_id"] for row in rows}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for complaints in complaints_of.values():
        for other in complaints[1:]:
            parent[root(other)] = root(complaints[0])
    components = {complaint: root(complaint) for complaint in parent}
    score = bcubed(components, labels)
    assert (score.precision, score.recall) == (1.0, 1.0), score


def test_the_data_is_messy(generated: dict[str, Path]) -> None:
    text = (generated["csv"] / "complaints.csv").read_text(encoding="utf-8")
    for needle in ("hxxp", "[.]", "+91 ", "@", "IFSC", "(", "मुझे", "1930"):
        assert needle in text, needle
    assert any("\u0966" <= ch <= "\u096f" for ch in text)  # Devanagari digits
    rows = _read(generated["csv"] / "complaints.csv")
    assert any(row["victim_id"] for row in rows)
    assert any(row["narrative"] and not any(row[f] for f in gen.LIST_FIELDS) for row in rows)


def _variants(ident: gen.Ident, country: str, rnd: random.Random) -> set[str]:
    """The canonical values of many written forms of one identifier, in fields and in text."""
    obs_type = KIND_TYPES[ident[0]]
    field_type = gen.FIELD_TYPES[gen.LIST_FIELDS[gen.KIND_FIELD[ident[0]]]]
    values = set()
    for _ in range(12):
        written = gen.render(ident, country, rnd.random)
        observable = normalize(field_type, written, country=country)
        assert observable.valid, (written, observable.reason)
        values.add(observable.value if ident[0] != gen.K_DOMAIN else observable.value[7:-1])
    for lang in (gen.SENTENCES_EN, gen.SENTENCES_HI):
        for template in lang[ident[0]]:
            written = gen.render(ident, country, rnd.random, text=True)
            sentence = "Complaint. " + template.format(x=written, amt="Rs. 4,500") + " Thanks."
            hits = [f for f in extract(sentence, country=country) if f.type == obs_type]
            assert len(hits) == 1 and hits[0].valid, (sentence, hits)
            values.add(hits[0].value)
    return values


def test_every_written_form_of_an_identifier_is_one_value() -> None:
    rng = random.Random(5)
    factory = gen.Factory(rng)
    canonical: dict[str, gen.Ident] = {}
    idents: list[gen.Ident] = []
    for _ in range(25):
        host = factory.domain(("cbi-verification",))
        idents += [
            (gen.K_IN, factory.mobile(), "", ""),
            (gen.K_US, factory.us_number(toll_free=rng.random() < 0.5), "", ""),
            factory.upi(),
            factory.bank(),
            (gen.K_DOMAIN, host, "", ""),
            factory.url(host),
            factory.url("secure." + host),
            (gen.K_EMAIL, "support", host, ""),
            factory.free_mail(),
            factory.wallet("IN"),
            factory.wallet("US"),
        ]
    for ident in idents:
        countries = ("IN",) if ident[0] in gen.INDIA_ONLY_KINDS else ("IN", "US")
        values = set()
        for country in countries:
            values |= _variants(ident, country, rng)
        assert len(values) == 1, (ident, values)
        value = values.pop()
        assert value not in canonical, (ident, canonical.get(value))
        canonical[value] = ident


def test_encoders_and_bijection() -> None:
    # BIP-173's test vector: the P2WPKH address of this program.
    program = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
    assert gen.p2wpkh_address(program) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    # EIP-55's own examples.
    assert (
        gen.eip55_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    )
    perm = gen.Bijection(10_000, random.Random(3))
    assert sorted(perm(i) for i in range(10_000)) == list(range(10_000))
    with pytest.raises(OverflowError):
        perm(10_000)
    assert gen.inr_grouped(245000) == "2,45,000" and gen.inr_grouped(12345678) == "1,23,45,678"


def test_benign_hubs() -> None:
    assert gen.is_benign("phone-number", "IN:1930")
    assert gen.is_benign("domain-name", "gmail.com")
    assert gen.is_benign("url", "https://www.microsoft.com/")
    assert not gen.is_benign("email-addr", "rahul.kumar123@gmail.com")
    assert not gen.is_benign("domain-name", "cbi-verification-abcde.in")
    for written, value in gen.HUB_PHONES_IN + gen.HUB_PHONES_US:
        country = "IN" if value.startswith(("IN:", "+91")) else "US"
        assert normalize("phone-number", written, country=country).value == value


def test_cli_prints_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "complaint_generator.py"),
            *("--count", "50", "--out", str(tmp_path), "--format", "jsonl", "--seed", "3"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and "50 complaints" in proc.stdout
    assert len((tmp_path / "complaints.jsonl").read_text().splitlines()) == 50
