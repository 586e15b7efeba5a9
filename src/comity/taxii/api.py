"""TAXII 2.1 routes, mounted in the node's API under ``/taxii2/``.

    GET    /taxii2/                                               discovery
    GET    /taxii2/comity/                                        the API root
    GET    /taxii2/comity/collections/
    GET    /taxii2/comity/collections/{id}/
    GET    /taxii2/comity/collections/{id}/objects/               filters, paging
    POST   /taxii2/comity/collections/{id}/objects/               an envelope → 202 status
    GET    /taxii2/comity/collections/{id}/objects/{object}/
    DELETE /taxii2/comity/collections/{id}/objects/{object}/
    GET    /taxii2/comity/collections/{id}/objects/{object}/versions/
    GET    /taxii2/comity/collections/{id}/manifest/
    GET    /taxii2/comity/status/{status}/

``{id}`` is a collection's id or its name (its ``alias``). Every answer is
``application/taxii+json;version=2.1``; a request whose ``Accept`` allows no such answer is
refused with 406, a POST whose ``Content-Type`` is not that media type with 415. Routes never
build error responses: they raise, and :mod:`comity.web.problems` writes the TAXII error
message. Pages are built from the stored JSON of each object, joined, never re-parsed.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from comity.context import NodeContext
from comity.intel.correlation import CorrelationPolicy
from comity.intel.stix import timestamp_of
from comity.taxii import server
from comity.taxii.errors import NotAcceptable, UnsupportedMediaType
from comity.taxii.filters import Endpoint, parse_filters
from comity.taxii.paging import token_key
from comity.taxii.server import API_ROOT, PREFIX, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE, Page
from comity.web.auth import ActorDep, CredentialsDep
from comity.web.deps import CtxDep, SessionDep

_KEY_MEMO: Final = "taxii.next_key"
_ROOT: Final = f"/{API_ROOT}"
_COLLECTION: Final = f"{_ROOT}/collections/{{collection_id}}"
_OBJECT: Final = f"{_COLLECTION}/objects/{{object_id}}"


class TaxiiResponse(Response):
    """A response with the TAXII 2.1 media type; a mapping is written as compact JSON."""

    media_type = TAXII_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        """Bytes as they are; anything else as JSON."""
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for item in header.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        values = {}
        for param in params:
            name, _, value = param.partition("=")
            values[name.strip().lower()] = value.strip().strip('"')
        if kind:
            ranges.append((kind.lower(), values))
    return ranges


def _is_taxii_21(kind: str, params: dict[str, str]) -> bool:
    return kind == "application/taxii+json" and params.get("version", "2.1") == "2.1"


def check_accept(request: Request) -> None:
    """Refuse (406) a request whose ``Accept`` allows no ``application/taxii+json;version=2.1``.

    No ``Accept`` header, ``*/*``, ``application/*`` and ``application/taxii+json`` without a
    version all allow it; a range with ``q=0`` does not.
    """
    header = request.headers.get("accept")
    if header is None or not header.strip():
        return
    for kind, params in _media_ranges(header[:2000]):
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*") or _is_taxii_21(kind, params):
            return
    raise NotAcceptable(
        f"this server answers only with {TAXII_MEDIA_TYPE}; the Accept header allows none",
        accept=header[:200],
    )


AcceptDep = Annotated[None, Depends(check_accept)]


async def envelope_body(request: Request, _accept: AcceptDep, _creds: CredentialsDep) -> bytes:
    """The body of a POST, read after its ``Content-Type`` was checked (415 otherwise).

    Credentials are parsed (not yet checked) first, so a request without any is refused
    before its body is read; the body is read before the database is touched.
    """
    header = request.headers.get("content-type") or ""
    ranges = _media_ranges(header[:500])
    if len(ranges) != 1 or not _is_taxii_21(*ranges[0]):
        raise UnsupportedMediaType(
            f"send the envelope as {TAXII_MEDIA_TYPE}",
            content_type=header[:200],
        )
    return await request.body()


BodyDep = Annotated[bytes, Depends(envelope_body)]


def next_key(ctx: NodeContext) -> bytes:
    """The key of ``next`` tokens (derived once per process from the node's secret)."""
    key = ctx.memo.get(_KEY_MEMO)
    if key is None:
        key = ctx.memo[_KEY_MEMO] = token_key(ctx.address_key)
    assert isinstance(key, bytes)
    return key


def _page_headers(page: Page) -> dict[str, str]:
    if page.first_us is None or page.last_us is None:
        return {}
    return {
        "X-TAXII-Date-Added-First": timestamp_of(page.first_us),
        "X-TAXII-Date-Added-Last": timestamp_of(page.last_us),
    }


def envelope_bytes(page: Page, member: str, items: list[str]) -> bytes:
    """``{"more", "next", member: [items]}`` from items already JSON; ``{}`` when empty."""
    if not items:
        return b"{}"
    head = '{"more":true' if page.more else '{"more":false'
    if page.next is not None:
        head += f',"next":"{page.next}"'
    return f'{head},"{member}":[{",".join(items)}]}}'.encode()


router = APIRouter(prefix=PREFIX, tags=["taxii"], default_response_class=TaxiiResponse)

_DESCRIBED: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {TAXII_MEDIA_TYPE: {}}, "description": "A TAXII 2.1 resource"}
}


@router.get("/", responses=_DESCRIBED)
def get_discovery(_accept: AcceptDep, session: SessionDep, actor: ActorDep) -> TaxiiResponse:
    """TAXII discovery: this server and its API root."""
    return TaxiiResponse(server.discovery(session))


@router.get(f"{_ROOT}/", responses=_DESCRIBED)
def get_api_root(_accept: AcceptDep, ctx: CtxDep, actor: ActorDep) -> TaxiiResponse:
    """The API root: title, versions and the largest envelope accepted."""
    settings = ctx.settings
    return TaxiiResponse(server.api_root(min(settings.max_request_bytes, settings.max_intel_bytes)))


@router.get(f"{_ROOT}/collections/", responses=_DESCRIBED)
def get_collections(_accept: AcceptDep, session: SessionDep, actor: ActorDep) -> TaxiiResponse:
    """The collections the caller may see (a peer: those of its sharing agreements)."""
    return TaxiiResponse(server.collections(session, actor))


@router.get(f"{_COLLECTION}/", responses=_DESCRIBED)
def get_collection(
    collection_id: str, _accept: AcceptDep, session: SessionDep, actor: ActorDep
) -> TaxiiResponse:
    """One collection (by id or alias)."""
    return TaxiiResponse(server.collection(session, actor, collection_id))


@router.get(f"{_COLLECTION}/objects/", responses=_DESCRIBED)
def get_objects(
    collection_id: str,
    request: Request,
    _accept: AcceptDep,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
) -> TaxiiResponse:
    """A page of objects; filters ``added_after``, ``limit``, ``next``, ``match[…]``."""
    filters = parse_filters(request.query_params.multi_items(), Endpoint.OBJECTS)
    page = server.objects_page(session, actor, collection_id, filters, next_key(ctx))
    body = envelope_bytes(page, "objects", [row[1] for row in page.rows])
    return TaxiiResponse(body, headers=_page_headers(page))


@router.post(f"{_COLLECTION}/objects/", status_code=202, responses=_DESCRIBED)
def add_objects(
    collection_id: str,
    body: BodyDep,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
) -> TaxiiResponse:
    """Add an envelope's objects (all or nothing); answers 202 with the status resource."""
    status = server.add_objects(
        session,
        actor,
        collection_id,
        body,
        default_tlp=ctx.settings.default_tlp,
        policy=CorrelationPolicy.for_settings(ctx.settings),
    )
    return TaxiiResponse(status, status_code=202)


@router.get(f"{_OBJECT}/", responses=_DESCRIBED)
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    _accept: AcceptDep,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
) -> TaxiiResponse:
    """The versions of one object ``match[version]`` selects (default: the last)."""
    filters = parse_filters(request.query_params.multi_items(), Endpoint.OBJECT, object_id)
    page = server.objects_page(session, actor, collection_id, filters, next_key(ctx))
    body = envelope_bytes(page, "objects", [row[1] for row in page.rows])
    return TaxiiResponse(body, headers=_page_headers(page))


@router.delete(f"{_OBJECT}/", responses={200: {"description": "Deleted"}})
def delete_object(
    collection_id: str,
    object_id: str,
    request: Request,
    _accept: AcceptDep,
    session: SessionDep,
    actor: ActorDep,
) -> Response:
    """Delete the versions ``match[version]`` selects (default: the last); audited."""
    filters = parse_filters(request.query_params.multi_items(), Endpoint.DELETE, object_id)
    server.delete_object(session, actor, collection_id, object_id, filters)
    return Response(status_code=200)


@router.get(f"{_OBJECT}/versions/", responses=_DESCRIBED)
def get_versions(
    collection_id: str,
    object_id: str,
    request: Request,
    _accept: AcceptDep,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
) -> TaxiiResponse:
    """Every version of one object the caller may see, by ``date_added``."""
    filters = parse_filters(request.query_params.multi_items(), Endpoint.VERSIONS, object_id)
    page = server.versions_page(session, actor, collection_id, filters, next_key(ctx))
    versions = [
        orjson.dumps(server.version_text(version, added_us)).decode()
        for added_us, version in page.rows
    ]
    return TaxiiResponse(envelope_bytes(page, "versions", versions), headers=_page_headers(page))


@router.get(f"{_COLLECTION}/manifest/", responses=_DESCRIBED)
def get_manifest(
    collection_id: str,
    request: Request,
    _accept: AcceptDep,
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
) -> TaxiiResponse:
    """A page of the manifest: id, ``date_added``, version and media type of each object."""
    filters = parse_filters(request.query_params.multi_items(), Endpoint.MANIFEST)
    page = server.manifest_page(session, actor, collection_id, filters, next_key(ctx))
    records = [
        orjson.dumps(
            {
                "id": stix_id,
                "date_added": timestamp_of(added_us),
                "version": server.version_text(version, added_us),
                "media_type": STIX_MEDIA_TYPE.replace("2.1", spec_version or "2.1"),
            }
        ).decode()
        for added_us, stix_id, version, spec_version in page.rows
    ]
    return TaxiiResponse(envelope_bytes(page, "objects", records), headers=_page_headers(page))


@router.get(f"{_ROOT}/status/{{status_id}}/", responses=_DESCRIBED)
def get_status(
    status_id: str, _accept: AcceptDep, session: SessionDep, actor: ActorDep
) -> TaxiiResponse:
    """The status of an add-objects request (complete: imports finish before the 202)."""
    return TaxiiResponse(server.status(session, actor, status_id))
