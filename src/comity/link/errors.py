"""Errors of the linkage domain.

Every error derives from :class:`LinkError` (a :class:`~comity.core.errors.ComityError`) and
carries data::

    try:
        load_mapping(path)
    except MappingError as exc:
        exc.data["field"]     # 'phone' — not a field of the interchange format
"""

from __future__ import annotations

from comity.core.errors import ComityError, InvalidInput


class LinkError(ComityError):
    """Root of the linkage domain's errors (exit 3 unless a subclass says otherwise)."""


class LinkInputError(LinkError, InvalidInput):
    """Input the linkage cannot accept as a whole (exit 2, HTTP 400): an unreadable file, an
    unknown format, a bad mapping. Bad *rows* are not errors: they are reported per row."""


class MappingError(LinkInputError):
    """A mapping file that cannot be used (``data["field"]`` or ``data["column"]`` says why)."""


class DuplicateReader(LinkError):
    """A second reader was registered under a format that has one (a programming error)."""
