"""``comity link ingest``: complaints from CSV, JSON Lines and Parquet, on every backend.

Good rows are kept and bad ones reported with their line; the same file twice changes nothing;
a complaint id held with other content is refused; an interrupted ingest goes on where it
stopped; identifiers come out normalized, from the columns and from the narrative.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from comity.core.errors import PermissionDenied
from comity.identity.models import AuditEvent
from comity.identity.services import create_user
from comity.link import ingest as ingest_module
from comity.link.errors import LinkInputError, MappingError
from comity.link.ingest import IngestOptions, ingest_file
from comity.link.models import Complaint, ComplaintIdentifier, ComplaintIngest
from comity.link.rows import FIELDS, load_mapping
from tests.conftest import CliNode, Node

HEADER = list(FIELDS[:15])

ROWS: list[dict[str, Any]] = [
    {
        "complaint_id": "NCRP-2024-000101",
        "country": "IN",
        "received_on": "2024-03-18",
        "victim_region": "Maharashtra",
        "victim_age": "67",
        "loss_amount": "245000",
        "currency": "INR",
        "category": "digital-arrest",
        "narrative": "Caller said he was from CBI, asked me to pay to 9876543210@ybl",
        "phones": "+91 98765 43210;022-4000 1234",
        "emails": "",
        "urls": "",
        "bank_accounts": "SBIN0001234:30012345678",
        "upi_ids": "",
        "crypto_wallets": "",
    },
    {
        "complaint_id": "IC3-2024-55120",
        "country": "US",
        "received_on": "2024-03-20",
        "victim_region": "Ohio",
        "victim_age": "71",
        "loss_amount": "18000.50",
        "currency": "USD",
        "category": "tech-support",
        "narrative": "Pop-up said call Microsoft. Refund desk: 011 91 98765 43210",
        "phones": "(888) 555-0142",
        "emails": "Support@Secure-Help-Desk.com",
        "urls": "hxxps://login.secure-help-desk[.]com/refund",
        "bank_accounts": "",
        "upi_ids": "",
        "crypto_wallets": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    },
]


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header or HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def ingest(node: Node, path: Path, **options: Any) -> dict[str, Any]:
    return ingest_file(node.ctx, None, path, IngestOptions(**options))


def identifiers(node: Node, complaint_id: str) -> set[tuple[str, str, str]]:
    with node.ctx.transaction() as session:
        rows = session.execute(
            select(
                ComplaintIdentifier.obs_type, ComplaintIdentifier.value, ComplaintIdentifier.origin
            )
            .join(Complaint, Complaint.seq == ComplaintIdentifier.complaint_seq)
            .where(Complaint.complaint_id == complaint_id)
        ).all()
    return {(r[0], r[1], r[2]) for r in rows}


def complaints(node: Node) -> int:
    with node.ctx.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Complaint)) or 0)


def test_ingest_normalizes_and_extracts_identifiers(node: Node, tmp_path: Path) -> None:
    result = ingest(node, write_csv(tmp_path / "two.csv", ROWS))
    assert (result["ingested"], result["unchanged"], result["rejected"]) == (2, 0, [])
    indian = identifiers(node, "NCRP-2024-000101")
    assert ("phone-number", "+919876543210", "field") in indian
    assert ("phone-number", "+912240001234", "field") in indian
    assert ("bank-account", "SBIN0001234:30012345678", "field") in indian
    assert ("upi-id", "9876543210@ybl", "narrative") in indian
    american = identifiers(node, "IC3-2024-55120")
    assert ("phone-number", "+18885550142", "field") in american
    assert ("email-addr", "support@secure-help-desk.com", "field") in american
    assert ("domain-name", "secure-help-desk.com", "derived") in american
    # The same Indian number, written the American way inside the narrative.
    assert ("phone-number", "+919876543210", "narrative") in american
    assert not any(t == "organization-name" for t, _v, _o in american)
    with node.ctx.transaction() as session:
        stored = session.scalars(
            select(Complaint).where(Complaint.complaint_id == "IC3-2024-55120")
        ).one()
        assert stored.loss_amount == "18000.50" and stored.currency == "USD"
        assert stored.received_on.isoformat() == "2024-03-20" and stored.victim_age == 71
        assert stored.source_line == 3


def test_the_same_file_twice_changes_nothing(node: Node, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "two.csv", ROWS)
    ingest(node, path)
    again = ingest(node, path)
    assert (again["ingested"], again["unchanged"], again["rejected"]) == (0, 2, [])
    # The same complaints in another format and with other spacing are the same content.
    jsonl = tmp_path / "two.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(
                {
                    **row,
                    "victim_age": int(row["victim_age"]),
                    "phones": [p + " " for p in row["phones"].split(";")],
                    **{k: row[k].split(";") if row[k] else [] for k in ("emails", "urls")},
                }
            )
            for row in ROWS
        )
    )
    third = ingest(node, jsonl)
    assert (third["ingested"], third["unchanged"]) == (0, 2)
    assert complaints(node) == 2


def test_a_known_id_with_other_content_is_refused_not_overwritten(
    node: Node, tmp_path: Path
) -> None:
    ingest(node, write_csv(tmp_path / "first.csv", ROWS))
    changed = [{**ROWS[0], "loss_amount": "999999"}, {**ROWS[0], "complaint_id": "NCRP-2024-9"}]
    result = ingest(node, write_csv(tmp_path / "second.csv", changed))
    assert result["ingested"] == 1
    (rejection,) = result["rejected"]
    assert rejection["line"] == 2
    assert "NCRP-2024-000101" in rejection["reason"] and "first.csv" in rejection["reason"]
    with node.ctx.transaction() as session:
        kept = session.scalars(
            select(Complaint.loss_amount).where(Complaint.complaint_id == "NCRP-2024-000101")
        ).one()
    assert kept == "245000"


def test_bad_rows_are_reported_with_their_line_and_good_rows_kept(
    node: Node, tmp_path: Path
) -> None:
    good = ROWS[0]
    path = tmp_path / "messy.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        # line 2-4: a good row whose narrative spans three lines
        writer.writerow([{**good, "complaint_id": "G1", "narrative": "a\nb\nc"}[h] for h in HEADER])
        out.write("G2,IN,2024-01-01\n")  # line 5: too few fields
        rows = [
            {**good, "complaint_id": "B1", "received_on": "2024-02-30"},  # 6
            {**good, "complaint_id": "B2", "loss_amount": "-500"},  # 7
            {**good, "complaint_id": "B3", "loss_amount": "5e20"},  # 8
            {**good, "complaint_id": "B4", "loss_amount": "99999999999999"},  # 9
            {**good, "complaint_id": "B5", "victim_age": "230"},  # 10
            {**good, "complaint_id": "B6", "currency": "rupees"},  # 11
            {**good, "complaint_id": "B7", "received_on": "2099-01-01"},  # 12
            {**good, "complaint_id": "B8", "country": "XX"},  # 13
            {**good, "complaint_id": ""},  # 14
            {**good, "complaint_id": "G3", "loss_amount": "2,45,000"},  # 15
            {**good, "complaint_id": "G4", "phones": "12345"},  # 16: kept, flagged
        ]
        for row in rows:
            writer.writerow([row[h] for h in HEADER])
    with path.open("ab") as out:  # line 17: bytes that are not UTF-8
        out.write(b"B9,IN,2024-01-01,,,,,,caf\xe9 call,,,,,,\n")
        out.write(b"G5,IN,2024-01-02,,,,,,,+91 99999 11111,,,,,\n")  # line 18
    result = ingest(node, path)
    reasons = {r["line"]: r["reason"] for r in result["rejected"]}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17]
    assert "has 3 fields where the header has 15" in reasons[5]
    assert "not a valid date" in reasons[6]
    assert "negative" in reasons[7]
    assert "not a decimal number" in reasons[8]
    assert "not believable" in reasons[9]
    assert "between 0 and 130" in reasons[10]
    assert "ISO 4217" in reasons[11]
    assert "future" in reasons[12]
    assert "unknown country" in reasons[13]
    assert "no complaint_id" in reasons[14]
    assert "not UTF-8" in reasons[17] and "0xe9" in reasons[17]
    assert result["ingested"] == 4 and result["rejected_total"] == 11
    with node.ctx.transaction() as session:
        loss = session.scalars(
            select(Complaint.loss_amount).where(Complaint.complaint_id == "G3")
        ).one()
        flagged = session.scalars(
            select(ComplaintIdentifier.valid)
            .join(Complaint, Complaint.seq == ComplaintIdentifier.complaint_seq)
            .where(Complaint.complaint_id == "G4", ComplaintIdentifier.obs_type == "phone-number")
        ).all()
        lines = dict(session.execute(select(Complaint.complaint_id, Complaint.source_line)).all())
    assert loss == "245000"
    assert False in flagged  # kept as reported, flagged invalid, never dropped
    assert lines == {"G1": 2, "G3": 15, "G4": 16, "G5": 18}


def test_an_enormous_narrative_rejects_its_row_only(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerow(
            [{**ROWS[0], "complaint_id": "HUGE", "narrative": "x" * 100_000_000}[h] for h in HEADER]
        )
        writer.writerow([ROWS[1][h] for h in HEADER])
    result = ingest(node, path)
    assert result["ingested"] == 1
    (rejection,) = result["rejected"]
    assert rejection["line"] == 2 and "longer than 1,000,000 characters" in rejection["reason"]


def test_json_lines_arrays_and_damaged_lines(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "us.jsonl"
    good = {**ROWS[1], "phones": ["(888) 555-0142", "1-888-555-0143"], "emails": "a@scam-mail.in"}
    lines = [
        json.dumps(good),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({**good, "complaint_id": "IC3-2", "victim_age": 70.5}),
        json.dumps({**good, "complaint_id": "IC3-3", "victim_age": True}),
        json.dumps({**good, "complaint_id": "IC3-4", "loss_amount": 1234.5}),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = ingest(node, path)
    reasons = {r["line"]: r["reason"] for r in result["rejected"]}
    assert sorted(reasons) == [2, 3, 5, 6]
    assert "not valid JSON" in reasons[2] and "not a JSON object" in reasons[3]
    assert result["ingested"] == 2
    found = identifiers(node, "IC3-2024-55120")
    assert ("phone-number", "+18885550143", "field") in found
    assert ("email-addr", "a@scam-mail.in", "field") in found


def test_parquet_gives_what_csv_gives(node: Node, tmp_path: Path) -> None:
    table = pa.table(
        {
            **{h: [str(r[h]) for r in ROWS] for h in HEADER if h not in ("victim_age",)},
            "victim_age": [int(r["victim_age"]) for r in ROWS],
            **{
                h: [[v for v in r[h].split(";") if v] for r in ROWS]
                for h in ("phones", "emails", "urls", "bank_accounts", "upi_ids", "crypto_wallets")
            },
        }
    )
    pq.write_table(table, tmp_path / "two.parquet")
    result = ingest(node, tmp_path / "two.parquet")
    assert result["ingested"] == 2 and result["rejected"] == []
    csv_result = ingest(node, write_csv(tmp_path / "two.csv", ROWS))
    assert csv_result["unchanged"] == 2  # the same content, whichever the format
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(LinkInputError, match="Parquet"):
        ingest(node, broken)


def test_a_mapping_file_and_indian_dates(node: Node, tmp_path: Path) -> None:
    mapping = tmp_path / "portal.toml"
    mapping.write_text(
        'date_format = "%d/%m/%Y"\n'
        "[columns]\n"
        '"Acknowledgement No" = "complaint_id"\n'
        '"Date" = "received_on"\n'
        '"Suspect Mobile 1" = "phones"\n'
        '"Suspect Mobile 2" = "phones"\n'
        '"Amount Lost (Rs)" = "loss_amount"\n'
        '"Details" = "narrative"\n'
    )
    header = [
        "Acknowledgement No",
        "Date",
        "Suspect Mobile 1",
        "Suspect Mobile 2",
        "Amount Lost (Rs)",
        "Details",
        "Police Station",
    ]
    rows = [
        dict(
            zip(
                header,
                [
                    "31603240001",
                    "18/03/2024",
                    "98765 43210",
                    "",
                    "1,20,000",
                    "पैसे 9123456789@paytm पर भेजे",
                    "Andheri",
                ],
                strict=True,
            )
        ),
        dict(zip(header, ["31603240002", "2024-03-18", "", "", "", "", ""], strict=True)),
    ]
    path = write_csv(tmp_path / "portal.csv", rows, header)
    result = ingest(node, path, country="IN", mapping=load_mapping(mapping))
    assert result["ingested"] == 1
    assert result["rejected"][0]["line"] == 3 and "%d/%m/%Y" in result["rejected"][0]["reason"]
    found = identifiers(node, "31603240001")
    assert ("phone-number", "+919876543210", "field") in found
    assert ("upi-id", "9123456789@paytm", "narrative") in found
    with node.ctx.transaction() as session:
        stored = session.scalars(select(Complaint)).one()
    assert (stored.country, stored.currency, stored.loss_amount) == ("IN", "INR", "120000")
    assert any("taken to be in INR" in w["reason"] for w in result["warnings"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\n'A' = 'phone'\n", "not a field"),
        ("[columns]\n'A' = 'received_on'\n", "no column for 'complaint_id'"),
        ("[columns]\n'A' = 'complaint_id'\n'B' = 'complaint_id'\n'C' = 'received_on'", "two"),
        ("columns = 3", "no [columns]"),
        ("[columns", "cannot be parsed"),
    ],
)
def test_bad_mappings_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message.replace("[", r"\[")):
        load_mapping(path)


def test_files_no_row_of_which_can_be_good_are_refused(node: Node, tmp_path: Path) -> None:
    no_id = write_csv(tmp_path / "no-id.csv", [{"received_on": "2024-01-01"}], ["received_on"])
    with pytest.raises(LinkInputError, match="no complaint_id column"):
        ingest(node, no_id)
    no_country = write_csv(
        tmp_path / "no-country.csv",
        [{"complaint_id": "A", "received_on": "2024-01-01"}],
        ["complaint_id", "received_on"],
    )
    with pytest.raises(LinkInputError, match="give --country"):
        ingest(node, no_country)
    with pytest.raises(LinkInputError, match="no reader for the format 'xlsx'"):
        ingest(node, no_country, format="xlsx")
    with node.ctx.transaction() as session:  # a refused file leaves no ingest behind
        assert session.scalars(select(ComplaintIngest)).all() == []
    assert ingest(node, no_country, country="IN")["ingested"] == 1
    with pytest.raises(LinkInputError, match="extension"):
        ingest(node, tmp_path / "x.xlsx")
    assert complaints(node) == 1


def test_a_row_whose_country_differs_from_the_files_is_kept_and_reported(
    node: Node, tmp_path: Path
) -> None:
    result = ingest(node, write_csv(tmp_path / "two.csv", ROWS), country="IN")
    assert result["ingested"] == 2
    (warning,) = result["warnings"]
    assert warning["line"] == 3 and "US differs from --country IN" in warning["reason"]


def test_an_interrupted_ingest_goes_on_where_it_stopped(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "BATCH", 10)
    rows = [
        {**ROWS[0], "complaint_id": f"NCRP-{n:05d}", "phones": f"+91 98765 {n:05d}"}
        for n in range(35)
    ]
    rows[12]["received_on"] = "not a date"
    path = write_csv(tmp_path / "many.csv", rows)
    calls = [0]

    def interrupt_after_two_batches(_position: int) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # checked in this process, a batch at a time
        ingest_file(node.ctx, None, path, IngestOptions(workers=1), interrupt_after_two_batches)
    assert complaints(node) == 19  # two batches of ten rows committed, one of them bad
    resumed = ingest(node, path, workers=1)
    assert resumed["resumed_after_line"] == 21
    assert resumed["ingested"] == 34 and resumed["unchanged"] == 0
    assert [r["line"] for r in resumed["rejected"]] == [14]
    assert complaints(node) == 34
    with node.ctx.transaction() as session:
        runs = session.scalars(select(ComplaintIngest)).all()
        assert [r.status for r in runs] == ["complete"]
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "link.ingest")).all()
        assert len(events) == 1 and events[0].details["resumed_after_line"] == 21


def test_a_legal_officer_may_not_ingest(node: Node, tmp_path: Path) -> None:
    with node.ctx.transaction() as session:
        create_user(
            session, node.actor(), username="reader", display_name="R", roles=["legal_officer"]
        )
    with pytest.raises(PermissionDenied):
        ingest_file(node.ctx, "reader", write_csv(tmp_path / "two.csv", ROWS), IngestOptions())


def test_the_command_line(cli_node_factory: Any, tmp_path: Path) -> None:
    node: CliNode = cli_node_factory("cbi")
    node.run("init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", check=True)
    path = write_csv(
        tmp_path / "two.csv", [*ROWS, {**ROWS[0], "complaint_id": "B", "loss_amount": "-1"}]
    )
    result = node.run("link", "ingest", str(path), "--json", check=True).json()
    assert result["ingested"] == 2
    assert result["rejected"] == [{"line": 4, "reason": "loss_amount -1 is negative"}]
    human = node.run("link", "ingest", str(path), check=True)
    assert "0 ingested, 2 unchanged, 1 rejected" in human.out and "line 4" in human.out
    missing = node.run("link", "ingest", str(tmp_path / "nothing.csv"))
    assert missing.code == 2 and "no such file" in missing.err
    bad_country = node.run("link", "ingest", str(path), "--country", "XX")
    assert bad_country.code == 2 and "XX" in bad_country.err


class CountingPool(ingest_module.ProcessPoolExecutor):
    """The process pool of an ingest, counting the pools started (with their worker counts)."""

    started: ClassVar[list[int]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        CountingPool.started.append(kwargs["max_workers"])
        super().__init__(*args, **kwargs)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts of the process pools started by ingests during the test."""
    monkeypatch.setattr(CountingPool, "started", [])
    monkeypatch.setattr(ingest_module, "ProcessPoolExecutor", CountingPool)
    return CountingPool.started


def messy_generated(tmp_path: Path, count: int) -> Path:
    """Generated complaints (bench/complaint_generator.py), with bad rows here and there:
    invalid dates and losses, ids held with other content, records with too few fields."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    import complaint_generator as gen

    gen.write(gen.Knobs(count=count, seed=11), tmp_path / "generated", "csv")
    with (tmp_path / "generated" / "complaints.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    path = tmp_path / "messy.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(gen.FIELDS))
        writer.writeheader()
        for n, row in enumerate(rows):
            if n % 97 == 5:
                row["received_on"] = "2024-02-30"
            if n % 131 == 7:
                row["loss_amount"] = "-5"
            if n % 173 == 11:
                row["complaint_id"] = rows[n - 3]["complaint_id"]  # other content, same id
            if n % 61 == 2:
                row["currency"] = ""  # a warning: the loss is taken to be in INR or USD
            writer.writerow(row)
            if n % 211 == 13:
                out.write("SHORT-1,IN,2024-01-01\r\n")
    return path


def held(node: Node) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], tuple[Any, ...]]:
    """What an ingest left in the node: complaints, identifiers, and the ingest's record."""
    with node.ctx.transaction() as session:
        stored = session.execute(
            select(
                Complaint.complaint_id,
                Complaint.country,
                Complaint.received_on,
                Complaint.victim_region,
                Complaint.victim_age,
                Complaint.loss_amount,
                Complaint.currency,
                Complaint.category,
                Complaint.narrative,
                Complaint.victim_id,
                Complaint.content_sha256,
                Complaint.source_line,
            ).order_by(Complaint.complaint_id)
        ).all()
        found = session.execute(
            select(
                Complaint.complaint_id,
                ComplaintIdentifier.obs_type,
                ComplaintIdentifier.value,
                ComplaintIdentifier.raw,
                ComplaintIdentifier.origin,
                ComplaintIdentifier.valid,
            ).join(Complaint, Complaint.seq == ComplaintIdentifier.complaint_seq)
        ).all()
        (record,) = session.scalars(select(ComplaintIngest)).all()
        state = (
            record.status,
            record.line,
            record.ingested,
            record.unchanged,
            record.rejected,
            record.details,
        )
    return [tuple(r) for r in stored], sorted(tuple(r) for r in found), state


def test_workers_store_exactly_what_one_process_stores(
    node: Node, us_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    """Checked by two worker processes, batch after batch while the one before is stored, a
    file gives the same complaints, identifiers, rejections, warnings and summary as checked
    in the ingest's own process (each run in a database of its own)."""
    monkeypatch.setattr(ingest_module, "BATCH", 300)
    path = messy_generated(tmp_path, 1600)
    alone = ingest(node, path, country="IN", workers=1)
    assert pools == []
    pooled = ingest(us_node, path, country="IN", workers=2)
    assert pools == [2]
    assert alone["ingested"] > 1400 and alone["rejected_total"] > 30 and alone["warnings"]
    reasons = " ".join(r["reason"] for r in alone["rejected"])
    assert "already held with other content" in reasons and "fields where" in reasons
    assert {**pooled, "ingest": None, "seconds": None} == {
        **alone,
        "ingest": None,
        "seconds": None,
    }
    # Where the time went: every stage timed, checking done in the workers for the pooled run.
    for result in (alone, pooled):
        seconds = result["seconds"]
        assert set(seconds) == {"read", "check", "extract", "normalize", "wait", "store"}
        assert seconds["check"] > 0 and seconds["store"] > 0
        assert seconds["extract"] + seconds["normalize"] <= seconds["check"]
    assert alone["seconds"]["wait"] == 0 < pooled["seconds"]["wait"]
    assert held(us_node) == held(node)
    assert held(node)[1]  # identifiers, from the fields and the narratives


def test_one_batch_is_checked_without_a_pool(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    monkeypatch.setattr(ingest_module, "BATCH", 10)
    rows = [{**ROWS[0], "complaint_id": f"NCRP-{n:05d}"} for n in range(10)]
    assert ingest(node, write_csv(tmp_path / "ten.csv", rows), workers=2)["ingested"] == 10
    assert pools == []  # starting processes would cost more than it saves


def test_an_interrupted_ingest_with_workers_goes_on_where_it_stopped(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    monkeypatch.setattr(ingest_module, "BATCH", 10)
    rows = [
        {**ROWS[0], "complaint_id": f"NCRP-{n:05d}", "phones": f"+91 98765 {n:05d}"}
        for n in range(75)
    ]
    rows[12]["received_on"] = "not a date"
    rows[58]["loss_amount"] = "-1"
    path = write_csv(tmp_path / "many.csv", rows)
    calls = [0]

    def interrupt(_position: int) -> None:  # while batches are being checked by the workers
        calls[0] += 1
        if calls[0] == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(node.ctx, None, path, IngestOptions(workers=2), interrupt)
    assert pools == [2]
    with node.ctx.transaction() as session:
        (stopped,) = session.scalars(select(ComplaintIngest)).all()
        line, status = stopped.line, stopped.status
    # Whole batches were committed, each with the line it reached; nothing after that line.
    assert status == "running" and 11 <= line < 76 and (line - 1) % 10 == 0
    assert complaints(node) == len([n for n in range(2, line + 1) if n not in (14, 60)])
    resumed = ingest(node, path, workers=2)
    assert resumed["resumed_after_line"] == line
    assert resumed["ingested"] == 73 and resumed["unchanged"] == 0
    assert [r["line"] for r in resumed["rejected"]] == [14, 60]
    assert complaints(node) == 73
    with node.ctx.transaction() as session:
        runs = session.scalars(select(ComplaintIngest)).all()
        assert [(r.status, r.line, r.ingested, r.rejected) for r in runs] == [
            ("complete", 76, 73, 2)
        ]
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "link.ingest")).all()
        assert len(events) == 1 and events[0].details["resumed_after_line"] == line


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_read_no_further_keeps_the_batches_read_before(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A reader that cannot go on (``LinkInputError`` after some rows) leaves every batch
    before the damage stored, with or without workers."""
    monkeypatch.setattr(ingest_module, "BATCH", 10)
    rows = [{**ROWS[0], "complaint_id": f"NCRP-{n:05d}"} for n in range(60)]
    path = write_csv(tmp_path / "damaged.csv", rows)
    read_rows = ingest_module.readers.read_rows

    def damaged(fmt: str, stream: Any) -> Any:
        for row in read_rows(fmt, stream):
            if row.line > 46:
                raise LinkInputError("the file cannot be read after line 46")
            yield row

    monkeypatch.setattr(ingest_module.readers, "read_rows", damaged)
    with pytest.raises(LinkInputError, match="after line 46"):
        ingest(node, path, workers=workers)
    assert complaints(node) == 40
    with node.ctx.transaction() as session:
        (record,) = session.scalars(select(ComplaintIngest)).all()
        assert (record.status, record.line) == ("running", 41)
