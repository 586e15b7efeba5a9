"""Sealing for a recipient: HPKE (RFC 9180) wraps a fresh key, which encrypts the stream.

Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode. A sealed file is::

    MAGIC (8) | length of the HPKE message (4, big-endian) | HPKE message | encrypted stream

where the HPKE message carries the 32-byte stream key and the stream is :mod:`comity.core.aead`.
Only the holder of the recipient's X25519 private key can open it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from comity.core import aead
from comity.core.aead import DecryptionFailed

SEAL_MAGIC = b"CMTYSEAL"
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def wrap_key(key: bytes, recipient: X25519PublicKey, info: bytes) -> bytes:
    """Encrypt a symmetric key to ``recipient`` with HPKE."""
    return bytes(_SUITE.encrypt(key, recipient, info))


def unwrap_key(wrapped: bytes, private: X25519PrivateKey, info: bytes) -> bytes:
    """Open a key wrapped by :func:`wrap_key`."""
    try:
        return bytes(_SUITE.decrypt(wrapped, private, info))
    except Exception as exc:  # cryptography raises several types for a bad message
        raise DecryptionFailed("cannot unwrap the key: not sealed for this node's key") from exc


def seal_chunks(
    chunks: Iterable[bytes], recipient: X25519PublicKey, info: bytes
) -> Iterator[bytes]:
    """Yield the sealed form of the byte stream ``chunks`` for ``recipient``."""
    key = aead.new_key()
    wrapped = wrap_key(key, recipient, info)
    yield SEAL_MAGIC + struct.pack(">I", len(wrapped)) + wrapped
    yield from aead.encrypt_chunks(key, chunks)


def open_sealed(source: BinaryIO, private: X25519PrivateKey, info: bytes) -> Iterator[bytes]:
    """Yield the plaintext of a sealed stream; raise :class:`DecryptionFailed` if altered."""
    head = source.read(12)
    if len(head) != 12 or not head.startswith(SEAL_MAGIC):
        raise DecryptionFailed("not a sealed Comity file")
    (length,) = struct.unpack(">I", head[8:])
    if length > 4096:
        raise DecryptionFailed("sealed file has an invalid key block")
    key = unwrap_key(source.read(length), private, info)
    yield from aead.decrypt_stream(key, source)


def is_sealed(path_head: bytes) -> bool:
    """Tell whether the first bytes of a file are those of a sealed file."""
    return path_head.startswith(SEAL_MAGIC)
