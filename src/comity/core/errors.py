"""The exception hierarchy of Comity.

Every error Comity raises on purpose derives from :class:`ComityError`. Each class carries the
CLI exit code and the HTTP status it maps to, so the CLI and the API translate errors in one
place each::

    try:
        service.add_evidence(...)
    except ComityError as exc:
        print(exc.message, exc.data)   # the data names the evidence id, the expected hash...

Exit codes: 2 bad input or usage, 1 a check that found a problem (tampering, a refused import),
3 an internal error or an unavailable service.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ComityError(Exception):
    """Root of every error Comity raises on purpose."""

    exit_code: ClassVar[int] = 3
    http_status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data: dict[str, Any] = data

    def __str__(self) -> str:
        return self.message


class InvalidInput(ComityError):
    """The caller gave something Comity cannot accept (exit 2, HTTP 400)."""

    exit_code = 2
    http_status = 400
    slug = "invalid-input"
    title = "Invalid input"


class NotFound(InvalidInput):
    """A named object does not exist (exit 2, HTTP 404)."""

    http_status = 404
    slug = "not-found"
    title = "Not found"


class AlreadyExists(InvalidInput):
    """An object with that identity exists already (exit 2, HTTP 409)."""

    http_status = 409
    slug = "already-exists"
    title = "Already exists"


class NotAuthenticated(InvalidInput):
    """No valid credentials were presented (exit 2, HTTP 401)."""

    http_status = 401
    slug = "not-authenticated"
    title = "Not authenticated"


class PermissionDenied(InvalidInput):
    """The user may not do this (exit 2, HTTP 403)."""

    http_status = 403
    slug = "permission-denied"
    title = "Permission denied"


class CheckFailed(ComityError):
    """A verification found a problem: tampering, a broken chain, a refused import (exit 1)."""

    exit_code = 1
    http_status = 422
    slug = "check-failed"
    title = "Verification failed"


class ServiceUnavailable(ComityError):
    """A service Comity depends on is unavailable (exit 3, HTTP 503)."""

    exit_code = 3
    http_status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


class ConfigurationError(ComityError):
    """The node is not set up, or its configuration is unusable (exit 2, HTTP 500)."""

    exit_code = 2
    http_status = 500
    slug = "configuration-error"
    title = "Configuration error"
