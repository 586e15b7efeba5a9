"""Streaming hash-and-encrypt: files of any size, never read whole into memory.

Files are read into a small pool of preallocated buffers (:data:`READ_SIZE` each, a multiple of
the encryption chunk size), so reading allocates nothing per chunk. Each requested hash runs in
its own thread over those buffers; :mod:`hashlib` releases the GIL on large buffers, so on two
cores hashing proceeds while the reading thread encrypts the buffer before. Sealed chunks are
gathered into page-aligned blocks that a writer thread writes with ``O_DIRECT`` where the file
system allows it: a multi-gigabyte blob that will not be read again soon does not go through the
page cache, which is expensive to fill (on virtual machines especially). The pool bounds memory
at a few tens of MiB whatever the file size; a buffer returns to the pool once every consumer
has released it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import mmap
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from comity.core.aead import CHUNK_SIZE, StreamEncryptor

ALGORITHMS = ("sha256", "sha1", "md5")
_END = None
_QUEUE_DEPTH = 6

READ_SIZE = 4 << 20
"""Bytes read per buffer (rounded down to a multiple of the encryption chunk size)."""
READ_BUFFERS = 5
"""Buffers in the read pool: two held by the reader, the rest in flight to the hashers."""
WRITE_BLOCK = 4 << 20
"""Bytes per block handed to the writer thread (a multiple of :data:`DIRECT_ALIGN`)."""
WRITE_BLOCKS = 3
DIRECT_ALIGN = 4096
"""Alignment of ``O_DIRECT`` buffers, offsets and lengths (the common logical block size)."""

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


def _stop(workers: Sequence[_Worker] | Sequence[_HashWorker]) -> None:
    """Tell every worker the stream has ended and wait for it."""
    for worker in workers:
        worker.queue.put(_END)
    for worker in workers:
        worker.join()


def _raise_first_error(workers: Sequence[_Worker] | Sequence[_HashWorker]) -> None:
    """Re-raise, in the caller's thread, the first exception a worker met."""
    for worker in workers:
        if worker.error is not None:
            raise worker.error


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
        _stop(workers)
    _raise_first_error(workers)
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


class _Buffer:
    """A preallocated, page-aligned read buffer shared by several consumers."""

    def __init__(self, size: int) -> None:
        self.memory = mmap.mmap(-1, size)
        self.view = memoryview(self.memory)
        self.length = 0
        self.users = 0


class _BufferPool:
    """A fixed set of buffers; one is free again once each of its users released it."""

    def __init__(self, count: int, size: int) -> None:
        self.size = size
        self._free: queue.SimpleQueue[_Buffer] = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(_Buffer(size))
        self._lock = threading.Lock()

    def acquire(self, users: int) -> _Buffer:
        buffer = self._free.get()
        buffer.users = users
        buffer.length = 0
        return buffer

    def release(self, buffer: _Buffer) -> None:
        with self._lock:
            buffer.users -= 1
            free = buffer.users == 0
        if free:
            self._free.put(buffer)


class _HashWorker(threading.Thread):
    """Hashes the pool's buffers in order; releases each one, even after an error."""

    def __init__(self, algorithm: str, pool: _BufferPool) -> None:
        super().__init__(daemon=True)
        self.algorithm = algorithm
        self.hasher = hashlib.new(algorithm)
        self.queue: queue.SimpleQueue[_Buffer | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self._pool = pool

    def run(self) -> None:
        update = self.hasher.update
        while (buffer := self.queue.get()) is not None:
            if self.error is None:
                try:
                    update(buffer.view[: buffer.length])
                except BaseException as exc:  # surfaced by the caller
                    self.error = exc
            self._pool.release(buffer)


class _Reader:
    """Fills pool buffers completely (short only at the end of the source)."""

    def __init__(self, source: BinaryIO) -> None:
        self._readinto: Callable[[memoryview], int | None] | None = getattr(
            source, "readinto", None
        )
        self._read = source.read
        with contextlib.suppress(AttributeError, OSError, ValueError, io.UnsupportedOperation):
            os.posix_fadvise(source.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)

    def fill(self, buffer: _Buffer) -> int:
        view = buffer.view
        size = len(view)
        filled = 0
        while filled < size:
            if self._readinto is not None:
                got = self._readinto(view[filled:])
            else:
                data = self._read(size - filled)
                got = len(data)
                view[filled : filled + got] = data
            if not got:
                break
            filled += got
        buffer.length = filled
        return filled


def _pump(
    source: BinaryIO,
    algorithms: Iterable[str],
    encrypt: Callable[[memoryview, bool], None] | None,
    progress: ProgressCallback | None,
    chunk_size: int = CHUNK_SIZE,
) -> StreamResult:
    """Read ``source`` once; hash every buffer in worker threads and pass it to ``encrypt``.

    ``encrypt(view, last)`` runs in the calling thread, one buffer behind the reader, so that
    it learns which buffer is the last; it is called once with an empty view for an empty
    source.
    """
    read_size = max(1, READ_SIZE // chunk_size) * chunk_size
    pool = _BufferPool(READ_BUFFERS, read_size)
    workers = [_HashWorker(name, pool) for name in dict.fromkeys(algorithms)]
    users = len(workers) + (1 if encrypt is not None else 0)
    reader = _Reader(source)
    for worker in workers:
        worker.start()
    total = 0
    pending: _Buffer | None = None
    try:
        while True:
            buffer = pool.acquire(users or 1)
            got = reader.fill(buffer)
            total += got
            if got:
                for worker in workers:
                    worker.queue.put(buffer)
                if progress is not None:
                    progress(got)
            if encrypt is not None:
                if pending is not None:
                    encrypt(pending.view[: pending.length], got == 0)
                    pool.release(pending)
                    pending = None
                elif not got:
                    encrypt(buffer.view[:0], True)
            if not got:
                # Nobody else holds an empty buffer.
                for _ in range(users or 1):
                    pool.release(buffer)
                break
            if encrypt is None:
                if not workers:
                    pool.release(buffer)
            elif got < read_size:
                encrypt(buffer.view[:got], True)
                pool.release(buffer)
                break
            else:
                pending = buffer
            if got < read_size:
                break
            if any(w.error for w in workers):
                break
    finally:
        _stop(workers)
    _raise_first_error(workers)
    return StreamResult(total, {w.algorithm: w.hasher.hexdigest() for w in workers})


def hash_file(
    path: Path, algorithms: Iterable[str] = ("sha256",), progress: ProgressCallback | None = None
) -> StreamResult:
    """Hash the file at ``path``."""
    with path.open("rb") as handle:
        return _pump(handle, algorithms, None, progress)


class _BlockWriter:
    """Writes a byte stream to ``fd`` in aligned blocks from a writer thread.

    With ``O_DIRECT`` on ``fd`` the blocks bypass the page cache; if the file system refuses
    a direct write, the writer clears the flag and carries on with ordinary writes. The last,
    partial block is written by :meth:`close`, which also fsyncs.
    """

    def __init__(self, fd: int, direct: bool) -> None:
        self._fd = fd
        self._direct = direct
        self._free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
        for _ in range(WRITE_BLOCKS):
            self._free.put(mmap.mmap(-1, WRITE_BLOCK))
        self._full: queue.SimpleQueue[mmap.mmap | None] = queue.SimpleQueue()
        self._block = self._free.get()
        self._view = memoryview(self._block)
        self._pos = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def write(self, data: Any) -> None:
        """Append ``data`` (any bytes-like object) to the stream."""
        src = memoryview(data).cast("B")
        while src:
            take = min(len(src), WRITE_BLOCK - self._pos)
            self._view[self._pos : self._pos + take] = src[:take]
            self._pos += take
            src = src[take:]
            if self._pos == WRITE_BLOCK:
                if self.error is not None:
                    raise self.error
                self._view.release()
                self._full.put(self._block)
                self._block = self._free.get()
                self._view = memoryview(self._block)
                self._pos = 0

    def _run(self) -> None:
        while (block := self._full.get()) is not None:
            if self.error is None:
                try:
                    with memoryview(block) as view:
                        self._write_all(view)
                except BaseException as exc:  # surfaced by the caller
                    self.error = exc
            self._free.put(block)

    def _write_all(self, view: memoryview) -> None:
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:
                if not (self._direct and exc.errno == errno.EINVAL):
                    raise
                self._end_direct()
                continue
            view = view[written:]

    def _end_direct(self) -> None:
        if self._direct:
            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~os.O_DIRECT)
            self._direct = False

    def close(self, sync: bool = True) -> None:
        """Write what remains (unless aborting) and wait for the writer thread."""
        self._full.put(None)
        self._thread.join()
        try:
            if self.error is not None:
                raise self.error
            if sync:
                with self._view[: self._pos] as rest:
                    aligned = self._pos - self._pos % DIRECT_ALIGN
                    self._write_all(rest[:aligned])
                    self._end_direct()
                    self._write_all(rest[aligned:])
                os.fsync(self._fd)
        finally:
            self._view.release()


def _open_for_writing(destination: Path) -> tuple[int, bool]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    direct = getattr(os, "O_DIRECT", 0)
    if direct:
        try:
            return os.open(destination, flags | direct, 0o600), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.open(destination, flags, 0o600), False


def hash_and_encrypt(
    source: BinaryIO,
    destination: Path,
    key: bytes,
    algorithms: Iterable[str],
    progress: ProgressCallback | None = None,
) -> StreamResult:
    """Hash ``source`` and write its encrypted form to ``destination`` in one pass."""
    encryptor = StreamEncryptor(key)
    chunk_size = encryptor.chunk_size
    # AES-GCM takes any bytes-like object: seal slices of the read buffers without copying.
    seal: Callable[[Any, bool], bytes] = encryptor.seal
    fd, direct = _open_for_writing(destination)
    try:
        writer = _BlockWriter(fd, direct)
        ok = False
        try:
            writer.write(encryptor.header)

            def encrypt(view: memoryview, last: bool) -> None:
                if not view:
                    writer.write(seal(b"", True))
                    return
                for start in range(0, len(view), chunk_size):
                    piece = view[start : start + chunk_size]
                    writer.write(seal(piece, last and start + chunk_size >= len(view)))

            result = _pump(source, algorithms, encrypt, progress, chunk_size)
            ok = True
        finally:
            writer.close(sync=ok)
    finally:
        os.close(fd)
    return result
