"""Joint operations on every backend: creation from a network, agencies and their time zones,
targets, the lifecycle, tasks, outcomes, the figures, permissions, the audit log, and input
that is refused without leaving anything behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.core.errors import AlreadyExists, ComityError, InvalidInput, NotFound, PermissionDenied
from comity.identity import audit
from comity.identity.models import AuditEvent
from comity.identity.services import create_user
from comity.operations.errors import (
    InvalidTransition,
    OperationConflict,
    OperationInputError,
    UnknownAgency,
    UnknownNetwork,
    UnknownTask,
)
from comity.operations.models import (
    Operation,
    OperationOutcome,
    OperationTarget,
    OperationTask,
)
from comity.operations.services import (
    add_agencies,
    add_note,
    add_outcome,
    add_target,
    add_task,
    change_status,
    complete_task,
    create_operation,
    get_operation,
    list_operations,
    operation_stats,
    operation_summary,
    schedule,
)
from tests.operations.conftest import ROWS, Linked, link_complaints, write_complaints

FBI = "FBI=America/New_York"


def create(linked: Linked, network: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Create an operation on network A (or ``network``) as the administrator."""
    with linked.node.ctx.transaction() as session:
        operation = create_operation(
            session,
            linked.actor(kwargs.pop("user", None)),
            linked.node.ctx.settings,
            network_id=network or linked.a,
            **kwargs,
        )
        return operation_summary(operation)


def show(linked: Linked, operation_id: str) -> dict[str, Any]:
    with linked.node.ctx.transaction() as session:
        return operation_summary(get_operation(session, linked.actor(), operation_id))


def rows(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def actions(linked: Linked) -> list[str]:
    with linked.node.ctx.transaction() as session:
        return [e.action for e in audit.entries(session) if e.action.startswith("operation.")]


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Kolkata")).year


# --- creation --------------------------------------------------------------------------------


def test_a_network_becomes_an_operation_with_its_identifiers_as_targets(linked: Linked) -> None:
    op = create(
        linked, title="Operation Chakra", agencies=[FBI], planned_at="2026-03-14T06:00+05:30"
    )
    assert op["id"] == f"OP-{this_year()}-0001"
    assert op["status"] == "planned" and op["next"] == ["active", "cancelled"]
    assert op["network"]["id"] == linked.a and op["network"]["complaints_at_creation"] == 4
    assert [(a["code"], a["role"], a["timezone"]) for a in op["agencies"]] == [
        ("CBI", "lead", "Asia/Kolkata"),
        ("FBI", "partner", "America/New_York"),
    ]
    targets = {(t["jurisdiction"], t["type"], t["value"]) for t in op["targets"]}
    # Each identifier goes where it belongs: a phone number to its country, a UPI id to India,
    # others to the country of the complaints that named it.
    assert targets == {
        ("IN", "phone-number", "+919820134567"),
        ("IN", "upi-id", "kyc.help@okaxis"),
        ("US", "phone-number", "+14155552671"),
        ("US", "email-addr", "desk@kyc-refund.com"),
        ("US", "domain-name", "kyc-refund.com"),
    }
    assert {t["source"] for t in op["targets"]} == {"network"}
    assert op["targets_by_jurisdiction"] == {"IN": 2, "US": 3}
    assert op["planned_at"] == "2026-03-14T00:30:00Z"
    assert [(p["agency"], p["time"], p["abbreviation"]) for p in op["planned_local"]] == [
        ("CBI", "2026-03-14T06:00:00+05:30", "IST"),
        ("FBI", "2026-03-13T20:30:00-04:00", "EDT"),
    ]
    assert op["history"][0]["to"] == "planned"
    assert "operation.create" in actions(linked)


def test_ids_follow_a_sequence_per_year(linked: Linked) -> None:
    first = create(linked)
    second = create(linked, network=linked.b)
    year = this_year()
    assert (first["id"], second["id"]) == (f"OP-{year}-0001", f"OP-{year}-0002")
    assert first["title"] == f"Operation against network {linked.a}"
    with linked.node.ctx.transaction() as session:
        listed = list_operations(session, linked.actor())
        assert [o.id for o in listed] == [second["id"], first["id"]]
        assert [o.id for o in list_operations(session, linked.actor(), network_id=linked.b)] == [
            second["id"]
        ]


def test_a_network_has_one_operation_at_a_time(linked: Linked) -> None:
    first = create(linked)
    with pytest.raises(AlreadyExists) as refused:
        create(linked)
    assert refused.value.data["operation"] == first["id"]
    with linked.node.ctx.transaction() as session:
        change_status(session, linked.actor(), first["id"], "cancelled", reason="compromised")
    assert create(linked)["id"].endswith("-0002")


def test_unknown_or_merged_networks_are_refused(linked: Linked) -> None:
    with pytest.raises(UnknownNetwork):
        create(linked, network="N-999999")
    op = create(linked)
    # A new complaint names both networks' identifiers: B is merged into A (the larger).
    bridge = {"complaint_id": "NCRP-9", "country": "IN", "received_on": "2024-06-01"}
    bridge |= {"phones": "+91 98201 34567", "upi_ids": "refund.desk@ybl"}
    link_complaints(linked.node, write_complaints(linked.folder / "more.csv", [*ROWS, bridge]))
    with pytest.raises(OperationConflict) as merged:
        create(linked, network=linked.b)
    assert merged.value.data["merged_into"] == linked.a
    network = show(linked, op["id"])["network"]
    assert network["complaints_at_creation"] == 4 and network["complaints_now"] == 7


def test_agencies_are_this_node_and_its_peers_each_in_its_time_zone(linked: Linked) -> None:
    with pytest.raises(UnknownAgency):
        create(linked, agencies=["INTERPOL"])
    with pytest.raises(OperationInputError, match="several time zones"):
        create(linked, agencies=["FBI"])  # the United States has several: say which
    with pytest.raises(OperationInputError, match="unknown time zone"):
        create(linked, agencies=["FBI=America/Gotham"])
    with pytest.raises(AlreadyExists):
        create(linked, agencies=[FBI, "fbi=America/Chicago"])
    op = create(linked, agencies=["MHCYBER"])  # India has one time zone
    assert op["agencies"][1]["timezone"] == "Asia/Kolkata"
    with linked.node.ctx.transaction() as session:
        changed = add_agencies(session, linked.actor(), op["id"], ["FBI=America/Los_Angeles"])
        assert [a.agency.code for a in changed.agencies] == ["CBI", "MHCYBER", "FBI"]
        with pytest.raises(AlreadyExists):
            add_agencies(session, linked.actor(), op["id"], ["MHCYBER"])


BAD_TIMES = [
    ("tomorrow at dawn", None, "not a date and time"),
    ("2026-03-14T06:00", None, "no UTC offset"),
    ("2026-03-14", None, "not a date and time"),
    ("2026-13-01T06:00+05:30", None, "not a date and time"),
    ("2026-03-14T06:00+05:30", "Asia/Kolkata", "give one of them"),
    ("2026-03-14T06:00", "Mars/Olympus", "unknown time zone"),
    ("2026-03-08T02:30", "America/New_York", "does not exist"),
    ("2026-11-01T01:30", "America/New_York", "happens twice"),
    ("1899-03-14T06:00Z", None, "not believable"),
    ("2999-03-14T06:00Z", None, "not believable"),
]


@pytest.mark.parametrize(("at", "zone", "message"), BAD_TIMES)
def test_bad_planned_times_are_refused_and_nothing_is_written(
    linked: Linked, at: str, zone: str | None, message: str
) -> None:
    with pytest.raises(OperationInputError, match=message):
        create(linked, agencies=[FBI], planned_at=at, zone=zone)
    with linked.node.ctx.transaction() as session:
        assert rows(session, Operation) == 0 and rows(session, OperationTarget) == 0
    assert actions(linked) == []


def test_a_local_time_is_read_in_a_zone_or_an_agencys_zone(linked: Linked) -> None:
    op = create(linked, agencies=[FBI], planned_at="2026-03-13 20:30 America/New_York")
    assert op["planned_at"] == "2026-03-14T00:30:00Z"
    with linked.node.ctx.transaction() as session:
        changed = schedule(session, linked.actor(), op["id"], "2026-12-01T09:00", zone="FBI")
        view = operation_summary(changed)
    assert view["planned_at"] == "2026-12-01T14:00:00Z"  # New York is on EST then
    assert [p["abbreviation"] for p in view["planned_local"]] == ["IST", "EST"]


# --- lifecycle -------------------------------------------------------------------------------


def test_the_lifecycle_allows_only_its_transitions(linked: Linked) -> None:
    op = create(linked)["id"]
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        with pytest.raises(InvalidTransition) as skipped:
            change_status(session, actor, op, "executed")
        assert skipped.value.data["allowed"] == ["active", "cancelled"]
        with pytest.raises(OperationInputError):
            change_status(session, actor, op, "archived")
        change_status(session, actor, op, "active")
        change_status(session, actor, op, "planned", reason="postponed: warrants pending")
        change_status(session, actor, op, "active")
        with pytest.raises(OperationInputError, match="in the future"):
            change_status(session, actor, op, "executed", at="2999-01-01T00:00Z")
        change_status(session, actor, op, "executed", at="2024-03-14T06:00+05:30")
        change_status(session, actor, op, "closed")
        for later in ("active", "executed", "cancelled", "planned"):
            with pytest.raises(InvalidTransition, match="final"):
                change_status(session, actor, op, later)
    view = show(linked, op)
    assert view["executed_at"] == "2024-03-14T00:30:00Z"
    assert [(h["from"], h["to"]) for h in view["history"]] == [
        (None, "planned"),
        ("planned", "active"),
        ("active", "planned"),
        ("planned", "active"),
        ("active", "executed"),
        ("executed", "closed"),
    ]
    assert view["history"][2]["reason"] == "postponed: warrants pending"


def test_what_each_status_allows(linked: Linked) -> None:
    op = create(linked, agencies=[FBI])["id"]
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        with pytest.raises(OperationConflict, match="active or executed"):
            add_outcome(session, actor, op, kind="arrests", count=1)
        change_status(session, actor, op, "active")
        add_outcome(session, actor, op, kind="arrests", count=1)
        change_status(session, actor, op, "executed")
        with pytest.raises(OperationConflict):
            add_target(session, actor, op, "suspect", "IN", name="Late Suspect")
        with pytest.raises(OperationConflict):
            schedule(session, actor, op, "2026-03-14T06:00Z")
        add_task(session, actor, op, "File the charge sheet")  # follow-up work goes on
        change_status(session, actor, op, "closed")
        with pytest.raises(OperationConflict):
            add_outcome(session, actor, op, kind="arrests", count=1)
        with pytest.raises(OperationConflict):
            add_task(session, actor, op, "Too late")
        add_note(session, actor, op, "Closed after the debrief")  # notes are always welcome


# --- targets ---------------------------------------------------------------------------------


def test_targets_per_jurisdiction(linked: Linked) -> None:
    op = create(linked)["id"]
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        wallet = add_target(
            session, actor, op, "identifier", "us", obs_type="Phone-Number", value="415.555.0199"
        )
        assert (wallet.jurisdiction, wallet.value) == ("US", "+14155550199")
        suspect = add_target(
            session, actor, op, "suspect", "IN", name="Ravi Kumar", aliases=["RK", "Ravi K", "RK"]
        )
        assert suspect.aliases == ["RK", "Ravi K"]
        place = add_target(
            session, actor, op, "premises", "IN", address="Plot 14, Sector 62", city="Noida"
        )
        assert place.number == suspect.number + 1
        with pytest.raises(AlreadyExists):
            add_target(
                session, actor, op, "identifier", "IN", obs_type="upi-id", value="KYC.help@OKAXIS"
            )
        with pytest.raises(AlreadyExists):
            add_target(session, actor, op, "suspect", "IN", name="ravi kumar")
    view = show(linked, op)
    assert view["targets_by_jurisdiction"] == {"IN": 4, "US": 4}


BAD_TARGETS: list[tuple[str, str, dict[str, Any], str]] = [
    ("informant", "IN", {"name": "x"}, "not one of identifier, suspect, premises"),
    ("identifier", "XX", {"obs_type": "upi-id", "value": "a@ybl"}, "unknown country"),
    ("identifier", "IN", {"obs_type": "fax-number", "value": "1"}, "is not one of"),
    ("identifier", "IN", {"obs_type": "person-name", "value": "Ravi"}, "is not one of"),
    ("identifier", "IN", {"obs_type": "phone-number", "value": "call me"}, "is not valid"),
    ("identifier", "IN", {"obs_type": "upi-id"}, "value is empty"),
    ("identifier", "IN", {"obs_type": "upi-id", "value": "a@ybl", "name": "x"}, "does not take"),
    ("suspect", "IN", {"name": "   "}, "name is empty"),
    ("suspect", "IN", {"name": "Ravi\x00Kumar"}, "control characters"),
    ("suspect", "IN", {"name": "R" * 201}, "longer than 200"),
    ("premises", "IN", {"address": "Plot 14"}, "city is empty"),
]


@pytest.mark.parametrize(("kind", "country", "fields", "message"), BAD_TARGETS)
def test_bad_targets_are_refused(
    linked: Linked, kind: str, country: str, fields: dict[str, Any], message: str
) -> None:
    op = create(linked)["id"]
    with linked.node.ctx.transaction() as session:
        before = rows(session, OperationTarget)
        with pytest.raises(InvalidInput, match=message):
            add_target(session, linked.actor(), op, kind, country, **fields)
        assert rows(session, OperationTarget) == before


def test_sql_and_script_like_text_is_kept_as_text(linked: Linked) -> None:
    title = "Robert'); DROP TABLE operation_operations;--"
    op = create(linked, title=title, summary="<script>alert('x')</script>")["id"]
    with linked.node.ctx.transaction() as session:
        add_target(session, linked.actor(), op, "suspect", "IN", name="x' OR '1'='1")
        add_note(session, linked.actor(), op, "[red]not markup[/red]\nsecond line")
    view = show(linked, op)
    assert view["title"] == title and view["summary"] == "<script>alert('x')</script>"
    assert view["targets"][-1]["name"] == "x' OR '1'='1"
    assert view["notes"][0]["text"] == "[red]not markup[/red]\nsecond line"
    with linked.node.ctx.transaction() as session:
        assert rows(session, Operation) == 1


# --- tasks -----------------------------------------------------------------------------------


def test_tasks_are_assigned_to_agencies_of_the_operation(linked: Linked) -> None:
    op = create(linked, agencies=[FBI])["id"]
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        first = add_task(
            session, actor, op, "Search warrant, Newark", agency="fbi", due="2026-03-10"
        )
        second = add_task(session, actor, op, "Freeze the UPI id")
        assert (first.number, first.agency_code, second.agency_code) == (1, "FBI", "CBI")
        with pytest.raises(OperationConflict, match="not part of"):
            add_task(session, actor, op, "x", agency="MHCYBER")
        with pytest.raises(OperationInputError, match="due date"):
            add_task(session, actor, op, "x", due="10/03/2026")
        with pytest.raises(OperationInputError, match="not believable"):
            add_task(session, actor, op, "x", due="2999-01-01")
        done = complete_task(session, actor, op, 1)
        assert done.done and done.done_by == "admin"
        with pytest.raises(OperationConflict, match="done already"):
            complete_task(session, actor, op, 1)
        with pytest.raises(UnknownTask):
            complete_task(session, actor, op, 7)
        assert rows(session, OperationTask) == 2
    view = show(linked, op)
    assert (view["tasks_open"], view["tasks_done"]) == (1, 1)


# --- outcomes --------------------------------------------------------------------------------


def active_operation(linked: Linked, **kwargs: Any) -> str:
    op: str = create(linked, agencies=[FBI], **kwargs)["id"]
    with linked.node.ctx.transaction() as session:
        change_status(session, linked.actor(), op, "active")
    return op


def test_outcomes_per_agency_with_exact_amounts(linked: Linked) -> None:
    op = active_operation(linked)
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        add_outcome(session, actor, op, kind="arrests", count=4)
        add_outcome(session, actor, op, kind="arrests", count=2, agency="FBI")
        add_outcome(session, actor, op, kind="devices-seized", count=11)
        add_outcome(session, actor, op, kind="funds_frozen", amount="2,45,000", currency="inr")
        add_outcome(session, actor, op, kind="funds_frozen", amount="0.10", currency="INR")
        add_outcome(session, actor, op, kind="funds_frozen", amount="0.20", currency="INR")
        add_outcome(session, actor, op, kind="funds_recovered", amount="1.5 crore", currency="INR")
        add_outcome(
            session,
            actor,
            op,
            kind="funds_frozen",
            amount="12,000.50",
            currency="USD",
            agency="FBI",
        )
    view = show(linked, op)
    totals = view["totals"]
    assert (totals["arrests"], totals["devices_seized"], totals["searches"]) == (6, 11, 0)
    # 0.10 + 0.20 is exactly 0.30 on every backend: amounts are decimal strings, not floats.
    assert totals["funds_frozen"] == {"INR": "245000.30", "USD": "12000.50"}
    assert totals["funds_recovered"] == {"INR": "15000000.00"}
    assert [(o["agency"], o["kind"]) for o in view["outcomes"]][:2] == [
        ("CBI", "arrests"),
        ("FBI", "arrests"),
    ]


BAD_OUTCOMES: list[tuple[dict[str, Any], str]] = [
    ({"kind": "confessions", "count": 1}, "not one of"),
    ({"kind": "arrests"}, "needs a count"),
    ({"kind": "arrests", "count": 0}, "between 1 and"),
    ({"kind": "arrests", "count": -3}, "between 1 and"),
    ({"kind": "arrests", "count": 10**9}, "between 1 and"),
    ({"kind": "arrests", "count": 2, "amount": "5", "currency": "INR"}, "is a count"),
    ({"kind": "funds_frozen", "count": 5}, "is an amount"),
    ({"kind": "funds_frozen", "amount": "100"}, "needs an amount and a currency"),
    ({"kind": "funds_frozen", "amount": "-100", "currency": "INR"}, "negative"),
    ({"kind": "funds_frozen", "amount": "0", "currency": "INR"}, "more than zero"),
    ({"kind": "funds_frozen", "amount": "1e13", "currency": "INR"}, "not an amount"),
    ({"kind": "funds_frozen", "amount": "99999999999999", "currency": "INR"}, "not believable"),
    ({"kind": "funds_frozen", "amount": "NaN", "currency": "INR"}, "not an amount"),
    ({"kind": "funds_frozen", "amount": "Infinity", "currency": "INR"}, "not an amount"),
    ({"kind": "funds_frozen", "amount": "1,2,3", "currency": "INR"}, "not an amount"),
    ({"kind": "funds_frozen", "amount": "1.123456", "currency": "INR"}, "decimals"),
    ({"kind": "funds_frozen", "amount": "5 million", "currency": "INR"}, "unknown unit"),
    ({"kind": "funds_frozen", "amount": "100", "currency": "XYZ"}, "not an ISO 4217"),
    ({"kind": "funds_frozen", "amount": "100", "currency": "rupees"}, "not an ISO 4217"),
    ({"kind": "funds_frozen", "amount": "100", "currency": "₹"}, "not an ISO 4217"),
    ({"kind": "funds_frozen", "amount": "100", "currency": "INR; DROP TABLE x"}, "ISO 4217"),
    ({"kind": "arrests", "count": 1, "agency": "MHCYBER"}, "not part of"),
    ({"kind": "arrests", "count": 1, "agency": "NOBODY"}, "not part of"),
    ({"kind": "arrests", "count": 1, "note": "a\x07b"}, "control characters"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_OUTCOMES)
def test_bad_outcomes_are_refused_and_nothing_is_written(
    linked: Linked, fields: dict[str, Any], message: str
) -> None:
    op = active_operation(linked)
    with linked.node.ctx.transaction() as session:
        with pytest.raises(ComityError, match=message) as refused:
            add_outcome(session, linked.actor(), op, **fields)
        assert isinstance(refused.value, InvalidInput)
        assert rows(session, OperationOutcome) == 0
    assert "operation.outcome_add" not in actions(linked)


# --- figures ---------------------------------------------------------------------------------


def carried_out(
    linked: Linked, network: str, executed_at: str, outcomes: list[dict[str, Any]], **kw: Any
) -> str:
    """An operation executed at ``executed_at`` with ``outcomes``; cancelled before if the
    network already has an open one."""
    op: str = create(linked, network=network, **kw)["id"]
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        change_status(session, actor, op, "active")
        for outcome in outcomes:
            add_outcome(session, actor, op, **outcome)
        change_status(session, actor, op, "executed", at=executed_at)
    return op


def test_stats_roll_up_the_operations_carried_out(linked: Linked) -> None:
    carried_out(
        linked,
        linked.a,
        "2023-06-14T05:30+05:30",
        [
            {"kind": "arrests", "count": 9},
            {"kind": "arrests", "count": 3, "agency": "FBI"},
            {"kind": "funds_frozen", "amount": "2.45 lakh", "currency": "INR"},
            {"kind": "funds_frozen", "amount": "500", "currency": "USD", "agency": "FBI"},
        ],
        agencies=[FBI],
    )
    closed = carried_out(
        linked, linked.b, "2023-02-01T10:00Z", [{"kind": "arrests", "count": 2}], agencies=[FBI]
    )
    with linked.node.ctx.transaction() as session:
        change_status(session, linked.actor(), closed, "closed")
    # 20:00 UTC on 31 Dec 2023 is already 2024 in India: the node's year counts.
    carried_out(
        linked,
        linked.a,
        "2023-12-31T20:00Z",
        [{"kind": "victims_identified", "count": 40}, {"kind": "arrests", "count": 1}],
    )
    create(linked, network=linked.b, agencies=[FBI])  # planned: not counted
    with linked.node.ctx.transaction() as session:
        actor = linked.actor()
        y2023 = operation_stats(session, actor, year=2023)
        y2024 = operation_stats(session, actor, year=2024)
        everything = operation_stats(session, actor)
        fbi = operation_stats(session, actor, agency="FBI")
        with pytest.raises(OperationInputError):
            operation_stats(session, actor, year=20230)
    assert y2023["summary"] == "2 joint operations, 14 arrests in 2023"
    assert (y2023["operations"], y2023["joint_operations"]) == (2, 2)
    assert y2023["by_status"] == {"closed": 1, "executed": 1}
    assert y2023["outcomes"]["funds_frozen"] == {"INR": "245000.00", "USD": "500.00"}
    assert y2023["by_agency"]["FBI"]["arrests"] == 3
    assert y2023["by_agency"]["CBI"]["arrests"] == 11
    assert y2024["summary"] == "1 operation (0 joint), 1 arrest in 2024"
    assert y2024["outcomes"]["victims_identified"] == 40
    assert everything["operations"] == 3 and everything["outcomes"]["arrests"] == 15
    assert everything["status_now"] == {
        "planned": 1,
        "active": 0,
        "executed": 2,
        "closed": 1,
        "cancelled": 0,
    }
    assert fbi["operations"] == 2 and fbi["status_now"]["planned"] == 1
    assert "operation.stats" in actions(linked)


# --- who may do what -------------------------------------------------------------------------


def test_roles_and_audited_reads(linked: Linked) -> None:
    with linked.node.ctx.transaction() as session:
        admin = linked.actor()
        create_user(session, admin, username="a.rao", display_name="A", roles=["analyst"])
        create_user(session, admin, username="l.sen", display_name="L", roles=["legal_officer"])
    op = create(linked, user="a.rao")["id"]
    with linked.node.ctx.transaction() as session:
        lawyer = linked.actor("l.sen")
        with pytest.raises(PermissionDenied):
            get_operation(session, lawyer, op)
        with pytest.raises(PermissionDenied):
            operation_stats(session, lawyer)
        with pytest.raises(PermissionDenied):
            change_status(session, lawyer, op, "active")
        get_operation(session, linked.actor("a.rao"), op)
        for unknown in ("OP-1999-0001", "OP\x00-1", "x" * 500, ""):
            with pytest.raises(NotFound):
                get_operation(session, linked.actor("a.rao"), unknown)
        with pytest.raises(OperationInputError):
            list_operations(session, linked.actor(), network_id="N\x00")
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "operation.read")
        ).all()
    assert [(e.actor, e.object_id) for e in reads] == [("a.rao", op)]
