"""Identifiers: random UUIDs for records, URL-safe tokens for secrets."""

from __future__ import annotations

import secrets
import uuid


def new_id() -> uuid.UUID:
    """Return a new random (version 4) UUID."""
    return uuid.uuid4()


def parse_id(text: str, what: str = "id") -> uuid.UUID:
    """Parse a UUID given by a user; raise :class:`InvalidInput` naming ``what`` if malformed."""
    from comity.core.errors import InvalidInput

    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidInput(f"not a valid {what}: {text!r}", value=text) from exc


def new_secret(nbytes: int = 32) -> str:
    """Return a URL-safe random secret of ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)
