"""A request travels as a signed file from the CBI's node to the FBI's, and its status back."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comity.core.errors import AlreadyExists, PermissionDenied
from comity.legal.errors import (
    DraftIncomplete,
    LegalInputError,
    RequestConflict,
    RequestFileInvalid,
)
from comity.legal.exchange import export_request, export_status, import_request_file
from comity.legal.lifecycle import advance
from comity.legal.models import LegalRequest
from comity.legal.requests import create_request, get_request
from tests.conftest import Node
from tests.evidence.test_package_helpers import connect
from tests.legal.conftest import Scenario

COMPLETE = {
    "nexus": "The mailbox sent the phishing e-mails; its content shows who ran the campaign.",
    "identifiers": [{"type": "email-addr", "value": "kyc.update.sbi@gmail.com"}],
    "period": {"from": "2025-01-01", "to": "2025-06-30"},
    "assistance": ["Produce the content of the mailbox for the period."],
    "confidentiality": "Do not notify the account holder: the investigation is covert.",
    "probable_cause": "212 victims received e-mails from the account linking to the fake site.",
}


def ready_request(scenario: Scenario, changes: dict[str, object] | None = None) -> str:
    """An MLA request to the US for the scenario, approved by the central authority."""
    node = scenario.node
    with node.ctx.transaction() as session:
        request = create_request(
            session,
            scenario.investigator,
            scenario.kb,
            scenario.case,
            kind="mla-request",
            to="US",
            needs=["content"],
            changes={**COMPLETE, **(changes or {})},
        )
        request_id = request.id
    for state, who in (
        ("review", scenario.investigator),
        ("central-authority-approval", scenario.legal_officer),
    ):
        with node.ctx.transaction() as session:
            advance(session, who, scenario.kb, request_id, state)
    return request_id


def send(scenario: Scenario, request_id: str, out: Path, **options: object) -> dict[str, object]:
    """Export as the CBI's legal officer."""
    with scenario.node.ctx.transaction() as session:
        return export_request(
            session,
            scenario.legal_officer,
            scenario.node.ctx,
            scenario.kb,
            request_id,
            to="FBI",
            out=out,
            allow_incomplete=True,
            **options,
        )


def receive(fbi: Node, path: Path) -> dict[str, object]:
    """Import on the FBI's node as its administrator."""
    with fbi.ctx.transaction() as session:
        return import_request_file(session, fbi.actor(), fbi.ctx, path)


def fbi_reports(fbi: Node, scenario: Scenario, fbi_id: str, states: list[str], path: Path) -> Path:
    """The FBI moves its copy through ``states`` (noting each) and writes its status file."""
    for state in states:
        with fbi.ctx.transaction() as session:
            advance(session, fbi.actor(), scenario.kb, fbi_id, state, note=f"FBI: {state}")
    with fbi.ctx.transaction() as session:
        export_status(session, fbi.actor(), fbi.ctx, fbi_id, out=path)
    return path


def cbi_imports(scenario: Scenario, path: Path) -> dict[str, object]:
    """Import on the CBI's node as its legal officer."""
    with scenario.node.ctx.transaction() as session:
        return import_request_file(session, scenario.legal_officer, scenario.node.ctx, path)


def incoming_count(fbi: Node) -> int:
    with fbi.ctx.transaction() as session:
        return session.scalar(select(func.count()).select_from(LegalRequest)) or 0


@pytest.fixture
def peers(scenario: Scenario, us_node: Node, tmp_path: Path) -> Node:
    """The CBI and the FBI registered as each other's peers; returns the FBI's node."""
    connect(scenario.node.ctx, us_node.ctx, tmp_path)
    return us_node


def test_round_trip_request_out_status_back(scenario: Scenario, peers: Node, tmp_path: Path):
    fbi = peers
    request_id = ready_request(scenario)
    out = tmp_path / "req-for-fbi.json"
    sent = send(scenario, request_id, out)
    assert out.stat().st_mode & 0o777 == 0o600

    received = receive(fbi, out)
    assert received["action"] == "received" and received["from"] == "CBI"
    assert received["remote_id"] == request_id and received["state"] == "transmitted"
    stored = Path(str(received["document"]))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sent["document"]["sha256"]  # type: ignore[index]
    assert stored.read_bytes().startswith(b"%PDF")
    with fbi.ctx.transaction() as session:
        incoming = get_request(session, fbi.actor(), str(received["request"]))
        assert incoming.direction == "incoming" and incoming.kind == "mla-request"
        assert incoming.particulars["probable_cause"] == COMPLETE["probable_cause"]
        fbi_id = incoming.id

    # the FBI works on it; the CBI transmitted it meanwhile
    with scenario.node.ctx.transaction() as session:
        advance(session, scenario.legal_officer, scenario.kb, request_id, "transmitted")
    status = fbi_reports(fbi, scenario, fbi_id, ["acknowledged", "executing", "partially-executed"],
                         tmp_path / "status-for-cbi.json")  # fmt: skip
    applied = cbi_imports(scenario, status)
    assert applied["applied"] == ["acknowledged", "executing", "partially-executed"]
    with scenario.node.ctx.transaction() as session:
        mine = get_request(session, scenario.legal_officer, request_id)
        assert mine.state == "partially-executed" and mine.answered_at is not None
        reported = [e for e in mine.events if e.actor == "peer:FBI"]
        assert [e.to_state for e in reported] == ["acknowledged", "executing", "partially-executed"]
        assert "FBI: executing" in reported[1].note
    # the same status again changes nothing
    again = cbi_imports(scenario, status)
    assert again["applied"] == []


def test_a_tampered_request_file_is_refused_and_nothing_recorded(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    out = tmp_path / "req.json"
    send(scenario, ready_request(scenario), out)
    message = json.loads(out.read_text())
    message["document"]["request"]["particulars"]["probable_cause"] = "changed on the way"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(message))
    with pytest.raises(RequestFileInvalid, match="altered after it was signed"):
        receive(peers, tampered)
    # a document swapped and re-hashed still breaks the signature
    message = json.loads(out.read_text())
    fake = b"%PDF-1.4 not the document"
    message["document"]["document"]["base64"] = base64.b64encode(fake).decode()
    message["document"]["document"]["sha256"] = hashlib.sha256(fake).hexdigest()
    tampered.write_text(json.dumps(message))
    with pytest.raises(RequestFileInvalid, match="altered"):
        receive(peers, tampered)
    assert incoming_count(peers) == 0
    assert not (peers.home / "legal" / "received").exists()


def test_a_request_is_received_once(scenario: Scenario, peers: Node, tmp_path: Path):
    out = tmp_path / "req.json"
    send(scenario, ready_request(scenario), out)
    receive(peers, out)
    with pytest.raises(AlreadyExists, match="already recorded"):
        receive(peers, out)
    assert incoming_count(peers) == 1


def test_a_file_from_a_stranger_or_for_another_node_is_refused(
    scenario: Scenario, us_node: Node, tmp_path: Path
):
    # the CBI knows the FBI, the FBI does not know the CBI
    from comity.federation.services import add_peer, export_descriptor, read_descriptor

    with us_node.ctx.transaction() as session:
        descriptor = export_descriptor(session, us_node.ctx.keys)
    path = tmp_path / "fbi.json"
    path.write_text(json.dumps(descriptor))
    with scenario.node.ctx.transaction() as session:
        add_peer(session, scenario.node.actor(), **read_descriptor(path))
    out = tmp_path / "req.json"
    send(scenario, ready_request(scenario), out)
    with pytest.raises(RequestFileInvalid, match="not a peer"):
        receive(us_node, out)
    # a file addressed to the FBI is not for the CBI's own node
    with pytest.raises(RequestFileInvalid, match="addressed to FBI"):
        cbi_imports(scenario, out)


def test_export_needs_a_complete_approved_request_for_the_right_peer(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    incomplete = ready_request(scenario, {"probable_cause": ""})
    with scenario.node.ctx.transaction() as session, pytest.raises(DraftIncomplete) as caught:
        export_request(
            session,
            scenario.legal_officer,
            scenario.node.ctx,
            scenario.kb,
            incomplete,
            to="FBI",
            out=tmp_path / "x.json",
        )
    missing = [m["element"] for m in caught.value.data["missing"]]
    assert missing == ["text of the penal sections", "probable-cause statement"]
    assert not (tmp_path / "x.json").exists()

    with scenario.node.ctx.transaction() as session:
        draft = create_request(
            session,
            scenario.investigator,
            scenario.kb,
            scenario.case,
            kind="mla-request",
            to="US",
            needs=["content"],
            changes=COMPLETE,
        )
        draft_id = draft.id
        with pytest.raises(RequestConflict, match="is draft"):
            export_request(
                session,
                scenario.legal_officer,
                scenario.node.ctx,
                scenario.kb,
                draft_id,
                to="FBI",
                out=tmp_path / "x.json",
            )
        to_dubai = create_request(
            session,
            scenario.investigator,
            scenario.kb,
            scenario.case,
            kind="preservation",
            to="AE",
            needs=["preservation"],
        )
        dubai_id = to_dubai.id
    with scenario.node.ctx.transaction() as session:
        advance(session, scenario.investigator, scenario.kb, dubai_id, "review")
    with (
        scenario.node.ctx.transaction() as session,
        pytest.raises(LegalInputError, match="FBI is in US"),
    ):
        export_request(
            session,
            scenario.legal_officer,
            scenario.node.ctx,
            scenario.kb,
            dubai_id,
            to="FBI",
            out=tmp_path / "x.json",
            allow_incomplete=True,
        )
    with scenario.node.ctx.transaction() as session, pytest.raises(PermissionDenied):
        export_request(
            session,
            scenario.investigator,
            scenario.node.ctx,
            scenario.kb,
            draft_id,
            to="FBI",
            out=tmp_path / "x.json",
        )


def test_a_report_from_the_requested_agency_implies_the_transmission(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    fbi = peers
    request_id = ready_request(scenario)
    out = tmp_path / "req.json"
    send(scenario, request_id, out)
    fbi_id = str(receive(fbi, out)["request"])
    status = fbi_reports(fbi, scenario, fbi_id, ["acknowledged"], tmp_path / "status.json")
    # the CBI has not recorded the transmission: the FBI acknowledging it says it happened
    applied = cbi_imports(scenario, status)
    assert applied["applied"] == ["transmitted", "acknowledged"]
    with scenario.node.ctx.transaction() as session:
        mine = get_request(session, scenario.legal_officer, request_id)
        exported = [e for e in mine.events if e.action == "export"][-1]
        implied = [e for e in mine.events if e.to_state == "transmitted"][-1]
        assert mine.state == "acknowledged" and mine.transmitted_at == exported.at
        assert (implied.actor, implied.at) == ("peer:FBI", exported.at)
        assert "implied by FBI's report" in implied.note


def test_a_status_the_lifecycle_does_not_allow_is_refused(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    fbi = peers
    request_id = ready_request(scenario)
    out = tmp_path / "req.json"
    send(scenario, request_id, out)
    fbi_id = str(receive(fbi, out)["request"])
    with scenario.node.ctx.transaction() as session:
        advance(session, scenario.legal_officer, scenario.kb, request_id, "withdrawn",
                note="the suspect was arrested at home")  # fmt: skip
    status = fbi_reports(fbi, scenario, fbi_id, ["acknowledged"], tmp_path / "status.json")
    with pytest.raises(RequestFileInvalid, match="withdrawn, from which it cannot move"):
        cbi_imports(scenario, status)
    with scenario.node.ctx.transaction() as session:
        assert get_request(session, scenario.legal_officer, request_id).state == "withdrawn"


@pytest.mark.parametrize(
    "content", [b"", b"{}", b"not json", b'{"document": {"kind": "x"}}', b"\xff\xfe"]
)
def test_junk_is_bad_input(scenario: Scenario, tmp_path: Path, content: bytes):
    path = tmp_path / "junk.json"
    path.write_bytes(content)
    with pytest.raises(LegalInputError, match="not a Comity"):
        cbi_imports(scenario, path)


def test_a_move_dated_before_the_request_was_sent_is_refused(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    from comity.federation.messages import seal

    fbi = peers
    request_id = ready_request(scenario)
    send(scenario, request_id, tmp_path / "req.json")
    for when, problem in (("2020-01-01T00:00:00Z", "before the request was sent"),
                          ("2999-01-01T00:00:00Z", "in the future")):  # fmt: skip
        status = tmp_path / "status.json"
        document = {"kind": "legal-request-status", "from": "FBI", "to": "CBI",
                    "request": request_id, "state": "acknowledged",
                    "moves": [{"to": "acknowledged", "at": when, "note": ""}]}  # fmt: skip
        status.write_text(seal(fbi.ctx.keys, document))
        with pytest.raises(RequestFileInvalid, match=problem):
            cbi_imports(scenario, status)
    with scenario.node.ctx.transaction() as session:
        assert get_request(session, scenario.legal_officer, request_id).state == (
            "central-authority-approval"
        )


def test_an_incoming_request_is_filed_under_a_case_of_the_requested_node(
    scenario: Scenario, peers: Node, tmp_path: Path
):
    from comity.cases.services import create_case
    from comity.identity.services import create_user
    from comity.legal.requests import attach_case, list_requests

    fbi = peers
    out = tmp_path / "req.json"
    rid = ready_request(scenario)
    send(scenario, rid, out)
    fbi_id = str(receive(fbi, out)["request"])
    admin = fbi.actor()
    with fbi.ctx.transaction() as session:
        for name in ("j.doe", "k.lee"):
            create_user(session, admin, username=name, roles=["investigator"], display_name=name)
    agent = fbi.actor("j.doe")
    with fbi.ctx.transaction() as session:
        case = create_case(session, agent, title="MLAT execution: CBI KYC phishing",
                           jurisdictions=["US", "IN"]).reference  # fmt: skip
        # before it is filed, only legal officers, supervisors and administrators see it
        assert list_requests(session, agent) == []
    with fbi.ctx.transaction() as session:
        with pytest.raises(PermissionDenied):
            attach_case(session, agent, fbi_id, case)
        filed = attach_case(session, admin, fbi_id, case, note="executing office")
        assert "filed under case" in filed.events[-1].note
    with fbi.ctx.transaction() as session:
        assert [r.id for r in list_requests(session, agent)] == [fbi_id]
        assert list_requests(session, fbi.actor("k.lee")) == []
        with pytest.raises(LegalInputError, match="already filed"):
            attach_case(session, admin, fbi_id, case)
    # the CBI's own request belongs to the case it was made for
    with (
        scenario.node.ctx.transaction() as session,
        pytest.raises(LegalInputError, match="this node's own"),
    ):
        attach_case(session, scenario.legal_officer, rid, scenario.case)
