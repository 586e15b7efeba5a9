"""RFC 9457 problem documents: the one place where errors become HTTP responses.

Routes never build error responses; they raise. This module turns what they raise into an
``application/problem+json`` document::

    {"type": "urn:comity:problem:not-found", "title": "Not found", "status": 404,
     "detail": "no case 'CBI-2026-0099'", "instance": "/api/v1/cases/CBI-2026-0099",
     "case": "CBI-2026-0099"}

- a :class:`~comity.core.errors.ComityError` gives its ``http_status``, ``title`` and ``slug``
  (as the ``type`` URN), its message as ``detail`` and its ``data`` as extension members;
- a request-validation error gives 400 (a body that is not JSON) or 422 (well-formed but
  invalid), with the failing fields in ``errors`` — never the submitted values, which may hold
  passwords;
- a database constraint violation (a concurrent change) gives 409;
- an :class:`HTTPException` (unknown route, wrong method, body too large) keeps its status, with
  ``type`` ``about:blank`` and the status phrase as ``title``;
- anything else gives a 500 whose ``detail`` says nothing about the cause; the cause is logged
  with an ``incident`` id that the document also carries.

Under ``/taxii2/`` the same errors are TAXII 2.1 error messages instead (``application/taxii+json;
version=2.1``), built here too, in :func:`problem`: ``title``, ``description`` (the detail),
``error_id`` (the incident of a 500), ``error_code`` (the problem's slug), ``http_status`` (a
string, as TAXII wants) and ``details`` (the extension members)::

    {"title": "Invalid filter", "description": "limit: 'x' is not a positive whole number",
     "error_code": "invalid-filter", "http_status": "400", "details": {"parameter": "limit"}}
"""

from __future__ import annotations

import json
import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comity.core.errors import ComityError

PROBLEM_JSON = "application/problem+json"
TAXII_JSON = "application/taxii+json;version=2.1"
TAXII_PREFIX = "/taxii2"
TAXII_WWW_AUTHENTICATE = (
    'Basic realm="comity", Bearer realm="comity", Token realm="comity", charset="UTF-8"'
)
TYPE_PREFIX = "urn:comity:problem:"
RESERVED = frozenset({"type", "title", "status", "detail", "instance"})
WWW_AUTHENTICATE = 'Bearer realm="comity", Basic realm="comity", charset="UTF-8"'

log = logging.getLogger("comity.web")


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An RFC 9457 problem document. Members beyond the standard ones name what went wrong "
        "(the case, the expected and actual hash...); `errors` lists invalid request fields."
    ),
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}


TAXII_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A TAXII 2.1 error message (routes under /taxii2/).",
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "error_id": {"type": "string"},
        "error_code": {"type": "string"},
        "http_status": {"type": "string"},
        "details": {"type": "object", "additionalProperties": True},
    },
    "required": ["title"],
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe every operation's errors as problem documents in an OpenAPI ``schema``.

    Operations under ``/taxii2/`` answer with TAXII error messages instead.
    """
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["TaxiiError"] = TAXII_ERROR_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem_content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    taxii_content = {TAXII_JSON: {"schema": {"$ref": "#/components/schemas/TaxiiError"}}}
    for path, path_item in schema.get("paths", {}).items():
        content = taxii_content if is_taxii_path(path) else problem_content
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses:
                responses["422"] = {"description": "Invalid request", "content": content}
            responses.setdefault("4XX", {"description": "A client error", "content": content})
            responses.setdefault("5XX", {"description": "A server error", "content": content})
    return schema


class ProblemResponse(JSONResponse):
    """A JSON response with the ``application/problem+json`` media type."""

    media_type = PROBLEM_JSON


class TaxiiErrorResponse(JSONResponse):
    """A TAXII 2.1 error message (``application/taxii+json;version=2.1``)."""

    media_type = TAXII_JSON


def is_taxii_path(path: str) -> bool:
    """Whether ``path`` belongs to the TAXII server (its errors are TAXII error messages)."""
    return path == TAXII_PREFIX or path.startswith(TAXII_PREFIX + "/")


def _json_safe(value: Any) -> Any:
    """Make ``value`` JSON-serializable, falling back to strings."""
    try:
        encoded = jsonable_encoder(value)
        json.dumps(encoded)
        return encoded
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


def problem(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build a problem response; extension members never override the standard ones.

    When ``instance`` is a TAXII path the same error becomes a TAXII error message.
    """
    if instance is not None and is_taxii_path(instance):
        return _taxii_error(status, title, detail, type_, extensions, headers)
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    for key, value in (extensions or {}).items():
        if key not in RESERVED:
            body[key] = _json_safe(value)
    return ProblemResponse(body, status_code=status, headers=headers)


def _taxii_error(
    status: int,
    title: str | None,
    detail: str | None,
    type_: str,
    extensions: dict[str, Any] | None,
    headers: dict[str, str] | None,
) -> TaxiiErrorResponse:
    """The TAXII error message for what :func:`problem` was asked to say."""
    extra = {k: v for k, v in (extensions or {}).items() if k not in RESERVED}
    body: dict[str, Any] = {"title": title or _phrase(status), "http_status": str(status)}
    if detail:
        body["description"] = detail
    incident = extra.pop("incident", None)
    if incident is not None:
        body["error_id"] = str(incident)
    body["error_code"] = (
        type_.removeprefix(TYPE_PREFIX)
        if type_ != "about:blank"
        else (_phrase(status).lower().replace(" ", "-"))
    )
    if extra:
        body["details"] = _json_safe(extra)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": TAXII_WWW_AUTHENTICATE}
    return TaxiiErrorResponse(body, status_code=status, headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _instance(request: Request) -> str:
    return request.url.path


def comity_error_response(exc: ComityError, instance: str | None) -> JSONResponse:
    """The problem document for a :class:`ComityError`."""
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if exc.http_status == 401 else None
    return problem(
        exc.http_status,
        title=exc.title,
        detail=exc.message,
        type_=TYPE_PREFIX + exc.slug,
        instance=instance,
        extensions=exc.data,
        headers=headers,
    )


async def _comity_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ComityError)
    if exc.http_status >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.slug, exc.message)
    return comity_error_response(exc, _instance(request))


def _error_entry(error: Any) -> dict[str, Any]:
    """A validation error without the submitted value (it may be a password)."""
    entry = dict(error) if isinstance(error, dict) else {"msg": str(error)}
    return {
        "loc": [str(part) for part in entry.get("loc", ())],
        "msg": str(entry.get("msg", "")),
        "type": str(entry.get("type", "")),
    }


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_error_entry(e) for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(
            400,
            title="Malformed request body",
            detail="the request body is not well-formed JSON",
            type_=TYPE_PREFIX + "malformed-body",
            instance=_instance(request),
            extensions={"errors": errors},
        )
    where = ", ".join(".".join(e["loc"]) + f": {e['msg']}" for e in errors[:5])
    return problem(
        422,
        title="Invalid request",
        detail=f"the request does not match what this operation accepts ({where})",
        type_=TYPE_PREFIX + "validation-error",
        instance=_instance(request),
        extensions={"errors": errors},
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A constraint the database enforces was violated: most often a concurrent change."""
    log.warning(
        "%s %s: database constraint violated (%s)",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", exc)).__name__,
    )
    return problem(
        409,
        title="Conflict",
        detail="the change conflicts with the node's data, perhaps a concurrent change; retry",
        type_=TYPE_PREFIX + "conflict",
        instance=_instance(request),
    )


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = _phrase(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": WWW_AUTHENTICATE}
    return problem(
        exc.status_code,
        title=phrase,
        detail=detail,
        instance=_instance(request),
        headers=headers,
    )


def internal_error_response(method: str, path: str, exc: BaseException) -> JSONResponse:
    """Log an unexpected exception with an incident id; return a 500 naming only that id."""
    incident = str(uuid.uuid4())
    log.error(
        "incident %s: %s %s raised %s",
        incident,
        method,
        path,
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return problem(
        500,
        title="Internal error",
        detail="the server met an unexpected condition; the incident was logged",
        type_=TYPE_PREFIX + "internal-error",
        instance=path,
        extensions={"incident": incident},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return internal_error_response(request.method, request.url.path, exc)


class CatchUnexpected:
    """ASGI middleware: an exception no handler took becomes a logged 500 problem document.

    Starlette's last-resort handler re-raises after answering, so the server logs the same
    traceback a second time; this middleware answers and stops there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the application; answer with a 500 problem if it raises before responding."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            response = internal_error_response(scope.get("method", ""), scope.get("path", ""), exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the problem handlers on ``app``."""
    app.add_exception_handler(ComityError, _comity_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
