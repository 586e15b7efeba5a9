"""Errors of the TAXII 2.1 server and client.

Each derives from a domain error of :mod:`comity.core.errors` (so the CLI's exit codes and the
API's statuses follow) and carries data naming what was wrong::

    raise InvalidFilter("match[type] 'x y' is not a STIX type", parameter="match[type]")

On routes under ``/taxii2/`` the API turns every error into a TAXII error message
(:mod:`comity.web.problems`), with ``error_code`` the error's ``slug`` and the data as
``details``.
"""

from __future__ import annotations

from comity.core.errors import InvalidInput, ServiceUnavailable


class TaxiiError(InvalidInput):
    """Root of the TAXII request errors (exit 2, HTTP 400 unless a subclass says otherwise)."""

    slug = "taxii-bad-request"
    title = "Bad TAXII request"


class InvalidFilter(TaxiiError):
    """A URL filter is malformed (``data["parameter"]`` names it)."""

    slug = "invalid-filter"
    title = "Invalid filter"


class InvalidNextToken(TaxiiError):
    """A ``next`` token is damaged, forged, or belongs to another query, caller or collection."""

    slug = "invalid-next"
    title = "Invalid next token"


class InvalidEnvelope(TaxiiError):
    """A POSTed body is not a TAXII envelope (not JSON, not an object, ``objects`` no list)."""

    slug = "invalid-envelope"
    title = "Invalid envelope"


class NotAcceptable(TaxiiError):
    """The ``Accept`` header allows no media type this server answers with (HTTP 406)."""

    http_status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


class UnsupportedMediaType(TaxiiError):
    """A POST body's ``Content-Type`` is not the TAXII 2.1 media type (HTTP 415)."""

    http_status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class PeerUnreachable(ServiceUnavailable):
    """A peer's TAXII server could not be reached or answered with an error (exit 3)."""

    slug = "peer-unreachable"
    title = "Peer unreachable"


class PeerRefused(TaxiiError):
    """The peer refused a request (401, 403, 404): credentials or sharing agreement (exit 2).

    ``data["status"]`` is the peer's HTTP status.
    """

    slug = "peer-refused"
    title = "Refused by peer"


class PeerAnswerInvalid(ServiceUnavailable):
    """A peer's TAXII server answered with something that is not valid TAXII (exit 3)."""

    slug = "peer-answer-invalid"
    title = "Invalid answer from peer"
