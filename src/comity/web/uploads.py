"""Streamed uploads: request bodies written to a private folder under the node home.

Evidence files may be far larger than memory and than the API's request-body limit, so their
routes are exempt from that limit and stream instead: the body is read in chunks and written
straight to disk (never spooled to memory or to the system's shared temporary folder), with the
free space checked as it grows. The ordinary limits still apply to what is not a file: at most
:data:`MAX_FIELDS` form fields of :data:`MAX_FIELD_BYTES` each, at most :data:`MAX_FILES` files.

Two body forms are accepted::

    multipart/form-data      one or more file parts (any field name) plus text fields
    anything else            the raw bytes of one file, named by ``?filename=`` or by a
                             ``Content-Disposition: attachment; filename="..."`` header

    async with upload_folder(ctx.settings.home) as folder:
        upload = await receive_upload(request, folder, filename="phone.img")
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio
import anyio.to_thread
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from comity.core.errors import InvalidInput, ServiceUnavailable

UPLOADS_DIR = Path("tmp") / "uploads"
#: Set in a request's scope by a streamed-upload route: the body-size limit does not apply.
UNLIMITED_BODY = "comity.unlimited_body"
MAX_FIELDS = 100
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 1000
MAX_NAME_BYTES = 255
BUFFER_BYTES = 1 << 20
SPACE_CHECK_BYTES = 64 << 20
RESERVE_BYTES = 256 << 20
GRACE_SECONDS = 60.0
IDLE_SECONDS = 300.0
LOCK_NAME = ".lock"
INCOMING_DIR = "incoming"

_held: dict[Path, int] = {}
_held_lock = threading.Lock()


class UploadRefused(InvalidInput):
    """An upload is malformed or breaks a limit (HTTP 400)."""

    slug = "upload-refused"
    title = "Upload refused"


class UploadTooLarge(InvalidInput):
    """A part of an upload that is not a file is too large, or there are too many (HTTP 413)."""

    http_status = 413
    slug = "upload-too-large"
    title = "Upload too large"


class InsufficientStorage(ServiceUnavailable):
    """The node has no room for the upload and the encrypted copy it needs (HTTP 507)."""

    http_status = 507
    slug = "insufficient-storage"
    title = "Insufficient storage"


@dataclass
class Upload:
    """What an upload delivered: files on disk (in arrival order) and text fields."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    size: int = 0


def allow_large_body(request: Request) -> None:
    """Dependency of streamed-upload routes: lift the request-body limit for this request."""
    request.scope[UNLIMITED_BODY] = True


async def read_limited(
    request: Request, limit: int, refuse: Callable[[int | None], Exception]
) -> bytes:
    """The whole request body, refused (``refuse(size or None)`` raised) as soon as it is known
    to exceed ``limit`` bytes: from its declared length, or while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refuse(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise refuse(None)
        chunks.append(chunk)
    return b"".join(chunks)


def safe_filename(name: str) -> str:
    """Reduce a client-supplied file name to a safe base name, or refuse it."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if (
        not base
        or base in (".", "..")
        or any(ord(c) < 32 or ord(c) == 127 for c in base)
        or len(base.encode("utf-8")) > MAX_NAME_BYTES
    ):
        raise UploadRefused(f"unusable file name {name!r}", filename=name)
    return base


def _uploads_root(home: Path) -> Path:
    return home / UPLOADS_DIR


def clean_stale_uploads(home: Path, grace: float = GRACE_SECONDS) -> int:
    """Remove the work folders no live request holds (a crashed server's); return how many.

    Each folder in use holds an exclusive lock on its lock file, so folders of requests still
    running — in this process or another server's — are left alone. A folder without a lock
    file is removed once older than ``grace`` seconds (it may have just been created).
    """
    root = _uploads_root(home)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        try:
            if not folder.is_dir() or folder.is_symlink():
                continue
            try:
                fd = os.open(folder / LOCK_NAME, os.O_RDONLY)
            except FileNotFoundError:
                if folder.stat().st_mtime < time.time() - grace:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            else:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            finally:
                os.close(fd)
        except OSError:
            continue
    return removed


def new_work_folder(home: Path) -> Path:
    """Create a fresh private folder under the node home, locked while in use.

    The caller removes it with :func:`remove_work_folder`.
    """
    root = _uploads_root(home)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = root / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    fd = os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with _held_lock:
        _held[folder] = fd
    return folder


def remove_work_folder(folder: Path) -> None:
    """Remove a folder made by :func:`new_work_folder` and everything in it."""
    shutil.rmtree(folder, ignore_errors=True)
    with _held_lock:
        fd = _held.pop(folder, None)
    if fd is not None:
        os.close(fd)


@asynccontextmanager
async def upload_folder(home: Path) -> AsyncIterator[Path]:
    """A fresh private folder under the node home, removed with everything in it afterwards."""
    folder = await anyio.to_thread.run_sync(new_work_folder, home)
    try:
        yield folder
    finally:
        await anyio.to_thread.run_sync(remove_work_folder, folder)


def _open_new(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


class _SpaceGuard:
    """Refuses an upload when the disk cannot hold it and the encrypted copy ingest makes."""

    def __init__(self, folder: Path, announced: int | None) -> None:
        self.folder = folder
        self.written = 0
        self._next_check = SPACE_CHECK_BYTES
        if announced is not None:
            self._require(2 * announced)

    def _require(self, needed: int) -> None:
        free = shutil.disk_usage(self.folder).free
        if free < needed + RESERVE_BYTES:
            raise InsufficientStorage(
                "the node does not have room for this upload",
                needed_bytes=needed,
                free_bytes=free,
            )

    def wrote(self, count: int) -> None:
        self.written += count
        if self.written >= self._next_check:
            self._next_check = self.written + SPACE_CHECK_BYTES
            # Room for the encrypted copy of what arrived so far.
            self._require(self.written)


class _MultipartSink:
    """Callbacks for the streaming multipart parser: file parts go straight to disk."""

    def __init__(self, upload: Upload, guard: _SpaceGuard, charset: str) -> None:
        self.upload = upload
        self.guard = guard
        self.charset = charset
        self.field_count = 0
        self.ended = False
        self._names: set[str] = set()
        self._reset()

    def _reset(self) -> None:
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._handle: BinaryIO | None = None
        self._field_name: str | None = None
        self._field: bytearray | None = None

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode(self.charset)
        except UnicodeDecodeError:
            raise UploadRefused("a form field is not valid text") from None

    def on_part_begin(self) -> None:
        self._reset()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > MAX_FIELD_BYTES:
            raise UploadTooLarge("a part header is too long")

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise UploadRefused("a form part has no name in its Content-Disposition")
        name = self._decode(options[b"name"])
        if b"filename" in options:
            if len(self.upload.files) >= MAX_FILES:
                raise UploadTooLarge(f"more than {MAX_FILES} files in one upload")
            filename = safe_filename(self._decode(options[b"filename"]))
            if filename in self._names:
                raise UploadRefused(f"two files are named {filename!r}", filename=filename)
            self._names.add(filename)
            path = self.upload.folder / filename
            self._handle = _open_new(path)
            self.upload.files.append(path)
        else:
            self.field_count += 1
            if self.field_count > MAX_FIELDS:
                raise UploadTooLarge(f"more than {MAX_FIELDS} form fields")
            self._field_name = name
            self._field = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._handle is not None:
            self._handle.write(data[start:end])
            self.guard.wrote(end - start)
        elif self._field is not None:
            if len(self._field) + (end - start) > MAX_FIELD_BYTES:
                raise UploadTooLarge(
                    f"form field {self._field_name!r} is larger than {MAX_FIELD_BYTES} bytes"
                )
            self._field.extend(data[start:end])

    def on_part_end(self) -> None:
        if self._handle is not None:
            self._handle.close()
        elif self._field is not None and self._field_name is not None:
            value = self._decode(bytes(self._field))
            self.upload.fields.setdefault(self._field_name, []).append(value)
        self._reset()

    def on_end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    """The request body in chunks of about :data:`BUFFER_BYTES`.

    A client that sends nothing for :data:`IDLE_SECONDS` is refused, so a stalled upload does
    not hold its folder and file open for ever.
    """
    buffer = bytearray()
    stream = request.stream().__aiter__()
    while True:
        try:
            with anyio.fail_after(IDLE_SECONDS):
                chunk = await stream.__anext__()
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise UploadRefused(
                f"the upload stalled: nothing arrived for {IDLE_SECONDS:g} seconds"
            ) from None
        except ClientDisconnect:
            raise UploadRefused("the client disconnected before the upload was complete") from None
        buffer.extend(chunk)
        if len(buffer) >= BUFFER_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        raise UploadRefused("the Content-Length header is not a number") from None


def disposition_filename(header: str | None) -> str | None:
    """The ``filename`` of a ``Content-Disposition`` header, if any."""
    if not header:
        return None
    _kind, options = parse_options_header(header)
    raw = options.get(b"filename")
    return raw.decode("utf-8", "replace") if raw is not None else None


async def receive_upload(request: Request, folder: Path, *, filename: str | None) -> Upload:
    """Stream the request body into ``folder``; see the module description for its forms.

    The files land in a sub-folder of their own, so their names never meet the folder's lock
    or the other files a route writes beside them.
    """
    target = folder / INCOMING_DIR
    target.mkdir(mode=0o700)
    upload = Upload(target)
    guard = _SpaceGuard(target, _content_length(request))
    content_type = request.headers.get("content-type", "")
    kind, params = parse_options_header(content_type)
    if kind == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise UploadRefused("the multipart body has no boundary")
        sink = _MultipartSink(upload, guard, "utf-8")
        try:
            parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": sink.on_part_begin,
                    "on_part_data": sink.on_part_data,
                    "on_part_end": sink.on_part_end,
                    "on_header_field": sink.on_header_field,
                    "on_header_value": sink.on_header_value,
                    "on_header_end": sink.on_header_end,
                    "on_headers_finished": sink.on_headers_finished,
                    "on_end": sink.on_end,
                },
            )
            async for chunk in _chunks(request):
                await _in_thread(parser.write, chunk)
            parser.finalize()
        except MultipartParseError as exc:
            raise UploadRefused(f"the multipart body is malformed: {exc}") from None
        finally:
            sink.close()
        if not sink.ended:
            raise UploadRefused("the multipart body ends before its closing boundary")
        if not upload.files:
            raise UploadRefused("the upload holds no file part")
    else:
        name = filename or disposition_filename(request.headers.get("content-disposition"))
        if not name:
            raise UploadRefused(
                "name the file: ?filename=NAME, a Content-Disposition header, or use multipart"
            )
        path = target / safe_filename(name)
        with _open_new(path) as handle:
            async for chunk in _chunks(request):
                await _in_thread(handle.write, chunk)
                guard.wrote(len(chunk))
        upload.files.append(path)
    upload.size = guard.written
    return upload


async def _in_thread(function: Callable[[bytes], object], data: bytes) -> None:
    await anyio.to_thread.run_sync(function, data)


async def receive_one_file(request: Request, folder: Path, *, filename: str | None) -> Upload:
    """Like :func:`receive_upload`, for operations that take exactly one file."""
    upload = await receive_upload(request, folder, filename=filename)
    if len(upload.files) != 1:
        raise UploadRefused(f"send one file, not {len(upload.files)}")
    return upload
