"""Drafting requests as PDF and DOCX: what the draft says, gaps marked MISSING, refusals, and
the ``draft_cmd`` command.

The command is tested on a small Typer app assembled here (``comity legal draft`` is wired in
``comity.legal.cli``, which these tests do not depend on); it runs on the scenario node's
context, acting as the case's investigator.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as s
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from comity.cli.common import State
from comity.identity.models import AuditEvent
from comity.legal import render
from comity.legal.checklist import evaluate
from comity.legal.cli_draft import draft_cmd
from comity.legal.draft_service import draft_request
from comity.legal.drafting import build_document
from comity.legal.errors import DraftIncomplete, LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.particulars import parse_identifier
from comity.legal.requests import create_request
from comity.legal.schema import NEEDS, REQUEST_KINDS
from tests.legal.conftest import Scenario
from tests.legal.test_checklist import KB, Req, any_particulars

HINDI = "पीड़ितों को एसबीआई केवाईसी अपडेट के नाम पर ईमेल भेजे गए।"
PROBABLE_CAUSE = (
    "Google's records show the account kyc.update.sbi@gmail.com sent 2,300 e-mails linking to "
    "the copy of the bank's site between 3 January and 28 March 2025."
)
PARTICULARS: dict[str, Any] = {
    "assistance": [
        "Produce the subscriber information of the account.",
        "Produce the content of the account's sent messages.",
    ],
    "nexus": "The account sent the phishing e-mails that took the victims' credentials.",
    "period": {"from": "2025-01-01", "to": "2025-03-31"},
    "confidentiality": "Do not notify the account holder: the suspects would destroy evidence.",
}


def _kb_with_texts(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base with a (test) text for each offence of the scenario case."""
    entries = []
    for ref in ("IN:IT Act 66D", "IN:BNS 318", "IN:IT Act 66C"):
        entry = kb.offence(ref)
        assert entry is not None
        entries.append(entry.model_copy(update={"text": f"Statute text of {ref} (test fixture)."}))
    return kb.overlaid([("test", "offences", entries)])


def _request(sc: Scenario, *, needs: list[str], without: str = "", **changes: Any) -> str:
    identifiers = [parse_identifier("email-addr:kyc.update.sbi@gmail.com")]
    given = {k: v for k, v in PARTICULARS.items() if k != without}
    with sc.node.ctx.transaction() as session:
        request = create_request(
            session,
            sc.investigator,
            sc.kb,
            sc.case,
            kind=changes.pop("kind", "mla-request"),
            to="US",
            needs=needs,
            changes={**given, "identifiers": identifiers, **changes},
        )
        return request.id


def _draft(
    sc: Scenario, request_id: str, out: Path, kb: KnowledgeBase, allow: bool = False
) -> dict[str, Any]:
    with sc.node.ctx.transaction() as session:
        return draft_request(session, sc.investigator, kb, request_id, out, allow)


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An empty folder for the drafts (the node's home is elsewhere in ``tmp_path``)."""
    folder = tmp_path / "drafts"
    folder.mkdir()
    return folder


def _pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _docx_paragraphs(path: Path) -> list[Any]:
    doc = Document(str(path))
    cells = [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return [*doc.paragraphs, *cells]


def test_complete_pdf_says_everything(scenario: Scenario, outdir: Path) -> None:
    kb = _kb_with_texts(scenario.kb)
    request_id = _request(scenario, needs=["content"], probable_cause=PROBABLE_CAUSE)
    out = outdir / "request.pdf"
    result = _draft(scenario, request_id, out, kb)

    data = out.read_bytes()
    assert result["complete"] is True and result["missing"] == []
    assert result["format"] == "pdf" and result["file"] == str(out)
    assert result["bytes"] == len(data)
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert all(c["ok"] for c in result["checked"])
    text = _pdf_text(out)
    assert "Request for Mutual Legal Assistance in Criminal Matters" in text
    assert request_id in text
    assert "at least 212 Indian citizens received e-mails" in text  # the facts
    assert "Office of International Affairs" in text  # the US central authority
    assert "Treaty between the Republic of India and the United States of America" in text
    assert "in force since 2005-10-03" in text
    for offence in ("IN:IT Act 66D", "IN:BNS 318(4)", "IN:IT Act 66C"):
        assert offence in text
    assert "Cheating by personation by using a computer resource" in text
    assert "Statute text of IN:IT Act 66D (test fixture)." in text
    for counterpart in (
        "US:18 U.S.C. 1343 — Wire fraud",
        "US:18 U.S.C. 1028A",
        "US:18 U.S.C. 1341",
    ):
        assert counterpart in text
    assert "maximum imprisonment 20 years" in text
    assert "kyc.update.sbi@gmail.com" in text
    assert "from 2025-01-01 to 2025-03-31" in text
    assert "Probable cause" in text and PROBABLE_CAUSE in text
    assert "Produce the content of the account's sent messages." in text
    assert "MISSING" not in text
    assert "page 1 of" in text
    with scenario.node.ctx.transaction() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "legal.request.draft")
        ).one()
    assert event.object_id == request_id
    assert event.details["sha256"] == result["sha256"]
    assert event.details["file"] == "request.pdf"


def test_incomplete_draft_refused_and_nothing_written(scenario: Scenario, outdir: Path) -> None:
    kb = _kb_with_texts(scenario.kb)
    request_id = _request(scenario, needs=["content"])  # no probable-cause statement
    out = outdir / "request.pdf"
    with pytest.raises(DraftIncomplete) as caught:
        _draft(scenario, request_id, out, kb)
    assert caught.value.exit_code == 1
    assert caught.value.data["request"] == request_id
    assert [m["element"] for m in caught.value.data["missing"]] == ["probable-cause statement"]
    assert "probable-cause statement" in caught.value.message
    assert list(outdir.iterdir()) == []


def test_subscriber_request_needs_no_probable_cause(scenario: Scenario, outdir: Path) -> None:
    kb = _kb_with_texts(scenario.kb)
    request_id = _request(scenario, needs=["subscriber"])
    out = outdir / "request.pdf"
    assert _draft(scenario, request_id, out, kb)["complete"] is True
    assert "Probable cause" not in _pdf_text(out)


def test_allow_incomplete_marks_every_gap(scenario: Scenario, outdir: Path) -> None:
    request_id = _request(scenario, needs=["content"], without="confidentiality")
    expected = {
        "probable-cause statement",
        "confidentiality",
        "text of the penal sections",  # the package has no statute texts
    }
    pdf, docx = outdir / "request.pdf", outdir / "request.docx"
    result = _draft(scenario, request_id, pdf, scenario.kb, allow=True)
    assert result["complete"] is False
    assert {m["element"] for m in result["missing"]} == expected
    assert _draft(scenario, request_id, docx, scenario.kb, allow=True)["format"] == "docx"

    text = _pdf_text(pdf)
    assert "INCOMPLETE DRAFT" in text
    for element in expected:
        assert text.count(f"MISSING — {element}:") == 2, element  # in place and on the checklist
    assert "no text in the knowledge base for IN:IT Act 66D, IN:BNS 318(4), IN:IT Act 66C" in text
    assert "Stored Communications Act" in text  # the gap's source

    paragraphs = _docx_paragraphs(docx)
    for element in expected:
        gaps = [p for p in paragraphs if p.text.startswith(f"MISSING — {element}:")]
        assert len(gaps) == 2, element
        for paragraph in gaps:
            run = paragraph.runs[0]
            assert run.bold and run.font.highlight_color is not None
            assert (
                paragraph._p.pPr.find(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd"
                )
                is not None
            )
    marks = [p.text for p in paragraphs if p.text in ("✓", "✗")]
    assert marks.count("✗") == 3 and marks.count("✓") == 7
    footer = Document(str(docx)).sections[0].footer.paragraphs[0]
    assert request_id in footer.text and "NUMPAGES" in footer._p.xml


@pytest.mark.parametrize("name", ["request.txt", "request.md", "request", "request.pdf.exe"])
def test_unsupported_extension_refused(scenario: Scenario, outdir: Path, name: str) -> None:
    request_id = _request(scenario, needs=["subscriber"])
    with pytest.raises(LegalInputError) as caught:
        _draft(scenario, request_id, outdir / name, scenario.kb, allow=True)
    assert caught.value.exit_code == 2
    assert ".pdf or .docx" in caught.value.message
    assert list(outdir.iterdir()) == []


@pytest.mark.parametrize("where", ["missing/request.pdf", "missing/../request.pdf", "."])
def test_folder_that_does_not_exist_refused(scenario: Scenario, outdir: Path, where: str) -> None:
    request_id = _request(scenario, needs=["subscriber"])
    out = outdir / where if where != "." else outdir / "dir.pdf"
    if where == ".":
        out.mkdir()
    with pytest.raises(LegalInputError) as caught:
        _draft(scenario, request_id, out, scenario.kb, allow=True)
    assert caught.value.exit_code == 2
    assert not (outdir / "request.pdf").exists()
    assert not (outdir / "missing").exists()


def test_hindi_facts_do_not_crash(
    scenario: Scenario, outdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = _request(scenario, needs=["subscriber"], facts=f"{HINDI}\n\nIn English: phishing.")
    pdf, docx = outdir / "r.pdf", outdir / "r.docx"
    _draft(scenario, request_id, pdf, scenario.kb, allow=True)
    text = _pdf_text(pdf)
    assert "In English: phishing." in text
    assert "cannot show are printed as '?'" in text
    _draft(scenario, request_id, docx, scenario.kb, allow=True)
    assert any(HINDI in p.text for p in _docx_paragraphs(docx))

    # Without DejaVu: the standard Helvetica, and the same replacement.
    helvetica = render.PdfFonts(
        "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", render._standard_covers
    )
    monkeypatch.setattr(render, "pdf_fonts", lambda: helvetica)
    _draft(scenario, request_id, pdf, scenario.kb, allow=True)
    text = _pdf_text(pdf)
    assert "In English: phishing." in text and "MISSING" in text


@pytest.mark.parametrize(
    ("kind", "title", "changes"),
    [
        (
            "preservation",
            "Request for Expedited Preservation of Stored Computer Data",
            {
                "custodian": "Google LLC",
                "necessity": "The account may be deleted.",
                "follow_up": True,
            },
        ),
        (
            "letter-rogatory",
            "Letter Rogatory",
            {"reciprocity": True},
        ),
        (
            "emergency-disclosure",
            "Emergency Disclosure Request",
            {"danger": "A victim has threatened suicide after losing her savings."},
        ),
        (
            "interpol-diffusion",
            "Request for an INTERPOL Diffusion",
            {"subject": "The caller known as 'Vikram', a Russian national."},
        ),
    ],
)
def test_each_kind_drafts(
    scenario: Scenario, outdir: Path, kind: str, title: str, changes: dict[str, Any]
) -> None:
    request_id = _request(scenario, needs=["subscriber"], kind=kind, **changes)
    out = outdir / "r.pdf"
    result = _draft(scenario, request_id, out, scenario.kb, allow=True)
    text = _pdf_text(out)
    assert title in text
    for value in changes.values():
        if isinstance(value, str):
            assert value in text
    if kind == "preservation":
        assert "18 U.S.C. §2703(f): 90 days." in text
        assert "Google LLC (the provider), United States" in text
        assert "will follow this request with a request for mutual legal assistance" in text
    if kind == "letter-rogatory":
        assert "BNSS s.112: Letter of request" in text
        assert "assures United States of reciprocity" in text
        assert {m["element"] for m in result["missing"]} == {"text of the penal sections"}
    if kind == "emergency-disclosure":
        assert "18 U.S.C. §2702(b)(8)" in text
    if kind == "interpol-diffusion":
        assert (
            "INTERPOL National Central Bureau of United States (not in the knowledge base)" in text
        )
        assert "Through Central Bureau of Investigation (CBI), INTERPOL National Central" in text


def _cli(scenario: Scenario, args: list[str]) -> Any:
    app = typer.Typer()
    app.command("draft")(draft_cmd)

    @app.callback()
    def root() -> None:
        """A stand-in for ``comity legal``."""

    state = State(user="a.rao")
    state.__dict__["ctx"] = scenario.node.ctx  # the scenario node's context
    return CliRunner().invoke(app, args, obj=state)


def test_command_writes_and_prints_json(scenario: Scenario, outdir: Path) -> None:
    request_id = _request(scenario, needs=["subscriber"])
    out = outdir / "r.docx"
    result = _cli(
        scenario, ["draft", request_id, "--out", str(out), "--allow-incomplete", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert data["complete"] is False and data["format"] == "docx"
    assert set(data) == {
        "request",
        "file",
        "format",
        "sha256",
        "bytes",
        "complete",
        "missing",
        "checked",
    }

    human = _cli(scenario, ["draft", request_id, "--out", str(out), "--allow-incomplete"])
    assert human.exit_code == 0
    assert "text of the penal sections" in human.stdout and "Wrote" in human.stdout


def test_command_refuses_an_incomplete_draft_with_json(scenario: Scenario, outdir: Path) -> None:
    request_id = _request(scenario, needs=["content"])
    out = outdir / "r.pdf"
    result = _cli(scenario, ["draft", request_id, "--out", str(out), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["complete"] is False
    assert {m["element"] for m in data["missing"]} == {
        "probable-cause statement",
        "text of the penal sections",
    }
    assert not out.exists()

    human = _cli(scenario, ["draft", request_id, "--out", str(out)])
    assert human.exit_code == 1
    assert "--allow-incomplete" in human.stderr

    bad = _cli(scenario, ["draft", request_id, "--out", str(outdir / "r.txt")])
    assert isinstance(bad.exception, LegalInputError)  # ``comity`` maps it to exit 2
    assert list(outdir.iterdir()) == []


@settings(max_examples=25)
@given(
    particulars=any_particulars(),
    kind=s.sampled_from(REQUEST_KINDS),
    needs=s.lists(s.sampled_from(NEEDS), max_size=3),
)
def test_any_particulars_draft_without_error(
    particulars: dict[str, Any], kind: str, needs: list[str]
) -> None:
    request = Req(kind=kind, needs=needs, particulars=particulars)
    document = build_document(KB, request, None, evaluate(KB, request), request_id="REQ-2026-0009")
    assert len(document.gaps) == sum(not o.ok for o in evaluate(KB, request))
    assert render.render_pdf(document).startswith(b"%PDF")
    assert render.render_docx(document).startswith(b"PK")
