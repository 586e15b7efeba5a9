"""HTTP routes for linkage: ingest complaint files, link them, list and explain networks.

Each route returns the JSON the matching ``comity link ... --json`` command prints. An upload
is streamed to a private folder under the node home (not bound by the API's request-size
limit) and ingested from there; the folder goes with the request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response

from comity.core.errors import InvalidInput
from comity.link.ingest import IngestOptions, ingest_file
from comity.link.match import finish_match, respond_match
from comity.link.networks import explain, list_networks, run_linkage
from comity.web.auth import ActorDep, StandaloneActorDep
from comity.web.deps import CtxDep, SessionDep
from comity.web.uploads import allow_large_body, receive_upload, safe_filename, upload_folder

router = APIRouter(prefix="/api/v1/link", tags=["linkage"])

_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The raw bytes of one complaint file (CSV, JSON Lines or Parquet), its name in the "
            "`filename` query parameter or a Content-Disposition header. Streamed to disk."
        ),
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/ingest",
    status_code=201,
    openapi_extra=_FILE_BODY,
    dependencies=[Depends(allow_large_body)],
)
async def ingest_complaints(
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    filename: Annotated[str | None, Query(max_length=255)] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    date_format: Annotated[str | None, Query(max_length=40)] = None,
    fmt: Annotated[Literal["csv", "jsonl", "parquet"] | None, Query(alias="format")] = None,
) -> dict[str, Any]:
    """Ingest a complaint file: good rows kept, bad rows reported by line (see docs)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise InvalidInput("send the file's bytes as the body, not a multipart form")
    async with upload_folder(ctx.settings.home) as folder:
        upload = await receive_upload(request, folder, filename=filename)
        if len(upload.files) != 1:
            raise InvalidInput("send exactly one complaint file")
        (path,) = upload.files
        options = IngestOptions(
            country=country,
            date_format=date_format,
            format=fmt,
            name=safe_filename(filename) if filename else path.name,
        )
        username = actor.username
        return await anyio.to_thread.run_sync(lambda: ingest_file(ctx, username, path, options))


@router.post("/run")
async def link_complaints(
    ctx: CtxDep, actor: StandaloneActorDep, full: bool = False, engine: str | None = None
) -> dict[str, Any]:
    """Link the complaints into networks (incremental unless ``full``; a full run with
    ``engine``, default the node's ``link_engine``)."""
    username = actor.username
    return await anyio.to_thread.run_sync(
        lambda: run_linkage(ctx, username, full=full, engine=engine)
    )


@router.get("/networks")
def networks(
    ctx: CtxDep,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The active networks, highest score first, ``limit`` from ``offset`` (``total``: all)."""
    return list_networks(session, actor, ctx.settings, limit=limit, offset=offset)


@router.get("/networks/{network}")
def network(network: str, ctx: CtxDep, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One network."""
    found: dict[str, Any] = list_networks(session, actor, ctx.settings, network_id=network)[
        "networks"
    ][0]
    return found


@router.get("/networks/{network}/explain")
def explain_network(
    network: str,
    session: SessionDep,
    actor: ActorDep,
    source: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    target: Annotated[str | None, Query(alias="to", max_length=100)] = None,
) -> dict[str, Any]:
    """The identifiers linking a network's complaints, or the chain between two of them."""
    return explain(session, actor, network, source, target)


MAX_MATCH_MESSAGE = 1 << 30


async def _message(request: Request) -> str:
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_MATCH_MESSAGE:
            raise InvalidInput("a match message larger than 1 GiB")
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("a match message is UTF-8 JSON") from None


@router.post("/match/answer", dependencies=[Depends(allow_large_body)])
async def answer_match(request: Request, ctx: CtxDep, actor: StandaloneActorDep) -> Response:
    """A peer's match request in, the signed answer out (the peer's service account)."""
    text = await _message(request)
    username = actor.username
    answer = await anyio.to_thread.run_sync(lambda: respond_match(ctx, username, text))
    return Response(answer, media_type="application/json")


@router.post("/match/result", dependencies=[Depends(allow_large_body)])
async def match_result(request: Request, ctx: CtxDep, actor: StandaloneActorDep) -> dict[str, Any]:
    """The requester's signed result: checked against what this node offered, recorded."""
    text = await _message(request)
    username = actor.username
    return await anyio.to_thread.run_sync(lambda: finish_match(ctx, username, text))
