"""HTTP routes for requests for assistance abroad, mirroring ``comity request …``.

    POST /api/v1/legal/requests                      {"case": "CBI-2026-0001",
                                                      "kind": "preservation", "to": "US"}
    POST /api/v1/legal/requests/REQ-2026-0001/state  {"state": "review", "note": "ready"}
    GET  /api/v1/legal/requests/due?within=2w
    GET  /api/v1/legal/requests/stats

Each route returns the JSON the matching command prints with ``--json``; roles, validation and
the audit log are the services' (:mod:`comity.legal.requests`, :mod:`comity.legal.lifecycle`).
Errors are raised, and become problem documents in :mod:`comity.web.problems`.
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from comity.context import NodeContext
from comity.identity.services import Actor, local_agency
from comity.legal.deadlines import due, parse_window
from comity.legal.errors import LegalInputError
from comity.legal.exchange import (
    MAX_FILE_BYTES,
    export_request,
    export_status,
    import_message,
)
from comity.legal.kb_services import current_kb
from comity.legal.lifecycle import (
    advance,
    parse_at,
    particulars_changes,
    renew,
    request_view,
    stats,
)
from comity.legal.models import STATES
from comity.legal.particulars import check_choice
from comity.legal.requests import (
    attach_case,
    create_request,
    get_request,
    list_requests,
    request_summary,
    update_request,
)
from comity.legal.schema import HOLDERS, NEEDS, REQUEST_KINDS, URGENCIES
from comity.web.auth import ActorDep, StandaloneActorDep
from comity.web.deps import CtxDep, SessionDep
from comity.web.uploads import allow_large_body, read_limited

router = APIRouter(prefix="/api/v1/legal/requests", tags=["legal"])

_TEXT = 20_000
_AT = "When it happened, with its offset (default now): '2026-01-10T10:00+05:30'."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Particulars(_Body):
    """What a request says; every field optional (texts replace, lists extend)."""

    facts: str | None = Field(None, max_length=_TEXT)
    offences: list[str] = Field(default_factory=list, max_length=50, description="'IN:BNS 318(4)'.")
    identifiers: list[str] = Field(
        default_factory=list, max_length=200, description="'email-addr:name@example.com'."
    )
    period: str | None = Field(None, max_length=40, description="'2025-01-01..2025-03-31'.")
    assistance: list[str] = Field(default_factory=list, max_length=100)
    nexus: str | None = Field(None, max_length=_TEXT)
    custodian: str | None = Field(None, max_length=_TEXT)
    necessity: str | None = Field(None, max_length=_TEXT)
    follow_up: bool | None = None
    probable_cause: str | None = Field(None, max_length=_TEXT)
    confidentiality: str | None = Field(None, max_length=_TEXT)
    urgency_reason: str | None = Field(None, max_length=_TEXT)
    reciprocity: bool | None = None
    danger: str | None = Field(None, max_length=_TEXT)
    subject: str | None = Field(None, max_length=_TEXT)

    def fields(self) -> dict[str, Any]:
        """The particulars, under their field names."""
        return {name: getattr(self, name) for name in Particulars.model_fields}


class RequestCreate(Particulars):
    """A new request, in draft, for a case."""

    case: str = Field(min_length=1, max_length=60, description="The case's reference or id.")
    kind: str = Field(max_length=30, description=f"One of: {', '.join(REQUEST_KINDS)}.")
    to: str = Field(max_length=10, description="The requested country's ISO 3166-1 code.")
    needs: list[str] = Field(
        default_factory=list, max_length=20, description=f"Of: {', '.join(NEEDS)}."
    )
    holder: str = Field("provider", max_length=20, description=f"One of: {', '.join(HOLDERS)}.")
    urgency: str = Field("normal", max_length=20, description=f"One of: {', '.join(URGENCIES)}.")


class RequestUpdate(Particulars):
    """Changes to a request's particulars, and why."""

    note: str = Field("", max_length=_TEXT)


class StateChange(_Body):
    """A request's next state."""

    state: str = Field(max_length=40, description=f"One of: {', '.join(STATES)}.")
    note: str = Field("", max_length=_TEXT)
    at: str | None = Field(None, max_length=100, description=_AT)


class Renewal(_Body):
    """The renewal of a preservation request."""

    note: str = Field("", max_length=_TEXT)
    at: str | None = Field(None, max_length=100, description=_AT)


@router.post("", status_code=201)
def create(body: RequestCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Start a request in draft for a case; returns it with its history and deadlines."""
    kb = current_kb(session)
    request = create_request(
        session,
        actor,
        kb,
        body.case,
        kind=body.kind,
        to=body.to,
        needs=body.needs,
        holder=body.holder,
        urgency=body.urgency,
        changes=particulars_changes(body.fields(), local_agency(session).country),
    )
    return request_view(session, kb, request)


@router.get("")
def requests(
    session: SessionDep,
    actor: ActorDep,
    case: str | None = Query(None, max_length=60),
    state: str | None = Query(None, max_length=40),
    to: str | None = Query(None, max_length=10),
) -> dict[str, Any]:
    """List the requests the user may see, newest first (the listing is audited)."""
    wanted = check_choice(state, STATES, "state") if state else None
    found = list_requests(session, actor, case_ref=case, state=wanted, to=to)
    return {"requests": [request_summary(session, r) for r in found]}


@router.get("/due")
def due_soon(
    session: SessionDep,
    actor: ActorDep,
    within: str = Query("14d", max_length=20, description="How far ahead: '14d', '2w'."),
) -> dict[str, Any]:
    """Deadlines falling due within the window, overdue ones flagged, soonest first."""
    return due(session, actor, current_kb(session), parse_window(within))


@router.get("/stats")
def figures(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Pending requests by country and age; median days to an answer per country."""
    return stats(session, actor, current_kb(session))


@router.get("/{request_id}")
def show(request_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A request with the states it may move to, its history and deadlines (audited read)."""
    return request_view(session, current_kb(session), get_request(session, actor, request_id))


@router.patch("/{request_id}")
def fill_in(
    request_id: str, body: RequestUpdate, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Fill in a request's particulars (in draft or review); returns the request."""
    changes = particulars_changes(body.fields(), local_agency(session).country)
    request = update_request(session, actor, request_id, changes, body.note)
    return request_view(session, current_kb(session), request)


@router.post("/{request_id}/state")
def move(
    request_id: str, body: StateChange, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Move a request to its next state; returns the request."""
    moment = parse_at(body.at, "at") if body.at is not None else None
    kb = current_kb(session)
    moved = advance(session, actor, kb, request_id, body.state, note=body.note, at=moment)
    return request_view(session, kb, moved)


@router.post("/{request_id}/renewals", status_code=201)
def renewal(request_id: str, body: Renewal, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Record the renewal of a transmitted preservation request; returns the request."""
    moment = parse_at(body.at, "at") if body.at is not None else None
    kb = current_kb(session)
    return request_view(session, kb, renew(session, actor, kb, request_id, body.note, moment))


class Attach(_Body):
    """The case an incoming request is filed under."""

    case: str = Field(min_length=1, max_length=60, description="The case's reference or id.")
    note: str = Field("", max_length=2000)


@router.post("/{request_id}/case")
def attach(request_id: str, body: Attach, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """File an incoming request under one of this node's cases; returns the request."""
    filed = attach_case(session, actor, request_id, body.case, body.note)
    return request_view(session, current_kb(session), filed)


class ExportBody(BaseModel):
    """Where a request goes, and the format of its rendered document."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=32, description="The peer agency (FBI).")
    format: str = Field("pdf", pattern="^(pdf|docx)$")
    allow_incomplete: bool = False


def _too_large(size: int | None) -> LegalInputError:
    what = f"{size} bytes, more than" if size is not None else "more than"
    return LegalInputError(f"the request file is {what} the {MAX_FILE_BYTES} bytes it may have")


@router.post("/import", status_code=201, dependencies=[Depends(allow_large_body)])
async def import_file(request: Request, ctx: CtxDep, actor: StandaloneActorDep) -> dict[str, Any]:
    """Verify and record a peer's request message, or apply its status message (the signed
    file's content as the body, up to 64 MiB)."""
    data = await read_limited(request, MAX_FILE_BYTES, _too_large)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LegalInputError("not a Comity request file") from None
    return await anyio.to_thread.run_sync(lambda: _import(ctx, actor, text))


def _import(ctx: NodeContext, actor: Actor, text: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        return import_message(session, actor, ctx, text)


@router.post("/{request_id}/export")
def export(
    request_id: str, body: ExportBody, session: SessionDep, ctx: CtxDep, actor: ActorDep
) -> Any:
    """The request sealed for the peer, with its rendered document: the signed message a peer
    imports (``POST …/requests/import`` on its node)."""
    result = export_request(
        session,
        actor,
        ctx,
        current_kb(session),
        request_id,
        to=body.to,
        out=None,
        fmt=body.format,
        allow_incomplete=body.allow_incomplete,
    )
    return orjson.loads(result["message"])


@router.post("/{request_id}/status-export")
def status_export(request_id: str, session: SessionDep, ctx: CtxDep, actor: ActorDep) -> Any:
    """An incoming request's moves sealed for the agency that sent it (a signed message)."""
    result = export_status(session, actor, ctx, request_id, out=None)
    return orjson.loads(result["message"])
