"""Canonical JSON (RFC 8785, JCS): the bytes Comity hashes and signs."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from comity.core.errors import InvalidInput


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` as RFC 8785 canonical JSON.

    >>> canonical_json({"b": 1, "a": "x"})
    b'{"a":"x","b":1}'
    """
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
