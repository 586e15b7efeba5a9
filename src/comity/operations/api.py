"""HTTP routes for joint operations, mirroring ``comity operation …``.

Each route returns the JSON the matching command prints with ``--json``; roles, validation and
the audit log are the services'. Errors are raised, and become problem documents in
:mod:`comity.web.problems`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from comity.operations.models import OUTCOME_KINDS, STATUSES, TARGET_KINDS
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
    note_summary,
    operation_stats,
    operation_summary,
    outcome_summary,
    schedule,
    target_summary,
    task_summary,
)
from comity.web.auth import ActorDep
from comity.web.deps import CtxDep, SessionDep

router = APIRouter(prefix="/api/v1/operations", tags=["operations"])

_ZONE = "An IANA time zone (Asia/Kolkata), or the code of an agency of the operation."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperationCreate(_Body):
    """A new operation, from a fraud network."""

    network: str = Field(min_length=1, max_length=20, description="The network's id.")
    title: str | None = Field(None, max_length=300)
    summary: str = Field("", max_length=10_000)
    agencies: list[str] = Field(
        default_factory=list, max_length=50, description="Peers: 'FBI' or 'FBI=America/New_York'."
    )
    planned_at: str | None = Field(
        None, max_length=100, description="With its offset: '2026-03-14T06:00+05:30'."
    )
    zone: str | None = Field(None, max_length=64, description=_ZONE)


class StatusChange(_Body):
    """An operation's new status."""

    status: str = Field(max_length=20, description=f"One of: {', '.join(STATUSES)}.")
    at: str | None = Field(
        None, max_length=100, description="For executed: when (default now), with its offset."
    )
    zone: str | None = Field(None, max_length=64, description=_ZONE)
    reason: str = Field("", max_length=10_000)


class AgencyAdd(_Body):
    """Agencies to add."""

    agencies: list[str] = Field(
        min_length=1, max_length=50, description="'FBI' or 'FBI=America/New_York'."
    )


class Schedule(_Body):
    """The synchronized time."""

    at: str = Field(max_length=100, description="'2026-03-14T06:00+05:30', or local with zone.")
    zone: str | None = Field(None, max_length=64, description=_ZONE)


class TargetAdd(_Body):
    """A target in one jurisdiction."""

    kind: str = Field(max_length=20, description=f"One of: {', '.join(TARGET_KINDS)}.")
    jurisdiction: str = Field(max_length=10, description="ISO 3166-1 alpha-2 code.")
    type: str | None = Field(None, max_length=40, description="identifier: its STIX type.")
    value: str | None = Field(None, max_length=500, description="identifier: as written.")
    name: str | None = Field(None, max_length=200, description="suspect: name.")
    aliases: list[str] = Field(default_factory=list, max_length=20, description="suspect.")
    address: str | None = Field(None, max_length=500, description="premises: address.")
    city: str | None = Field(None, max_length=100, description="premises: city.")


class TaskAdd(_Body):
    """A task."""

    title: str = Field(min_length=1, max_length=300)
    agency: str | None = Field(None, max_length=100, description="Default: this node's agency.")
    due: str | None = Field(None, max_length=40, description="A date: '2026-03-20'.")


class OutcomeAdd(_Body):
    """An outcome one agency reports."""

    kind: str = Field(max_length=40, description=f"One of: {', '.join(OUTCOME_KINDS)}.")
    agency: str | None = Field(None, max_length=100, description="Default: this node's agency.")
    count: int | None = Field(None, strict=True, description="For counts: a whole number.")
    amount: str | None = Field(
        None,
        max_length=40,
        description="For funds, a decimal string: '245000.50', '2,45,000', '2.45 lakh'.",
    )
    currency: str | None = Field(None, max_length=10, description="For funds: ISO 4217 code.")
    note: str = Field("", max_length=10_000)


class NoteAdd(_Body):
    """A note."""

    text: str = Field(min_length=1, max_length=10_000)


@router.post("", status_code=201)
def create(
    body: OperationCreate, session: SessionDep, actor: ActorDep, ctx: CtxDep
) -> dict[str, Any]:
    """Turn a fraud network into a joint operation; its identifiers become the first
    targets."""
    operation = create_operation(
        session,
        actor,
        ctx.settings,
        network_id=body.network,
        title=body.title,
        summary=body.summary,
        agencies=body.agencies,
        planned_at=body.planned_at,
        zone=body.zone,
    )
    return operation_summary(operation)


@router.get("")
def operations(
    session: SessionDep,
    actor: ActorDep,
    status: str | None = Query(None, max_length=20),
    network: str | None = Query(None, max_length=20),
) -> dict[str, Any]:
    """List operations, newest first (the listing is audited)."""
    found = list_operations(session, actor, status=status, network_id=network)
    return {"operations": [operation_summary(o, full=False) for o in found]}


@router.get("/stats")
def stats(
    session: SessionDep,
    actor: ActorDep,
    year: int | None = Query(None, description="Operations executed in this year."),
    agency: str | None = Query(None, max_length=40, description="Only those it took part in."),
) -> dict[str, Any]:
    """Operations carried out and the sums of their outcomes, per kind, currency and agency."""
    return operation_stats(session, actor, year=year, agency=agency)


@router.get("/{operation}")
def show(operation: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Show an operation (audited as a read)."""
    return operation_summary(get_operation(session, actor, operation))


@router.post("/{operation}/status")
def status(
    operation: str, body: StatusChange, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Change an operation's status; returns the operation."""
    changed = change_status(
        session, actor, operation, body.status, at=body.at, zone=body.zone, reason=body.reason
    )
    return operation_summary(changed)


@router.post("/{operation}/agencies", status_code=201)
def agencies(
    operation: str, body: AgencyAdd, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Add agencies to an operation; returns the operation."""
    return operation_summary(add_agencies(session, actor, operation, body.agencies))


@router.post("/{operation}/schedule")
def planned_time(
    operation: str, body: Schedule, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Set the synchronized time; returns the operation, the time shown per agency."""
    return operation_summary(schedule(session, actor, operation, body.at, zone=body.zone))


@router.post("/{operation}/targets", status_code=201)
def target(operation: str, body: TargetAdd, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Add a target; returns it."""
    added = add_target(
        session,
        actor,
        operation,
        body.kind,
        body.jurisdiction,
        obs_type=body.type,
        value=body.value,
        name=body.name,
        aliases=body.aliases,
        address=body.address,
        city=body.city,
    )
    return target_summary(added)


@router.post("/{operation}/tasks", status_code=201)
def task(operation: str, body: TaskAdd, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Add a task; returns it."""
    return task_summary(
        add_task(session, actor, operation, body.title, agency=body.agency, due=body.due)
    )


@router.post("/{operation}/tasks/{number}/done")
def task_done(operation: str, number: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Mark a task done; returns it."""
    return task_summary(complete_task(session, actor, operation, number))


@router.post("/{operation}/outcomes", status_code=201)
def outcome(
    operation: str, body: OutcomeAdd, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Record an outcome; returns it."""
    added = add_outcome(
        session,
        actor,
        operation,
        kind=body.kind,
        agency=body.agency,
        count=body.count,
        amount=body.amount,
        currency=body.currency,
        note=body.note,
    )
    return outcome_summary(added)


@router.post("/{operation}/notes", status_code=201)
def note(operation: str, body: NoteAdd, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Add a note; returns it."""
    return note_summary(add_note(session, actor, operation, body.text))
