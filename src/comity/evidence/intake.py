"""The streaming phase of ingest: every file hashed and encrypted into a staging folder.

This phase needs no database, so ``comity evidence add`` starts it in a background thread before
it loads the database layer, and the database work of the recording phase
(:func:`comity.evidence.ingest.record_ingest`) overlaps with the streaming::

    sources, warnings = collect_sources([Path("phone.img")])
    with Intake(settings, sources, warnings, options) as intake:
        intake.start()                 # optional: stream in a background thread
        ...                            # check the case and the caller's rights meanwhile
        staged = intake.staged()       # waits for the stream (or runs it now); re-raises its errors

Nothing here imports SQLAlchemy (``tests/test_cli.py`` checks that ``comity evidence add``
does not load it before it runs). The staging folder is locked from entry to exit, so a
concurrent :meth:`~comity.evidence.blobstore.BlobStore.recover`, even in this process, leaves
it alone; leaving the block removes it with whatever is still in it (blobs the recording phase
published have moved out by then). Leaving early stops the stream first.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from comity.core import aead
from comity.core.errors import ConfigurationError
from comity.evidence.blobstore import Staging, open_staging
from comity.evidence.errors import EvidenceInputError, HashMismatch
from comity.evidence.streaming import ProgressCallback, StreamResult, hash_and_encrypt

if TYPE_CHECKING:
    from comity.core.settings import Settings

SWITCH_INTERVAL = 0.001
"""Seconds between forced thread switches while a stream runs in the background.

CPython's default is 0.005. A hash thread needs the GIL only for a moment between two read
buffers (it hashes a 4 MiB buffer, ~3 ms of work, with the GIL released), and so does the
reading thread between its system calls; but while the foreground thread runs Python code
(loading the database layer, checking the case) each such moment can wait for a whole interval.
"""

_switching = threading.Lock()
_switch_users = 0
_switch_saved = 0.0

DEVICE_FIELDS = ("type", "make", "model", "colour", "serial", "imei", "mac", "cloud_id")
DEVICE_TYPES = (
    "computer",
    "storage-media",
    "dvr",
    "mobile",
    "flash-drive",
    "cd-dvd",
    "server",
    "cloud",
    "other",
)


@dataclass
class IngestOptions:
    """Acquisition metadata and hashing choices for an ingest."""

    examiner: str | None = None
    tool: str | None = None
    tool_version: str | None = None
    device: dict[str, str] = field(default_factory=dict)
    seized_at: str | None = None
    timezone: str | None = None
    place: str | None = None
    authority: str | None = None
    purpose: str | None = None
    extra_hashes: tuple[str, ...] = ()
    expected_sha256: dict[str, str] = field(default_factory=dict)

    def acquisition(self) -> dict[str, Any]:
        """The acquisition record kept with each item."""
        return {
            "examiner": self.examiner,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "device": {k: v for k, v in self.device.items() if v},
            "seized_at": self.seized_at,
            "timezone": self.timezone,
            "place": self.place,
            "authority": self.authority,
        }

    def algorithms(self) -> tuple[str, ...]:
        """The hashes to compute: SHA-256 first, then those asked for."""
        return ("sha256", *[a for a in self.extra_hashes if a != "sha256"])


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and its path relative to what the user named."""

    path: Path
    relative: str
    size: int


@dataclass(frozen=True)
class StagedFile:
    """A source streamed into the staging folder: its digests, blob key and encrypted copy."""

    source: SourceFile
    result: StreamResult
    key: bytes
    path: Path

    @property
    def sha256(self) -> str:
        """The SHA-256 of the source's bytes, hex."""
        return self.result.digests["sha256"]


def collect_sources(paths: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """Expand files and folders into regular files; return them and warnings (links skipped)."""
    sources: list[SourceFile] = []
    warnings: list[str] = []
    for given in paths:
        try:
            info = given.lstat()
        except OSError as exc:
            raise EvidenceInputError(
                f"cannot read {given}: {exc.strerror}", path=str(given)
            ) from exc
        if stat.S_ISLNK(info.st_mode):
            raise EvidenceInputError(
                f"{given} is a symbolic link; name its target", path=str(given)
            )
        if stat.S_ISREG(info.st_mode):
            sources.append(SourceFile(given, given.name, info.st_size))
        elif stat.S_ISDIR(info.st_mode):
            sources.extend(_walk(given, warnings))
        else:
            raise EvidenceInputError(f"{given} is not a regular file or folder", path=str(given))
    if not sources:
        raise EvidenceInputError("no files to ingest")
    return sources, warnings


def _walk(root: Path, warnings: list[str]) -> Iterator[SourceFile]:
    for folder, dirs, files in os.walk(root, onerror=_raise_walk_error):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            info = path.lstat()
            relative = f"{root.name}/{path.relative_to(root).as_posix()}"
            if stat.S_ISREG(info.st_mode):
                yield SourceFile(path, relative, info.st_size)
            else:
                warnings.append(f"skipped {relative}: not a regular file")
        for name in list(dirs):
            if (Path(folder) / name).is_symlink():
                warnings.append(
                    f"skipped {root.name}/{(Path(folder) / name).relative_to(root)}: link"
                )
                dirs.remove(name)


def _raise_walk_error(error: OSError) -> None:
    raise EvidenceInputError(f"cannot read {error.filename}: {error.strerror}")


def _expected(options: IngestOptions, source: SourceFile) -> str | None:
    """The SHA-256 the user expects of ``source`` (by relative path or as given), lower case."""
    expected = options.expected_sha256.get(source.relative) or options.expected_sha256.get(
        str(source.path)
    )
    return expected.lower() if expected else None


@contextlib.contextmanager
def _quick_switches() -> Iterator[None]:
    """Shorten the interpreter's switch interval while at least one such block runs."""
    global _switch_users, _switch_saved
    with _switching:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _switching:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class _Cancelled(Exception):
    """Raised inside the stream when its owner leaves the block before it finished."""


class Intake:
    """One ingest's streaming phase: its sources, its staging folder and what it staged there.

    Use as a context manager. :meth:`start` runs the phase in a background thread;
    :meth:`staged` waits for it, or runs it in the calling thread if it was not started, and
    returns the staged files or raises what stopped the stream: an unreadable file
    (:class:`EvidenceInputError`), a file whose SHA-256 is not the one expected
    (:class:`HashMismatch`: the stream stops at the first). ``progress(n)`` is called with each
    block of bytes read and ``on_file(source)`` before each file, in the streaming thread.
    """

    def __init__(
        self,
        settings: Settings,
        sources: list[SourceFile],
        warnings: list[str],
        options: IngestOptions,
        progress: ProgressCallback | None = None,
        on_file: Callable[[SourceFile], None] | None = None,
    ) -> None:
        unknown = (
            set(options.expected_sha256)
            - {s.relative for s in sources}
            - {str(s.path) for s in sources}
        )
        if unknown:
            raise EvidenceInputError(
                f"expected hashes name files not being ingested: {sorted(unknown)}"
            )
        self.settings = settings
        self.sources = sources
        self.warnings = warnings
        self.options = options
        self._progress = progress
        self._on_file = on_file
        self._staging: Staging | None = None
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._staged: list[StagedFile] | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> Intake:
        if not self.settings.keys_dir.is_dir():
            # Never create a store inside a folder that is not a node's home.
            raise ConfigurationError("the node is not initialized: run 'comity init'")
        self._staging = open_staging(self.settings.evidence_dir).__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cancel.set()
        try:
            if self._thread is not None:
                self._thread.join()
        finally:
            if self._staging is not None:
                self._staging.__exit__(exc_type, exc, tb)

    @property
    def staging(self) -> Staging:
        """The locked staging folder the files stream into."""
        if self._staging is None:
            raise RuntimeError("Intake is used outside its 'with' block")
        return self._staging

    def start(self) -> None:
        """Stream in a background thread; :meth:`staged` waits for it."""
        if self._thread is not None or self._staged is not None:
            raise RuntimeError("the stream has already started")
        _ = self.staging
        thread = threading.Thread(target=self._background, name="ingest", daemon=True)
        thread.start()
        self._thread = thread

    def staged(self) -> list[StagedFile]:
        """Every source, hashed and encrypted into the staging folder; raises what stopped it."""
        if self._thread is not None:
            self._thread.join()
        elif self._staged is None and self._error is None:
            self._run()
        if self._error is not None:
            raise self._error
        if self._staged is None:
            raise RuntimeError("the stream was stopped")
        return self._staged

    def _background(self) -> None:
        with _quick_switches():
            self._run()

    def _run(self) -> None:
        try:
            self._staged = self._stream()
        except _Cancelled:
            pass
        except BaseException as exc:  # raised by staged(), in the caller's thread
            self._error = exc

    def _tick(self, count: int) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        if self._progress is not None:
            self._progress(count)

    def _stream(self) -> list[StagedFile]:
        staging = self.staging
        algorithms = self.options.algorithms()
        staged: list[StagedFile] = []
        for index, source in enumerate(self.sources):
            if self._cancel.is_set():
                raise _Cancelled
            if self._on_file is not None:
                self._on_file(source)
            key = aead.new_key()
            target = staging.file(f"{index}.blob")
            try:
                with source.path.open("rb") as handle:
                    result = hash_and_encrypt(handle, target, key, algorithms, self._tick)
            except OSError as exc:
                raise EvidenceInputError(
                    f"cannot read {source.relative}: {exc.strerror or exc}", path=source.relative
                ) from exc
            expected = _expected(self.options, source)
            actual = result.digests["sha256"]
            if expected and expected != actual:
                raise HashMismatch(
                    f"{source.relative}: SHA-256 is {actual}, expected {expected}; "
                    "nothing was ingested",
                    path=source.relative,
                    expected=expected,
                    actual=actual,
                )
            staged.append(StagedFile(source, result, key, target))
        return staged
