"""A request's life through the services: every allowed path, the refused ones, who may move a
request, the times a move may carry, deadlines from the knowledge base, what falls due, the
figures — on both backends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from comity.cases.services import add_member, create_case
from comity.core.errors import PermissionDenied
from comity.core.timeutil import utcnow
from comity.identity import audit
from comity.identity.models import AuditEvent
from comity.identity.services import Actor, create_user
from comity.legal.deadlines import deadlines, due, parse_window
from comity.legal.errors import (
    InvalidTransition,
    LegalInputError,
    RequestConflict,
    UnknownRequest,
)
from comity.legal.knowledge import KnowledgeBase
from comity.legal.lifecycle import (
    advance,
    next_states,
    parse_at,
    particulars_changes,
    renew,
    request_view,
    stats,
)
from comity.legal.models import LegalRequest, RequestEvent
from comity.legal.requests import create_request, load_request
from tests.conftest import make_node
from tests.legal.conftest import Scenario

KB = KnowledgeBase.from_package()


def create(s: Scenario, kind: str, to: str = "US", actor: Actor | None = None, **kw: Any) -> str:
    with s.node.ctx.transaction() as session:
        request = create_request(
            session, actor or s.investigator, s.kb, s.case, kind=kind, to=to, **kw
        )
        return request.id


def move(
    s: Scenario,
    request_id: str,
    *states: str,
    actor: Actor | None = None,
    at: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Move through ``states`` in turn (as the legal officer unless told), all at ``at``."""
    with s.node.ctx.transaction() as session:
        for wanted in states:
            request = advance(
                session,
                actor or s.legal_officer,
                s.kb,
                request_id,
                wanted,
                note=note,
                at=parse_at(at) if at else None,
            )
        return request_view(session, s.kb, request)


def view(s: Scenario, request_id: str) -> dict[str, Any]:
    with s.node.ctx.transaction() as session:
        return request_view(session, s.kb, load_request(session, request_id))


def audited(session: Session, action: str) -> list[AuditEvent]:
    return [e for e in audit.entries(session) if e.action == action]


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- the paths ---------------------------------------------------------------------------------


def test_a_letter_rogatory_goes_through_the_central_authority_and_the_court(
    scenario: Scenario,
) -> None:
    s = scenario
    rid = create(s, "letter-rogatory", needs=["testimony"])
    assert view(s, rid)["next"] == ["review", "withdrawn"]
    move(s, rid, "review", actor=s.investigator, at="2025-01-02T10:00+05:30", note="draft done")
    with pytest.raises(InvalidTransition) as skipped:
        move(s, rid, "transmitted", at="2025-01-03T10:00+05:30")
    assert skipped.value.data == {
        "request": rid,
        "current": "review",
        "to": "transmitted",
        "allowed": ["draft", "central-authority-concurrence", "withdrawn"],
    }
    with pytest.raises(PermissionDenied, match="legal_officer"):
        move(s, rid, "central-authority-concurrence", actor=s.investigator)
    move(s, rid, "central-authority-concurrence", at="2025-01-05T10:00+05:30", note="MHA agrees")
    with pytest.raises(InvalidTransition):
        move(s, rid, "transmitted")
    move(s, rid, "court-issued", at="2025-01-08T10:00+05:30", note="CMM Delhi signed")
    move(s, rid, "transmitted", at="2025-01-10T10:00+05:30", note="via MHA to DOJ OIA")
    for state in ("acknowledged", "executing", "executed"):
        move(s, rid, state, actor=s.investigator, at="2025-04-10T10:00+05:30")
    done = move(s, rid, "closed", actor=s.investigator)
    assert done["state"] == "closed" and done["next"] == []
    assert done["transmitted_at"] == "2025-01-10T04:30:00Z"
    assert done["answered_at"] == "2025-04-10T04:30:00Z"
    steps = [(e["action"], e["from"], e["to"], e["by"]) for e in done["history"]]
    assert steps == [
        ("create", None, "draft", "a.rao"),
        ("state", "draft", "review", "a.rao"),
        ("state", "review", "central-authority-concurrence", "m.sen"),
        ("state", "central-authority-concurrence", "court-issued", "m.sen"),
        ("state", "court-issued", "transmitted", "m.sen"),
        ("state", "transmitted", "acknowledged", "a.rao"),
        ("state", "acknowledged", "executing", "a.rao"),
        ("state", "executing", "executed", "a.rao"),
        ("state", "executed", "closed", "a.rao"),
    ]
    assert done["history"][2]["note"] == "MHA agrees"
    assert done["history"][2]["at"] == "2025-01-05T04:30:00Z"
    assert done["history"][2]["recorded_at"] > "2025-01-05"
    with pytest.raises(InvalidTransition, match="closed is final"):
        move(s, rid, "draft")
    with s.node.ctx.transaction() as session:
        moves = audited(session, "legal.request.advance")
        assert len(moves) == 8
        assert moves[0].object_id == rid and moves[0].case_id is not None
        assert moves[1].actor == "m.sen"
        assert moves[1].details == {
            "from": "review",
            "to": "central-authority-concurrence",
            "at": "2025-01-05T04:30:00Z",
            "note": "MHA agrees",
        }


def test_an_mla_request_needs_the_central_authoritys_approval(scenario: Scenario) -> None:
    s = scenario
    rid = create(s, "mla-request", needs=["content"])
    move(s, rid, "review", at="2025-02-01T10:00Z")
    move(s, rid, "draft", at="2025-02-02T10:00Z", note="sent back: the nexus is thin")
    with pytest.raises(InvalidTransition) as skipped:
        move(s, rid, "transmitted")
    assert skipped.value.data["current"] == "draft"
    assert skipped.value.data["allowed"] == ["review", "withdrawn"]
    move(s, rid, "review", at="2025-02-03T10:00Z")
    with pytest.raises(InvalidTransition, match="central-authority-approval"):
        move(s, rid, "transmitted")
    with pytest.raises(InvalidTransition):
        move(s, rid, "central-authority-concurrence")  # a letter rogatory's step
    move(s, rid, "central-authority-approval", "transmitted", at="2025-02-10T10:00Z")
    got = move(s, rid, "acknowledged", "executing", "partially-executed", at="2025-05-01T10:00Z")
    assert got["answered_at"] == "2025-05-01T10:00:00Z" and got["next"] == ["closed"]
    assert got["history"][2]["note"] == "sent back: the nexus is thin"


def test_a_preservation_goes_straight_from_review_and_can_be_refused_or_withdrawn(
    scenario: Scenario,
) -> None:
    s = scenario
    assert next_states("preservation", "review") == ("draft", "transmitted", "withdrawn")
    assert next_states("provider-request", "transmitted") == (
        "acknowledged",
        "refused",
        "withdrawn",
    )
    assert next_states("interpol-diffusion", "executing") == (
        "executed",
        "partially-executed",
        "refused",
        "withdrawn",
    )
    rid = create(s, "preservation", needs=["preservation"])
    with pytest.raises(InvalidTransition):
        move(s, rid, "transmitted")  # draft → transmitted skips review
    refused = move(s, rid, "review", "transmitted", "refused", at="2025-03-01T10:00Z")
    assert refused["answered_at"] == "2025-03-01T10:00:00Z"
    assert move(s, rid, "closed")["state"] == "closed"
    path = ("review", "transmitted", "acknowledged", "executing")
    for stop in ("draft", *path):
        other = create(s, "emergency-disclosure", needs=["subscriber"])
        got = move(s, other, *path[: ("draft", *path).index(stop)], "withdrawn")
        assert got["state"] == "withdrawn" and got["answered_at"] is None
        assert got["next"] == ["closed"]


def test_unknown_states_and_who_may_move(scenario: Scenario) -> None:
    s = scenario
    rid = create(s, "preservation")
    with pytest.raises(LegalInputError, match="unknown state 'sent'") as bad:
        move(s, rid, "sent")
    assert bad.value.exit_code == 2
    with pytest.raises(PermissionDenied, match="may not see request"):
        move(s, rid, "review", actor=s.outsider)
    move(s, rid, "review", actor=s.investigator)
    with pytest.raises(PermissionDenied, match="legal_officer"):
        move(s, rid, "transmitted", actor=s.investigator)
    move(s, rid, "transmitted", actor=s.node.actor())  # the administrator
    with s.node.ctx.transaction() as session:
        create_user(session, s.node.actor(), username="k.iyer", roles=["analyst"], display_name="K")
        add_member(session, s.investigator, s.case, "k.iyer", "analysis")
    with pytest.raises(PermissionDenied):
        move(s, rid, "acknowledged", actor=s.node.actor("k.iyer"))
    with pytest.raises(UnknownRequest, match="no request"):
        move(s, "REQ-1999-0001", "review")


def test_a_move_in_the_future_or_before_the_last_one_is_refused_and_nothing_written(
    scenario: Scenario,
) -> None:
    s = scenario
    rid = create(s, "mla-request")
    move(s, rid, "review", at="2025-01-10T10:00+05:30")
    with s.node.ctx.transaction() as session:
        before = (count(session, RequestEvent), count(session, AuditEvent))
    later = (utcnow() + timedelta(hours=2)).isoformat()
    with pytest.raises(LegalInputError, match="in the future") as future:
        move(s, rid, "central-authority-approval", at=later)
    assert future.value.exit_code == 2
    with pytest.raises(LegalInputError, match="before the request's last move"):
        move(s, rid, "central-authority-approval", at="2025-01-09T10:00+05:30")
    with pytest.raises(LegalInputError, match="offset"):
        parse_at("2025-01-11 10:00")
    with s.node.ctx.transaction() as session:
        assert (count(session, RequestEvent), count(session, AuditEvent)) == before
    shown = view(s, rid)
    assert shown["state"] == "review" and len(shown["history"]) == 2
    # Clock slack: a few seconds ahead is "now" on another machine's clock.
    soon = (utcnow() + timedelta(seconds=20)).isoformat()
    assert move(s, rid, "central-authority-approval", at=soon)["state"] == (
        "central-authority-approval"
    )


# --- deadlines ---------------------------------------------------------------------------------


def test_a_us_preservation_lapses_after_90_days_renewable_once(scenario: Scenario) -> None:
    s = scenario
    rid = create(s, "preservation", needs=["preservation"])
    assert view(s, rid)["deadlines"] == []  # not transmitted: no clock runs
    with (
        pytest.raises(RequestConflict, match="only a transmitted"),
        s.node.ctx.transaction() as session,
    ):
        renew(session, s.legal_officer, s.kb, rid)
    sent = move(s, rid, "review", "transmitted", at="2025-01-10T10:00+05:30")
    lapse, follow = sent["deadlines"]
    assert lapse["kind"] == "preservation-lapses"
    assert lapse["due"] == "2025-04-10"  # 90 days after 10 January
    assert lapse["minimum"] is False and lapse["basis"] == ["18 U.S.C. §2703(f)"]
    assert lapse["source"].startswith("Stored Communications Act")
    assert lapse["status"] == "verified" and lapse["case"] == s.case
    assert lapse["renewals"] == {"used": 0, "allowed": 1}
    assert follow["kind"] == "follow-up-mla" and follow["due"] == "2025-04-10"
    assert follow["satisfied_by"] is None

    with s.node.ctx.transaction() as session:
        with pytest.raises(PermissionDenied):
            renew(session, s.investigator, s.kb, rid)
        with pytest.raises(LegalInputError, match="in the future"):
            renew(session, s.legal_officer, s.kb, rid, at=utcnow() + timedelta(days=1))
        renewed = renew(
            session,
            s.legal_officer,
            s.kb,
            rid,
            "renewed with Google",
            parse_at("2025-03-20T12:00Z"),
        )
        assert renewed.renewals == 1
        lapse = deadlines(session, s.kb, renewed)[0]
        assert lapse["due"] == "2025-07-09"  # 180 days
        assert "90 days from 2025-01-10 and 1 renewal(s) of 90 days" in lapse["note"]
        assert lapse["renewals"] == {"used": 1, "allowed": 1}
        with pytest.raises(RequestConflict, match="allows 1") as again:
            renew(session, s.legal_officer, s.kb, rid, at=parse_at("2025-06-01T12:00Z"))
        assert again.value.data["renewals"] == 1
        assert [e.action for e in audited(session, "legal.request.renew")] == [
            "legal.request.renew"
        ]
    shown = view(s, rid)
    assert shown["history"][-1]["action"] == "renew"
    assert shown["history"][-1]["note"] == "renewed with Google"
    assert shown["history"][-1]["by"] == "m.sen"

    # The MLA request the preservation promised: due until it is transmitted.
    mla = create(s, "mla-request", needs=["content"])
    move(s, mla, "review", "central-authority-approval", at="2025-04-01T10:00Z")
    assert view(s, rid)["deadlines"][1]["satisfied_by"] is None
    move(s, mla, "transmitted", at="2025-04-05T10:00Z")
    follow = view(s, rid)["deadlines"][1]
    assert follow["satisfied_by"] == mla and "satisfied" in follow["note"]


def test_a_renewal_after_the_lapse_or_without_a_legal_basis_is_refused(
    scenario: Scenario,
) -> None:
    s = scenario
    rid = create(s, "preservation")
    move(s, rid, "review", "transmitted", at="2025-01-10T10:00+05:30")
    with (
        s.node.ctx.transaction() as session,
        pytest.raises(RequestConflict, match="lapsed on 2025-04-10"),
    ):
        renew(session, s.legal_officer, s.kb, rid, at=parse_at("2025-04-11T10:00+05:30"))
    gulf = create(s, "preservation", to="AE")
    move(s, gulf, "review", "transmitted", at="2025-01-10T10:00+05:30")
    with (
        s.node.ctx.transaction() as session,
        pytest.raises(RequestConflict, match="no renewal"),
    ):
        renew(session, s.legal_officer, s.kb, gulf)


def test_no_known_period_is_said_not_invented(scenario: Scenario) -> None:
    s = scenario
    rid = create(s, "preservation", to="AE")
    lapse, follow = move(s, rid, "review", "transmitted", at="2025-01-10T10:00+05:30")["deadlines"]
    assert lapse["due"] is None and lapse["basis"] == [] and lapse["source"] is None
    assert "knowledge base has no preservation period for AE" in lapse["note"]
    assert follow["due"] is None and "no preservation period for AE" in follow["note"]
    # India is not a Budapest party: a preservation to France has no period either.
    fr = create(s, "preservation", to="FR")
    assert move(s, fr, "review", "transmitted")["deadlines"][0]["due"] is None


def test_between_budapest_parties_at_least_60_days(
    tmp_path: Path, migrated_engine: Engine, db_session_factory: sessionmaker[Session]
) -> None:
    node = make_node(
        tmp_path, migrated_engine, db_session_factory, code="NCA", country="GB",
        name="National Crime Agency", timezone="Europe/London",
    )  # fmt: skip
    admin = node.actor()
    with node.ctx.transaction() as session:
        case = create_case(
            session, admin, title="Ransomware", jurisdictions=["GB", "FR"], summary="A server."
        )
        rid = create_request(session, admin, KB, case.reference, kind="preservation", to="FR").id
        for state, at in (("review", "2025-01-09T10:00Z"), ("transmitted", "2025-01-10T10:00Z")):
            advance(session, admin, KB, rid, state, at=parse_at(at))
        request = load_request(session, rid)
        lapse = deadlines(session, KB, request)[0]
        assert lapse["due"] == "2025-03-11" and lapse["minimum"] is True
        assert lapse["basis"] == ["Budapest Convention (ETS 185) Art. 29(7)"]
        assert "at least until 2025-03-11" in lapse["note"]
        with pytest.raises(RequestConflict, match="no renewal"):
            renew(session, admin, KB, rid)


def test_only_open_requests_have_deadlines_and_no_follow_up_when_none_is_promised(
    scenario: Scenario,
) -> None:
    s = scenario
    rid = create(s, "preservation", changes={"follow_up": False})
    kinds = [d["kind"] for d in move(s, rid, "review", "transmitted")["deadlines"]]
    assert kinds == ["preservation-lapses"]
    assert move(s, rid, "withdrawn")["deadlines"] == []


def test_what_falls_due_soonest_first_overdue_flagged(scenario: Scenario) -> None:
    s = scenario
    now = utcnow()
    ids = {}
    for days_ago in (100, 80, 10):
        ids[days_ago] = create(s, "preservation", needs=["preservation"])
        at = (now - timedelta(days=days_ago)).isoformat()
        move(s, ids[days_ago], "review", "transmitted", at=at)
    unknown = create(s, "preservation", to="AE")
    move(s, unknown, "review", "transmitted")
    with s.node.ctx.transaction() as session:
        soon = due(session, s.investigator, s.kb, 14, now=now)["deadlines"]
        assert [(d["request"], d["kind"], d["overdue"]) for d in soon] == [
            (ids[100], "follow-up-mla", True),
            (ids[100], "preservation-lapses", True),
            (ids[80], "follow-up-mla", False),
            (ids[80], "preservation-lapses", False),
            (unknown, "follow-up-mla", False),
            (unknown, "preservation-lapses", False),
        ]
        assert [d["days_left"] for d in soon[:4]] == [-10, -10, 10, 10]
        assert soon[-1]["due"] is None
        later = due(session, s.investigator, s.kb, 90, now=now)["deadlines"]
        assert ids[10] in {d["request"] for d in later}
        assert due(session, s.outsider, s.kb, 90, now=now)["deadlines"] == []
        assert audited(session, "legal.request.due")[0].details == {
            "within_days": 14,
            "count": 6,
        }
    assert parse_window("2w") == 14 and parse_window("14d") == 14
    for bad in ("14", "two weeks", "3m", "-1d", "99999999d"):
        with pytest.raises(LegalInputError):
            parse_window(bad)


# --- figures -----------------------------------------------------------------------------------


def test_the_figures_come_from_the_data(scenario: Scenario) -> None:
    s = scenario
    now = utcnow()

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    answered = [("US", 200, 140), ("US", 150, 110), ("US", 100, 40), ("AE", 300, 100)]
    for to, sent, answer in answered:
        rid = create(s, "preservation", to=to)
        move(s, rid, "review", "transmitted", at=ago(sent))
        move(s, rid, "acknowledged", "executing", "executed", at=ago(answer))
    pending = [("US", 20), ("US", 45), ("AE", 400), ("GB", 120)]
    for to, sent in pending:
        move(s, create(s, "preservation", to=to), "review", "transmitted", at=ago(sent))
    create(s, "mla-request", to="GB")  # a draft: its age counts from its creation
    gone = create(s, "preservation", to="US")
    move(s, gone, "withdrawn")
    with s.node.ctx.transaction() as session:
        with pytest.raises(PermissionDenied):
            stats(session, s.investigator, s.kb)
        figures = stats(session, s.legal_officer, s.kb, now=now)
    assert figures["pending"]["total"] == 5
    assert figures["pending"]["by_country"] == {"AE": 1, "GB": 2, "US": 2}
    assert figures["pending"]["by_age"] == {
        "0-30": 2,
        "31-90": 1,
        "91-180": 1,
        "181-365": 0,
        "over-365": 1,
    }
    assert figures["pending"]["by_country_and_age"]["GB"] == {
        "0-30": 1,
        "31-90": 0,
        "91-180": 1,
        "181-365": 0,
        "over-365": 0,
    }
    assert figures["answered"] == {
        "AE": {"count": 1, "median_days": 200.0},
        "US": {"count": 3, "median_days": 60.0},
    }
    assert figures["countries"]["US"] == "United States"


# --- input -------------------------------------------------------------------------------------


def test_particulars_as_typed_are_parsed_or_refused(scenario: Scenario) -> None:
    changes = particulars_changes(
        {
            "facts": "  Phishing  ",
            "offences": ["in: BNS 318(4)"],
            "identifiers": ["phone-number:98201 34567"],
            "period": "2025-01-01..2025-03-31",
            "assistance": ["Subscriber details", " "],
            "follow_up": True,
            "nexus": None,
            "subject": "",
        },
        "IN",
    )
    assert changes == {
        "facts": "Phishing",
        "offences": ["IN:BNS 318(4)"],
        "identifiers": [{"type": "phone-number", "value": "+919820134567"}],
        "period": {"from": "2025-01-01", "to": "2025-03-31"},
        "assistance": ["Subscriber details"],
        "follow_up": True,
    }
    for bad, message in (
        ({"offences": ["BNS"]}, "must look like"),
        ({"identifiers": ["fax:123"]}, "identifier type"),
        ({"period": "2025-03-01..2025-01-01"}, "ends before"),
        ({"facts": "a\x00b"}, "control characters"),
        ({"colour": "red"}, "no field"),
    ):
        with pytest.raises(LegalInputError, match=message):
            particulars_changes(bad, "IN")


def test_bad_creation_input_names_the_problem_and_writes_nothing(scenario: Scenario) -> None:
    s = scenario
    with s.node.ctx.transaction() as session:
        bare = create_case(session, s.investigator, title="No facts yet", jurisdictions=["IN"])
        reference = bare.reference
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "letter", "to": "US"}, "unknown kind 'letter'"),
        ({"kind": "preservation", "to": "XX"}, "unknown country 'XX'"),
        ({"kind": "preservation", "to": "US", "needs": ["emails"]}, "unknown need 'emails'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(LegalInputError, match=message):
            create(s, **kwargs)
    with (
        pytest.raises(LegalInputError, match="has no facts"),
        s.node.ctx.transaction() as session,
    ):
        create_request(session, s.investigator, s.kb, reference, kind="mla-request", to="US")
    with s.node.ctx.transaction() as session:
        assert count(session, LegalRequest) == 0
        assert audited(session, "legal.request.create") == []
