"""Errors of the linkage domain.

Every error derives from :class:`LinkError` (a :class:`~comity.core.errors.ComityError`) and
carries data::

    try:
        load_mapping(path)
    except MappingError as exc:
        exc.data["field"]     # 'phone' — not a field of the interchange format
"""

from __future__ import annotations

from comity.core.errors import ComityError, InvalidInput, ServiceUnavailable


class LinkError(ComityError):
    """Root of the linkage domain's errors (exit 3 unless a subclass says otherwise)."""


class LinkInputError(LinkError, InvalidInput):
    """Input the linkage cannot accept as a whole (exit 2, HTTP 400): an unreadable file, an
    unknown format, a bad mapping. Bad *rows* are not errors: they are reported per row."""


class MappingError(LinkInputError):
    """A mapping file that cannot be used (``data["field"]`` or ``data["column"]`` says why)."""


class DuplicateReader(LinkError):
    """A second reader was registered under a format that has one (a programming error)."""


class DuplicateEngine(LinkError):
    """A second linkage engine was registered under a name that has one (a programming error)."""


class UnknownEngine(LinkInputError):
    """No linkage engine has the name asked for (``data["engine"]``, ``data["known"]``)."""


class EngineUnavailable(LinkError, ServiceUnavailable):
    """A linkage engine that cannot run here (``data["engine"]``; the reason: Spark without
    Java, a missing optional package…) — exit 3, HTTP 503."""


class EngineFailed(LinkError):
    """A linkage engine stopped without an answer (``data["engine"]``, ``data["reason"]``)."""
