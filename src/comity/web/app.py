"""The HTTP API: one FastAPI application assembled from the domains' routers.

    app = create_app(load_settings())                  # ``comity serve`` does this
    app = create_app(settings, NodeContext(settings))  # tests bring their own context

The OpenAPI description is at ``/openapi.json``; the interactive documentation pages are off
(they would load scripts from outside the node). No CORS headers are sent: browsers on other
origins cannot call the API. Request bodies are limited to ``settings.max_request_bytes``,
except the streamed evidence uploads, which go to disk in chunks and are bounded by the free
space of the node home instead (see :mod:`comity.web.uploads`).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comity import __version__
from comity.context import NodeContext
from comity.core.settings import Settings
from comity.web import problems
from comity.web.uploads import UNLIMITED_BODY, clean_stale_uploads

log = logging.getLogger("comity.web")

DESCRIPTION = """\
The REST API of a Comity node. Authenticate with `Authorization: Bearer <API token>` or HTTP
Basic (a user's or a peer's username and password). Errors are RFC 9457 problem documents
(`application/problem+json`). Every read of case data is recorded in the node's audit log.
"""


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit`` bytes with a 413 problem.

    The limit is enforced as the application reads the body: a declared ``Content-Length``
    over the limit is refused at the first read, before any of the body is taken in; a body
    sent in chunks is counted as it arrives. Streamed-upload routes lift the limit for their
    request (see :func:`comity.web.uploads.allow_large_body`) before they read.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _refuse(self) -> HTTPException:
        # The framework passes HTTPExceptions from body reading through unchanged; the problem
        # handler turns this into a 413 problem document.
        return HTTPException(
            413,
            detail=f"the request body is larger than this node accepts ({self.limit} bytes)",
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a ``receive`` that enforces the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if scope.get(UNLIMITED_BODY):
                return await receive()
            if declared is not None and declared.isdigit() and int(declared) > self.limit:
                raise self._refuse()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._refuse()
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeaders:
    """ASGI middleware adding headers every API answer should carry."""

    HEADERS = (
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, add_headers)


def create_app(settings: Settings, ctx: NodeContext | None = None) -> FastAPI:
    """Build the API application for the node described by ``settings``.

    With ``ctx`` the application uses that context (and leaves it open at shutdown); without,
    it makes its own and disposes of it when the server stops.
    """
    owns_context = ctx is None
    context = ctx if ctx is not None else NodeContext(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        removed = clean_stale_uploads(settings.home)
        if removed:
            log.info("removed %d upload folders left by an interrupted server", removed)
        yield
        if owns_context:
            context.dispose()

    app = FastAPI(
        title="Comity",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    _describe_problems(app)
    app.state.ctx = context
    app.state.settings = settings
    problems.install(app)
    _include_routers(app)

    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(problems.CatchUnexpected)
    return app


def _describe_problems(app: FastAPI) -> None:
    """Make the generated OpenAPI description say errors are problem documents."""
    generate = app.openapi
    described: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not described:
            described.update(problems.document_problems(generate()))
        return described

    app.openapi = openapi  # type: ignore[method-assign]


def _include_routers(app: FastAPI) -> None:
    from comity.cases.api import router as cases_router
    from comity.evidence.api import router as evidence_router
    from comity.federation.api import router as federation_router
    from comity.identity.api import router as identity_router
    from comity.intel.api import router as intel_router
    from comity.legal.api import router as legal_router
    from comity.legal.api_requests import router as legal_requests_router
    from comity.link.api import router as link_router
    from comity.operations.api import router as operations_router
    from comity.taxii.api import router as taxii_router

    for router in (
        identity_router,
        federation_router,
        cases_router,
        evidence_router,
        intel_router,
        taxii_router,
        link_router,
        operations_router,
        legal_router,
        legal_requests_router,
    ):
        app.include_router(router)
    packages = "comity.evidence.api_packages"  # built alongside; absent in older trees
    if importlib.util.find_spec(packages) is not None:
        app.include_router(importlib.import_module(packages).router)
