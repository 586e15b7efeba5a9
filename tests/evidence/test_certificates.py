"""Court certificates (BSA 2023 s.63, FRE 902(13)/(14)): pre-filled, blanks marked, recorded."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from comity.cases.services import create_case
from comity.core.errors import InvalidInput
from comity.evidence.certificate_render import md_escape, render_markdown
from comity.evidence.certificates import (
    BSA_DEVICE_OPTIONS,
    Blank,
    Checklist,
    DuplicateCertificateKind,
    Field,
    build_certificate,
    certificate_kind,
    certificate_kinds,
    get_kind,
    output_format,
    produce_certificate,
)
from comity.evidence.errors import HashMismatch, LedgerBroken
from comity.evidence.ingest import DEVICE_TYPES, IngestOptions, ingest, store_for
from comity.evidence.ledger import verify_chains
from comity.evidence.models import EvidenceItem
from comity.evidence.services import custody_log
from comity.identity import audit
from tests.conftest import Node

LAWS = ("IN-BSA-63", "US-FRE-902-14", "US-FRE-902-13")
DEVICE = {
    "type": "mobile",
    "make": "Samsung",
    "model": "SM-A155F",
    "colour": "Midnight Blue",
    "serial": "R58W70ABCDE",
    "imei": "356938035643809",
}
DECLARATIONS = ("Declaration of lawful control", "Declaration of proper operation")


def _ingest(node: Node, tmp_path: Path, *, device: bool = True, name: str = "phone.img") -> Any:
    with node.ctx.transaction() as session:
        case = create_case(session, node.actor(), title="Call centre", jurisdictions=["IN", "US"])
        reference = case.reference
    source = tmp_path / name
    source.write_bytes(os.urandom(70_000))
    options = (
        IngestOptions(
            examiner="R. Iyer",
            tool="Cellebrite UFED",
            tool_version="7.69",
            device=dict(DEVICE),
            seized_at="2026-03-14T11:00:00Z",
            timezone="Asia/Kolkata",
            place="Cyber Crime Police Station, Mumbai",
            authority="Search warrant 12/2026",
            extra_hashes=("md5", "sha1"),
        )
        if device
        else IngestOptions()
    )
    (item,), _ = ingest(node.ctx, None, reference, [source], options)
    data = source.read_bytes()
    assert item["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    return item


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return path.read_text(encoding="utf-8")


def _squeezed(value: str) -> str:
    return re.sub(r"\s+", "", value)


@pytest.mark.parametrize("suffix", [".md", ".pdf"])
@pytest.mark.parametrize("law", LAWS)
def test_certificate_states_what_the_record_knows(
    node: Node, tmp_path: Path, law: str, suffix: str
) -> None:
    item = _ingest(node, tmp_path)
    out = tmp_path / f"cert{suffix}"
    result = produce_certificate(node.ctx, None, item["exhibit"], law, out)
    assert result.law == law and result.sha256 == item["hashes"]["sha256"]
    assert result.document_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    content = _text(out)
    flat = _squeezed(content)
    assert _squeezed(item["exhibit"]) in flat
    assert set(item["hashes"]) == {"sha256", "sha1", "md5"}
    for algorithm, name in (("sha256", "SHA-256"), ("sha1", "SHA-1"), ("md5", "MD5")):
        assert name in content
        assert item["hashes"][algorithm] in flat
    for key in ("make", "model", "serial", "imei"):
        assert _squeezed(DEVICE[key]) in flat
    assert "Cellebrite UFED" in content and "7.69" in content
    assert "BLANK" in content
    if law == "IN-BSA-63":
        # Seized 11:00 UTC = 16:30 IST; both parts present by default.
        assert "2026-03-14 16:30:00 IST" in content
        assert "Part A" in content and "Part B" in content
        for label in DECLARATIONS:
            assert label in content
    if suffix == ".pdf":
        pages = len(PdfReader(str(out)).pages)
        assert f"page 1 of {pages}" in content and f"page {pages} of {pages}" in content
        assert pages >= 2
        assert item["hashes"]["sha256"] in flat  # also in every footer
        assert out.read_bytes().startswith(b"%PDF")


def test_markdown_marks_declarations_and_signature_as_blanks(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    out = tmp_path / "bsa.md"
    produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", out)
    md = out.read_text(encoding="utf-8")
    party = "**[BLANK — to be completed by the party producing the record]**"
    for label in (*DECLARATIONS, "Name of the person certifying (Part A)", "Designation"):
        assert re.search(rf"^\| {re.escape(md_escape(label))} \| {re.escape(party)}", md, re.M)
    expert = "**[BLANK — to be completed by the expert]**"
    assert f"| Statement of the expert | {expert}" in md
    assert f"| Name of the expert | {expert}" in md
    assert "| Signature | " + party in md and "| Signature | " + expert in md
    # The item's type is ticked, and only it.
    assert "- [x] Mobile" in md and "- [ ] DVR" in md and "- [ ] Server" in md
    # The examiner is reported as recorded, but nobody's name is put in a signing field.
    assert "R. Iyer" in md
    assert not re.search(r"^\| Name of the [^|]*\| [^*]", md, re.M)


@pytest.mark.parametrize("law", LAWS)
def test_declarations_are_statement_blanks_in_the_model(
    node: Node, tmp_path: Path, law: str
) -> None:
    item = _ingest(node, tmp_path)
    with node.ctx.transaction() as session:
        document = build_certificate(node.ctx, session, None, item["exhibit"], law).document
    statements = [
        b.label
        for b in document.blanks()
        if isinstance(b, Field) and b.blank is not None and b.blank.kind == "statement"
    ]
    assert "Signature" in statements
    if law == "IN-BSA-63":
        assert set(DECLARATIONS) <= set(statements)
        assert document.field("Declaration of lawful control").value is None
    else:
        assert {"Qualification", "Name of the qualified person", "Title or position"} <= set(
            statements
        )
    # Everything the record holds is a value, not a blank.
    assert document.field("Make").value == "Samsung"
    assert document.field("IMEI").value == DEVICE["imei"]
    assert document.field("Colour").value == DEVICE["colour"]


def test_item_without_device_info_shows_marked_blanks(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path, device=False, name="odd|name_*.bin")
    with node.ctx.transaction() as session:
        document = build_certificate(node.ctx, session, None, item["id"], "IN-BSA-63").document
    for label in ("Make", "Model", "Colour", "Serial number", "IMEI", "MAC address", "Cloud ID"):
        field = document.field(label)
        assert field.value is None and field.blank == Blank(
            "the party producing the record", "unknown"
        )
    for label in (
        "Date and time of seizure (IST)",
        "Place of seizure or acquisition",
        "Acquisition tool",
        "Examiner named in the acquisition record",
    ):
        assert document.field(label).value is None
    device_type = next(
        b for b in document.blocks() if isinstance(b, Checklist) and b.label.startswith("Device")
    )
    assert device_type.ticked == [] and device_type.blank is not None
    # Only SHA-256 was computed, so only it is ticked among the algorithms.
    algorithms = next(
        b for b in document.blocks() if isinstance(b, Checklist) and b.label.startswith("Hash")
    )
    assert algorithms.ticked == ["SHA-256"]
    md = render_markdown(document).decode()
    assert "| Make | **[BLANK — not in Comity's record" in md
    assert "None" not in md and "- [x] Mobile" not in md
    assert "odd\\|name\\_\\*.bin" in md  # the file name cannot break the table
    out = tmp_path / "nodevice.pdf"
    produce_certificate(node.ctx, None, item["id"], "US-FRE-902-14", out)
    pdf = _text(out)
    assert "BLANK — not in Comity's record" in pdf and "None" not in pdf
    assert "SHA-1" not in pdf and "MD5" not in pdf


def test_unknown_law_extension_or_part_is_bad_input(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    with pytest.raises(InvalidInput) as info:
        produce_certificate(node.ctx, None, item["id"], "UK-PACE-69", tmp_path / "x.pdf")
    assert info.value.data["accepted"] == sorted(LAWS)
    assert "IN-BSA-63, US-FRE-902-13, US-FRE-902-14" in info.value.message
    with pytest.raises(InvalidInput) as info:
        produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", tmp_path / "x.docx")
    assert info.value.data["accepted"] == [".md", ".pdf"]
    with pytest.raises(InvalidInput):
        produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", tmp_path / "x.md", part="C")
    with pytest.raises(InvalidInput):
        produce_certificate(
            node.ctx, None, item["id"], "US-FRE-902-14", tmp_path / "x.md", part="A"
        )
    assert not list(tmp_path.glob("x.*"))
    assert output_format(Path("a.PDF")) == "pdf"
    assert get_kind("in-bsa-63").law == "IN-BSA-63"


def test_part_selects_what_is_produced(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    only_b = tmp_path / "b.md"
    result = produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", only_b, part="b")
    assert result.parts == ("B",)
    md = only_b.read_text(encoding="utf-8")
    assert "### Part B" in md and "### Part A" not in md
    assert "Declaration of lawful control" not in md and "Statement of the expert" in md


def test_registry_refuses_a_duplicate_law_id() -> None:
    assert set(certificate_kinds()) == set(LAWS)
    with pytest.raises(DuplicateCertificateKind):
        certificate_kind("IN-BSA-63", title="again")(get_kind("IN-BSA-63").build)
    assert certificate_kinds()["IN-BSA-63"].parts == ("A", "B")
    # The BSA check-list covers every device type Comity records.
    assert {t for _label, types in BSA_DEVICE_OPTIONS for t in types} == set(DEVICE_TYPES)


def test_audit_log_and_custody_ledger_gain_the_read(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    item_id = uuid.UUID(item["id"])
    with node.ctx.transaction() as session:
        before = len(audit.entries(session, case_id=None))
    out = tmp_path / "fre.pdf"
    result = produce_certificate(node.ctx, None, item["exhibit"], "US-FRE-902-14", out)
    with node.ctx.transaction() as session:
        entries = audit.entries(session)
        new = entries[before:]
        assert [e.action for e in new] == ["evidence.read", "evidence.certificate"]
        assert new[0].details == {"purpose": "certificate US-FRE-902-14"}
        assert new[1].object_id == item["id"] and new[1].actor == "admin"
        assert new[1].details["document_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        assert new[1].details["law"] == "US-FRE-902-14" and new[1].details["file"] == "fre.pdf"
        assert audit.verify_audit(session).ok
        log = custody_log(session, node.actor(), item["id"])
        row = session.get_one(EvidenceItem, item_id)
        (report,) = verify_chains(session, [row])
        assert report.ok
    actions = [e["action"] for e in log["events"]]
    assert actions == ["acquired", "accessed"]
    event = log["events"][1]
    assert event["purpose"] == "certificate US-FRE-902-14"
    assert event["details"] == {
        "certificate": "US-FRE-902-14",
        "parts": [],
        "format": "pdf",
        "content_read": False,
    }
    assert result.custody_event == event["seq"] == 2
    assert "Producing this certificate is recorded as event 2." in _text(out)


def test_a_broken_ledger_or_altered_copy_gets_no_certificate(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    store = store_for(node.ctx)
    blob = store.path(store.listing()[0])
    data = bytearray(blob.read_bytes())
    data[200] ^= 1
    blob.write_bytes(bytes(data))
    out = tmp_path / "cert.md"
    with pytest.raises(HashMismatch):
        produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", out, verify_content=True)
    assert not out.exists()
    # Without --verify-content the record alone is certified, and the document says so.
    produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", out)
    assert "not when this document was produced" in out.read_text(encoding="utf-8")
    out.unlink()
    with node.ctx.transaction() as session:
        signature = session.execute(text("SELECT signature FROM ledger_heads")).scalar_one()
        session.execute(
            text("UPDATE ledger_heads SET signature = :s"), {"s": signature[:-4] + "AAAA"}
        )
    with pytest.raises(LedgerBroken):
        produce_certificate(node.ctx, None, item["id"], "IN-BSA-63", out)
    assert not out.exists()
    with node.ctx.transaction() as session:
        events = custody_log(session, node.actor(), item["id"])["events"]
    assert [e["action"] for e in events] == ["acquired", "accessed"]  # the one certificate


def test_verify_content_is_recorded(node: Node, tmp_path: Path) -> None:
    item = _ingest(node, tmp_path)
    out = tmp_path / "cert.md"
    produce_certificate(node.ctx, None, item["id"], "US-FRE-902-13", out, verify_content=True)
    assert "the SHA-256 matches the value above" in out.read_text(encoding="utf-8")
    with node.ctx.transaction() as session:
        events = custody_log(session, node.actor(), item["id"])["events"]
    assert events[1]["details"]["content_read"] is True


CLI = "from comity.cli.main import main; import sys; sys.exit(main(sys.argv[1:]))"


def test_cli_writes_the_certificate_and_refuses_bad_input(
    cli_node_factory: Any, tmp_path: Path
) -> None:
    node = cli_node_factory("cbi")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", CLI, *args],
            env=node.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def ok(*args: str) -> Any:
        proc = run(*args, "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    ok("init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN",
       "--timezone", "Asia/Kolkata", "--url", "https://cbi.example")  # fmt: skip
    case = ok("case", "create", "--title", "t", "--jurisdiction", "IN")
    evidence = tmp_path / "seized.img"
    evidence.write_bytes(os.urandom(10_000))
    (item,) = ok("evidence", "add", case["id"], str(evidence), "--md5", "--sha1",
                 "--device-type", "mobile", "--make", "Samsung", "--model", "SM-A155F",
                 "--serial", "R58W70ABCDE", "--imei", "356938035643809",
                 "--seized-at", "2026-03-14T11:00:00Z", "--place", "Mumbai")["items"]  # fmt: skip
    out = tmp_path / "e1.pdf"
    written = ok("certificate", item["exhibit"], "--law", "IN-BSA-63", "--out", str(out))
    assert written["path"] == str(out) and written["law"] == "IN-BSA-63"
    assert written["item"] == item["id"] and written["sha256"] == item["hashes"]["sha256"]
    assert written["parts"] == ["A", "B"] and written["custody_event"] == 2
    assert "2026-03-14 16:30:00 IST" in _text(out)

    bad_law = run("certificate", item["id"], "--law", "IN-IEA-65B", "--out", str(tmp_path / "a.md"))
    assert bad_law.returncode == 2 and "Traceback" not in bad_law.stderr
    assert "IN-BSA-63, US-FRE-902-13, US-FRE-902-14" in bad_law.stderr
    bad_ext = run("certificate", item["id"], "--law", "IN-BSA-63", "--out", str(tmp_path / "a.txt"))
    assert bad_ext.returncode == 2 and ".md, .pdf" in bad_ext.stderr
    assert not (tmp_path / "a.md").exists() and not (tmp_path / "a.txt").exists()
    log = ok("custody", "log", item["id"])
    assert [e["action"] for e in log["events"]] == ["acquired", "accessed"]
