"""Streaming hash-and-encrypt: files of any size, never read whole into memory.

One thread reads the source in 1 MiB chunks; each requested hash runs in its own thread and the
encryption (and write) in another. :mod:`hashlib` and the AES-GCM implementation release the GIL
on large buffers, so on two cores hashing and encryption proceed in parallel. Queues are bounded,
so memory stays a few MiB whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from comity.core.aead import CHUNK_SIZE, StreamEncryptor

ALGORITHMS = ("sha256", "sha1", "md5")
_END = None
_QUEUE_DEPTH = 6

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class StreamResult:
    """Size and hex digests of a stream."""

    size: int
    digests: dict[str, str]


def _read_chunks(handle: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    while chunk := handle.read(chunk_size):
        yield chunk


class _Worker(threading.Thread):
    """Consumes chunks from a bounded queue; remembers the first exception it met."""

    def __init__(self, consume: Callable[[bytes], None], finish: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._consume = consume
        self._finish = finish
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            chunk = self.queue.get()
            if chunk is _END:
                break
            if self.error is None:
                try:
                    self._consume(chunk)
                except BaseException as exc:  # surfaced by the caller
                    self.error = exc
        if self.error is None:
            try:
                self._finish()
            except BaseException as exc:
                self.error = exc


def _noop() -> None:
    return None


def fan_out(
    chunks: Iterable[bytes],
    consumers: Sequence[tuple[Callable[[bytes], None], Callable[[], None]]],
    progress: ProgressCallback | None = None,
) -> int:
    """Feed every chunk to every consumer, each in its own thread; return the byte count."""
    workers = [_Worker(consume, finish) for consume, finish in consumers]
    for worker in workers:
        worker.start()
    total = 0
    try:
        for chunk in chunks:
            total += len(chunk)
            for worker in workers:
                worker.queue.put(chunk)
            if progress is not None:
                progress(len(chunk))
            if any(w.error for w in workers):
                break
    finally:
        for worker in workers:
            worker.queue.put(_END)
        for worker in workers:
            worker.join()
    for worker in workers:
        if worker.error is not None:
            raise worker.error
    return total


def hash_stream(
    chunks: Iterable[bytes],
    algorithms: Iterable[str] = ("sha256",),
    progress: ProgressCallback | None = None,
) -> StreamResult:
    """Hash a stream of chunks with each of ``algorithms`` in parallel."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    size = fan_out(chunks, [(h.update, _noop) for h in hashers.values()], progress)
    return StreamResult(size, {name: h.hexdigest() for name, h in hashers.items()})


def hash_file(
    path: Path, algorithms: Iterable[str] = ("sha256",), progress: ProgressCallback | None = None
) -> StreamResult:
    """Hash the file at ``path``."""
    with path.open("rb") as handle:
        return hash_stream(_read_chunks(handle), algorithms, progress)


def hash_and_encrypt(
    source: BinaryIO,
    destination: Path,
    key: bytes,
    algorithms: Iterable[str],
    progress: ProgressCallback | None = None,
) -> StreamResult:
    """Hash ``source`` and write its encrypted form to ``destination`` in one pass."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    encryptor = StreamEncryptor(key)
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    out = os.fdopen(fd, "wb")
    out.write(encryptor.header)
    held: list[bytes] = []

    def encrypt(chunk: bytes) -> None:
        # Hold one chunk back: only at the end do we know which chunk is the last.
        if held:
            out.write(encryptor.seal(held.pop(), last=False))
        held.append(chunk)

    def finish() -> None:
        out.write(encryptor.seal(held.pop() if held else b"", last=True))
        out.flush()
        os.fsync(out.fileno())

    try:
        consumers: list[tuple[Callable[[bytes], None], Callable[[], None]]] = [
            (h.update, _noop) for h in hashers.values()
        ]
        consumers.append((encrypt, finish))
        size = fan_out(_read_chunks(source), consumers, progress)
    finally:
        out.close()
    return StreamResult(size, {name: h.hexdigest() for name, h in hashers.items()})
