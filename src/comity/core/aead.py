"""Streaming authenticated encryption: AES-256-GCM over fixed-size chunks.

The construction is the STREAM scheme (Hoang, Reyhanitabar, Rogaway, Vizár 2015): each chunk
is sealed with a nonce made of a random 7-byte prefix, a 4-byte chunk counter and a 1-byte flag
that is 1 only on the last chunk, and the header is bound to every chunk as associated data.
Reordered, dropped, duplicated or truncated chunks therefore fail to decrypt.

Layout: ``MAGIC (8) | chunk size (4, big-endian) | nonce prefix (7) | chunks...``; each chunk
is ``chunk size`` plaintext bytes (the last one fewer, possibly none) followed by a 16-byte tag.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from comity.core.errors import CheckFailed

MAGIC = b"CMTYAE01"
CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
HEADER_SIZE = len(MAGIC) + 4 + 7
MAX_CHUNK_SIZE = 1 << 24


class DecryptionFailed(CheckFailed):
    """Ciphertext was altered, truncated or sealed with another key."""

    slug = "decryption-failed"
    title = "Decryption failed"


def new_key() -> bytes:
    """Return a fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def ciphertext_size(plain_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Return the size of the encrypted form of ``plain_size`` bytes."""
    chunks = max(1, -(-plain_size // chunk_size))
    return HEADER_SIZE + plain_size + chunks * TAG_SIZE


class StreamEncryptor:
    """Encrypt a stream chunk by chunk; feed chunks of exactly ``chunk_size`` bytes.

    >>> enc = StreamEncryptor(new_key())
    >>> parts = [enc.header, enc.seal(b"data", last=True)]
    """

    def __init__(self, key: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        self._aead = AESGCM(key)
        self._prefix = os.urandom(7)
        self.chunk_size = chunk_size
        self.header = MAGIC + struct.pack(">I", chunk_size) + self._prefix
        self._counter = 0
        self._done = False

    def seal(self, chunk: bytes, last: bool) -> bytes:
        """Seal one chunk; every chunk but the last must be exactly ``chunk_size`` long."""
        if self._done:
            raise ValueError("stream already finished")
        if not last and len(chunk) != self.chunk_size:
            raise ValueError("only the last chunk may be short")
        nonce = self._prefix + struct.pack(">IB", self._counter, 1 if last else 0)
        self._counter += 1
        self._done = last
        return self._aead.encrypt(nonce, chunk, self.header)


def encrypt_chunks(
    key: bytes, chunks: Iterable[bytes], chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Re-chunk ``chunks`` to ``chunk_size`` and yield the header and sealed chunks."""
    enc = StreamEncryptor(key, chunk_size)
    yield enc.header
    pending = b""
    for piece in chunks:
        pending += piece
        while len(pending) > chunk_size:
            yield enc.seal(pending[:chunk_size], last=False)
            pending = pending[chunk_size:]
    yield enc.seal(pending, last=True)


def decrypt_stream(key: bytes, source: BinaryIO) -> Iterator[bytes]:
    """Yield the plaintext chunks of an encrypted stream, authenticating each one.

    Raises :class:`DecryptionFailed` at the first chunk that fails, or if the stream ends
    before its last chunk.
    """
    header = source.read(HEADER_SIZE)
    if len(header) != HEADER_SIZE or not header.startswith(MAGIC):
        raise DecryptionFailed("not an encrypted Comity stream (bad header)")
    (chunk_size,) = struct.unpack(">I", header[8:12])
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise DecryptionFailed("encrypted stream declares an invalid chunk size")
    prefix = header[12:19]
    aead = AESGCM(key)
    sealed_size = chunk_size + TAG_SIZE
    counter = 0
    current = source.read(sealed_size)
    while True:
        following = source.read(sealed_size) if len(current) == sealed_size else b""
        last = not following
        if len(current) < TAG_SIZE:
            raise DecryptionFailed("encrypted stream is truncated", chunk=counter)
        nonce = prefix + struct.pack(">IB", counter, 1 if last else 0)
        try:
            yield aead.decrypt(nonce, current, header)
        except InvalidTag as exc:
            raise DecryptionFailed(
                "encrypted stream failed authentication (altered, truncated or wrong key)",
                chunk=counter,
            ) from exc
        if last:
            return
        counter += 1
        current = following
