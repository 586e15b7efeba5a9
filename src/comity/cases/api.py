"""HTTP routes for cases: open, list, show, add members, change status.

Each route returns the JSON ``comity case ... --json`` prints; reads are audited by the
services, and role and membership checks are theirs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from comity.cases.models import CASE_STATUSES
from comity.cases.services import (
    add_member,
    case_summary,
    create_case,
    get_case,
    list_cases,
    set_status,
)
from comity.web.auth import ActorDep
from comity.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


class CaseCreate(BaseModel):
    """A new case."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    jurisdictions: list[str] = Field(
        min_length=1, max_length=50, description="ISO 3166-1 alpha-2 codes."
    )
    summary: str = Field("", max_length=20_000)
    offences: list[str] = Field(
        default_factory=list, max_length=100, description="e.g. 'IN:BNS 318(4)'."
    )
    authorities: list[str] = Field(
        default_factory=list, max_length=100, description="e.g. 'warrant:SW/114/2026'."
    )
    agencies: list[str] = Field(
        default_factory=list, max_length=50, description="Agency codes involved."
    )


class MemberAdd(BaseModel):
    """A user to add to a case."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    role: str = Field("member", min_length=1, max_length=50, description="Role in the case.")


class StatusChange(BaseModel):
    """A case's new status."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(description=f"One of: {', '.join(CASE_STATUSES)}.")


@router.post("", status_code=201)
def open_case(body: CaseCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Open a case; its creator becomes its lead member."""
    case = create_case(
        session,
        actor,
        title=body.title,
        jurisdictions=body.jurisdictions,
        summary=body.summary,
        offences=body.offences,
        authorities=body.authorities,
        agencies=body.agencies,
    )
    return case_summary(case)


@router.get("")
def cases(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """List the cases the caller may see (the listing is audited)."""
    return {"cases": [case_summary(c) for c in list_cases(session, actor)]}


@router.get("/{case}")
def show_case(case: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Show a case by id or reference (audited as a read)."""
    return case_summary(get_case(session, actor, case))


@router.post("/{case}/members", status_code=201)
def case_member(case: str, body: MemberAdd, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Add a user to a case; returns the case."""
    return case_summary(add_member(session, actor, case, body.username, body.role))


@router.post("/{case}/status")
def case_status(
    case: str, body: StatusChange, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Set a case's status: open, suspended or closed."""
    return case_summary(set_status(session, actor, case, body.status))
