"""Errors of the intelligence domain.

Every error derives from :class:`IntelError` (itself a
:class:`~comity.core.errors.ComityError`) and carries data, so callers can tell what was wrong::

    try:
        normalize("fax-number", "+1 212 555 0100")
    except UnknownObservableType as exc:
        exc.data["type"]          # 'fax-number'
        exc.data["known"]         # ['bank-account', 'cryptocurrency-wallet', ...]
"""

from __future__ import annotations

from comity.core.errors import ComityError, InvalidInput


class IntelError(ComityError):
    """Root of the intelligence domain's errors (exit 3 unless a subclass says otherwise)."""


class IntelInputError(IntelError, InvalidInput):
    """The caller gave intelligence input Comity cannot accept (exit 2, HTTP 400)."""


class UnknownObservableType(IntelInputError):
    """No normalizer is registered under the observable type asked for (``data["type"]``)."""


class UnknownCountry(IntelInputError):
    """The country given is not an ISO 3166-1 alpha-2 code Comity knows (``data["country"]``)."""


class DuplicateNormalizer(IntelError):
    """A second normalizer was registered under a type that has one (a programming error)."""
