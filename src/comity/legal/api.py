"""HTTP routes for the legal knowledge base, the route advisor and a case's plan.

Each route returns the JSON the matching ``comity legal … --json`` command prints::

    GET  /api/v1/legal/facts/IN?with=US               comity legal facts IN --with US
    GET  /api/v1/legal/route?from=IN&to=US&need=content
    GET  /api/v1/legal/kb/versions
    POST /api/v1/legal/kb/import?name=statutes.json   the file's JSON as the body
    POST /api/v1/legal/kb/revert                      {"version": 3, "note": "wrong text"}
    GET  /api/v1/legal/kb/export/offences
    GET  /api/v1/legal/cases/CBI-2026-0001/needs
    POST /api/v1/legal/cases/CBI-2026-0001/needs      {"need": "content", "country": "US", …}
    GET  /api/v1/legal/cases/CBI-2026-0001/plan

Roles, validation and the audit log are the services'; errors are raised and become problem
documents in :mod:`comity.web.problems`. An imported file is read from the body up to
:data:`~comity.legal.kb_services.MAX_FILE_BYTES` and validated like ``comity legal kb import``.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from comity.context import NodeContext
from comity.identity.services import Actor
from comity.legal.facts import facts_for
from comity.legal.kb_services import (
    MAX_FILE_BYTES,
    current_kb,
    decode_document,
    export_kind,
    import_document,
    revert,
    too_large,
    versions,
)
from comity.legal.plan import add_need, case_plan, list_needs, need_summary
from comity.legal.routes import advise
from comity.legal.schema import HOLDERS, KINDS, NEEDS, URGENCIES
from comity.web.auth import ActorDep, StandaloneActorDep
from comity.web.deps import CtxDep, SessionDep
from comity.web.uploads import read_limited, safe_filename

router = APIRouter(prefix="/api/v1/legal", tags=["legal"])

DEFAULT_FILE_NAME = "request-body.json"
"""How an imported document is named (in errors and the version history) without ``?name=``."""

_CODE = "An ISO 3166-1 alpha-2 code (IN)."

_KB_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "A knowledge-base file (see docs/legal.md): a JSON object with `kind` and `entries`, "
            f"each entry with `source`, `as_of` and `status`; at most {MAX_FILE_BYTES} bytes."
        ),
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RevertBody(_Body):
    """Which imported version to undo."""

    version: int | None = Field(
        None, strict=True, description="The version to undo (default: the latest import)."
    )
    note: str = Field("", max_length=10_000, description="Why (kept with the version).")


class NeedAdd(_Body):
    """Something a case needs abroad (as ``comity legal need add``)."""

    need: str = Field(max_length=40, description=f"One of: {', '.join(NEEDS)}.")
    country: str = Field(max_length=10, description="Where it is: " + _CODE)
    holder: str | None = Field(
        None, max_length=20, description=f"One of: {', '.join(HOLDERS)} (default: from the need)."
    )
    holder_name: str = Field("", max_length=300, description="Who holds it (Google LLC).")
    urgency: str = Field("normal", max_length=20, description=f"One of: {', '.join(URGENCIES)}.")
    description: str = Field("", max_length=20_000, description="What exactly, in a sentence.")
    identifiers: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list,
        max_length=100,
        description="TYPE:VALUE, e.g. 'email-addr:x@example.com'.",
    )


@router.get("/facts/{country}")
def facts(
    country: str,
    session: SessionDep,
    actor: ActorDep,
    other: Annotated[str | None, Query(alias="with", max_length=100, description=_CODE)] = None,
) -> dict[str, Any]:
    """What the knowledge base holds for a country, or between two: each fact sourced."""
    return facts_for(current_kb(session), country, other)


@router.get("/route")
def route(
    session: SessionDep,
    actor: ActorDep,
    from_: Annotated[str, Query(alias="from", max_length=100, description="The requesting state.")],
    to: Annotated[str, Query(max_length=100, description="Where the data, asset or person is.")],
    need: Annotated[str, Query(max_length=100, description=f"One of: {', '.join(NEEDS)}.")],
    holder: Annotated[
        str | None, Query(max_length=100, description=f"One of: {', '.join(HOLDERS)}.")
    ] = None,
    urgency: Annotated[
        str, Query(max_length=100, description=f"One of: {', '.join(URGENCIES)}.")
    ] = "normal",
    offence: Annotated[
        str | None, Query(max_length=500, description="An offence: 'IN:IT Act 66D'.")
    ] = None,
) -> dict[str, Any]:
    """The lawful routes to what is needed abroad, fastest first; excluded ones with the
    reason."""
    return advise(
        current_kb(session), from_, to, need, holder=holder, urgency=urgency, offence=offence
    )


@router.get("/kb/versions")
def kb_versions(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The knowledge base's versions, newest first, each saying whether it is in force."""
    return versions(session)


def _import(ctx: NodeContext, actor: Actor, name: str, data: bytes, note: str) -> dict[str, Any]:
    document = decode_document(name, data)
    with ctx.transaction() as session:
        return import_document(session, actor, name, document, note)


@router.post("/kb/import", status_code=201, openapi_extra=_KB_BODY)
async def kb_import(
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    name: Annotated[
        str | None, Query(max_length=255, description="The file's name, kept with the version.")
    ] = None,
    note: Annotated[str, Query(max_length=10_000, description="Why (kept with the version).")] = "",
) -> dict[str, Any]:
    """Add or correct facts (a legal officer): validated, recorded as a new version, audited."""
    file_name = safe_filename(name) if name is not None else DEFAULT_FILE_NAME
    data = await read_limited(request, MAX_FILE_BYTES, lambda size: too_large(file_name, size))
    return await anyio.to_thread.run_sync(lambda: _import(ctx, actor, file_name, data, note))


@router.post("/kb/revert", status_code=201)
def kb_revert(body: RevertBody, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Undo an imported version (recorded as a new version; the history never shrinks)."""
    return revert(session, actor, body.version, body.note)


@router.get("/kb/export/{kind}")
def kb_export(
    kind: Annotated[str, Path(max_length=100, description=f"One of: {', '.join(KINDS)}.")],
    session: SessionDep,
    actor: ActorDep,
) -> dict[str, Any]:
    """The entries of one kind as they stand, as a knowledge-base file to edit and import."""
    return export_kind(current_kb(session), kind)


@router.get("/cases/{case}/needs")
def needs(case: str, session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The needs recorded for a case, in the order they were added (the read is audited)."""
    return [need_summary(n) for n in list_needs(session, actor, case)]


@router.post("/cases/{case}/needs", status_code=201)
def need_add(case: str, body: NeedAdd, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Record something a case needs abroad (evidence, an asset, a person); audited."""
    row = add_need(
        session,
        actor,
        current_kb(session),
        case,
        need=body.need,
        country=body.country,
        holder=body.holder,
        holder_name=body.holder_name,
        urgency=body.urgency,
        description=body.description,
        identifiers=body.identifiers,
    )
    return need_summary(row)


@router.get("/cases/{case}/plan")
def plan(case: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The plan for a case: what to preserve today, what to ask providers, which requests to
    start, through whom, and what each must contain."""
    return case_plan(session, actor, current_kb(session), case)
