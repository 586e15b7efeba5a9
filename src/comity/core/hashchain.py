"""Hash chains: each link is ``SHA-256(previous hash || "\\n" || canonical body)``."""

from __future__ import annotations

import hashlib

GENESIS = "0" * 64


def link_hash(prev_hash: str, body: bytes) -> str:
    """Return the hash of the link with ``body`` that follows ``prev_hash``."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()
