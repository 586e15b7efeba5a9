"""HTTP routes for intelligence: collections, sharing agreements, import, export, extraction.

Each route answers what the matching ``comity collection|share|intel ... --json`` prints and
calls the same services (peers read and write objects over TAXII instead: ``/taxii2/``).

    POST   /api/v1/intel/collections                      {"name", "title", "description"}
    GET    /api/v1/intel/collections
    PUT    /api/v1/intel/collections/{name}/agreements/{peer}   {"read", "write", "max_tlp"}
    DELETE /api/v1/intel/collections/{name}/agreements/{peer}
    POST   /api/v1/intel/import?collection=&tlp=&format=&skip_invalid=&country=&source=
    GET    /api/v1/intel/export?format=stix&collection=&max_tlp=&for_peer=
    POST   /api/v1/intel/extract?country=                 (the text as the body)
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from comity.intel.correlation import CorrelationPolicy
from comity.intel.errors import IntelInputError
from comity.intel.exporting import export, recipient_for
from comity.intel.importing import ImportRequest, import_data
from comity.intel.services import (
    DEFAULT_COLLECTION,
    collection_summary,
    create_collection,
    list_collections,
    share,
)
from comity.intel.tlp import parse_level
from comity.web.auth import ActorDep
from comity.web.deps import CtxDep, SessionDep

router = APIRouter(prefix="/api/v1/intel", tags=["intelligence"])

_RAW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes: a STIX 2.1 bundle, a MISP event, or UTF-8 text.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class CollectionCreate(BaseModel):
    """A new collection."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20_000)


class Agreement(BaseModel):
    """What a peer may do with a collection, and the highest TLP it may receive."""

    model_config = ConfigDict(extra="forbid")

    read: bool = False
    write: bool = False
    max_tlp: str = Field(min_length=1, max_length=20, description="clear|green|amber|amber+strict")


@router.post("/collections", status_code=201)
def new_collection(body: CollectionCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Create a collection."""
    collection = create_collection(
        session, actor, body.name, title=body.title, description=body.description
    )
    return collection_summary(collection, 0)


@router.get("/collections")
def collections(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The collections the caller can see, with their agreements."""
    return {"collections": list_collections(session, actor)}


@router.put("/collections/{name}/agreements/{peer}")
def make_agreement(
    name: str, peer: str, body: Agreement, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Make or change the agreement sharing a collection with a peer."""
    return share(session, actor, name, peer, read=body.read, write=body.write, max_tlp=body.max_tlp)


@router.delete("/collections/{name}/agreements/{peer}")
def end_agreement(name: str, peer: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """End the agreement sharing a collection with a peer."""
    return share(session, actor, name, peer, read=False, write=False, max_tlp="clear", revoke=True)


@router.post("/import", status_code=201, openapi_extra=_RAW_BODY)
async def import_file(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
    collection: Annotated[str, Query(min_length=1, max_length=100)] = DEFAULT_COLLECTION,
    tlp: Annotated[str | None, Query(max_length=20)] = None,
    fmt: Annotated[Literal["auto", "stix", "misp", "text"], Query(alias="format")] = "auto",
    skip_invalid: bool = False,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    source: Annotated[str, Query(min_length=1, max_length=300)] = "upload",
) -> dict[str, Any]:
    """Import a STIX bundle, a MISP event or text: atomic unless ``skip_invalid``."""
    data = await request.body()
    level = parse_level(tlp or ctx.settings.default_tlp)
    return import_data(
        session,
        actor,
        data,
        ImportRequest(
            collection=collection,
            source=source,
            format=fmt,
            tlp=level,
            skip_invalid=skip_invalid,
            country=country,
            source_kind="api",
        ),
        policy=CorrelationPolicy.for_settings(ctx.settings),
    )


@router.get("/export")
def export_objects(
    session: SessionDep,
    actor: ActorDep,
    fmt: Annotated[Literal["stix", "misp"], Query(alias="format")] = "stix",
    collection: Annotated[str | None, Query(max_length=100)] = None,
    max_tlp: Annotated[str, Query(max_length=20)] = "amber+strict",
    for_peer: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The STIX bundle or MISP event; what was withheld is in ``X-Comity-Withheld`` (JSON)."""
    recipient = recipient_for(session, max_tlp, for_peer, collection)
    result = export(session, actor, fmt, recipient, collection)
    return Response(
        content=json.dumps(result.document, ensure_ascii=False),
        media_type="application/json",
        headers={"X-Comity-Withheld": json.dumps(result.withheld, ensure_ascii=True)},
    )


@router.post("/extract", openapi_extra=_RAW_BODY)
async def extract_text(
    request: Request,
    actor: ActorDep,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
) -> dict[str, Any]:
    """The identifiers in a text, normalized, with their character offsets."""
    from comity.intel.observables import extract

    data = await request.body()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntelInputError(f"the body is not UTF-8 text (byte {exc.start})") from None
    return {"observables": [found.as_dict() for found in extract(text, country=country)]}
