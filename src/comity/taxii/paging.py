"""``next`` tokens: the paging state itself, authenticated, so any server process can go on.

A token carries where the previous page ended (its last ``date_added``, unique and strictly
increasing within a collection), the collection, the caller's user id and a hash of the query's
filters, and an HMAC-SHA-256 over all of it::

    key = token_key(ctx.address_key)
    token = issue(key, Position(collection.id, actor.user.id, filters.query_hash, last_us))
    after_us = redeem(key, token, Position(collection.id, actor.user.id, filters.query_hash, 0))

Nothing is kept on the server, so paging survives restarts and works across several server
processes behind a load balancer (they share the node home, hence the key). The key is derived
(HKDF-SHA-256, its own label) from the node's 32-byte secret in ``keys/address.key`` (mode
0600), so it never leaves the node and no other use of that secret can produce a valid token.

A token only saves the caller from repeating ``added_after``: it grants nothing the same caller
could not read with the same filters. It is refused (:class:`InvalidNextToken`, HTTP 400) when
it is damaged or forged, or when it was issued for another collection, another caller or other
filters.

Layout (then unpadded base64url): version (1 byte), collection id (16), user id (16), query
hash (16), last ``date_added`` in microseconds (8, signed big-endian), MAC (16).
"""

from __future__ import annotations

import hmac
import struct
import uuid
from dataclasses import dataclass
from hashlib import sha256
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from comity.core.errors import InvalidInput
from comity.core.keys import b64u_decode, b64u_encode
from comity.taxii.errors import InvalidNextToken

TOKEN_VERSION: Final = 1
KEY_LABEL: Final = b"comity taxii next-token v1"
_STATE: Final = struct.Struct(">B16s16s16sq")
_MAC_BYTES: Final = 16
TOKEN_CHARS: Final = -(-(_STATE.size + _MAC_BYTES) * 4 // 3)
"""Length of every token this server issues."""


def token_key(node_secret: bytes) -> bytes:
    """The token key derived from the node's secret (HKDF-SHA-256 with its own label)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_LABEL).derive(node_secret)


@dataclass(frozen=True)
class Position:
    """Where a page ended, for whom and for which query."""

    collection_id: uuid.UUID
    user_id: uuid.UUID
    query_hash: bytes
    after_us: int


def issue(key: bytes, position: Position) -> str:
    """A token for the page after ``position``."""
    state = _STATE.pack(
        TOKEN_VERSION,
        position.collection_id.bytes,
        position.user_id.bytes,
        position.query_hash,
        position.after_us,
    )
    return b64u_encode(state + _mac(key, state))


def redeem(key: bytes, token: str, expected: Position) -> int:
    """The ``date_added`` (microseconds) after which the next page starts.

    ``expected`` gives the collection, caller and query hash of the request presenting the
    token (its ``after_us`` is ignored). Raises :class:`InvalidNextToken`.
    """
    if len(token) != TOKEN_CHARS:
        raise InvalidNextToken("the next token is damaged or was not issued by this server")
    try:
        raw = b64u_decode(token)
    except InvalidInput:
        raise InvalidNextToken(
            "the next token is damaged or was not issued by this server"
        ) from None
    state, mac = raw[: _STATE.size], raw[_STATE.size :]
    if (
        len(state) != _STATE.size
        or b64u_encode(raw) != token  # one spelling only: no play in the padding bits
        or not hmac.compare_digest(mac, _mac(key, state))
    ):
        raise InvalidNextToken("the next token is damaged or was not issued by this server")
    version, collection, user, query, after_us = _STATE.unpack(state)
    if version != TOKEN_VERSION:
        raise InvalidNextToken("the next token is of a version this server does not read")
    if collection != expected.collection_id.bytes:
        raise InvalidNextToken("the next token was issued for another collection")
    if user != expected.user_id.bytes:
        raise InvalidNextToken("the next token was issued to another caller")
    if query != expected.query_hash:
        raise InvalidNextToken(
            "the next token was issued for another query: repeat the filters of the request "
            "that returned it (only limit may change)"
        )
    return int(after_us)


def _mac(key: bytes, state: bytes) -> bytes:
    return hmac.new(key, state, sha256).digest()[:_MAC_BYTES]
