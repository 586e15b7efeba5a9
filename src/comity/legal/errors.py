"""Errors of the legal-cooperation domain.

Every error derives from :class:`LegalError` and carries data::

    try:
        load_knowledge_base(session)
    except KnowledgeBaseInvalid as exc:
        exc.data["file"], exc.data["entry"], exc.data["field"]   # 'treaties.json', 3, 'as_of'
"""

from __future__ import annotations

from comity.core.errors import CheckFailed, ComityError, InvalidInput, NotFound


class LegalError(ComityError):
    """Root of the legal domain's errors (exit 3 unless a subclass says otherwise)."""


class LegalInputError(LegalError, InvalidInput):
    """Input the legal domain cannot take (exit 2, HTTP 400): an unknown country, need, kind,
    holder or state; a date in the future; a case without facts."""


class KnowledgeBaseInvalid(LegalInputError):
    """A knowledge-base file does not match the schema (``data``: ``file``, ``entry``,
    ``field``)."""

    slug = "knowledge-base-invalid"
    title = "Knowledge-base file invalid"


class UnknownRequest(LegalError, NotFound):
    """No request has that id (``data["request"]``)."""


class UnknownKnowledgeVersion(LegalError, NotFound):
    """No knowledge-base version has that number (``data["version"]``)."""


class RequestConflict(LegalInputError):
    """The request's state does not allow this (exit 2, HTTP 409)."""

    http_status = 409
    slug = "request-conflict"
    title = "Not allowed in the request's present state"


class InvalidTransition(RequestConflict):
    """A state change the lifecycle does not allow (``data``: ``current``, ``to``,
    ``allowed``)."""

    slug = "invalid-transition"
    title = "State change not allowed"


class DraftIncomplete(LegalError, CheckFailed):
    """The draft lacks required elements (exit 1, HTTP 422; ``data["missing"]``)."""

    slug = "draft-incomplete"
    title = "Required elements missing"


class RequestFileInvalid(LegalError, CheckFailed):
    """An imported request file is damaged, altered or not from the peer it names (exit 1)."""

    slug = "request-file-invalid"
    title = "Request file refused"
