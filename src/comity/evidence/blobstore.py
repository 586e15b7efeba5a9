"""The evidence store: encrypted blobs addressed by a keyed hash.

A blob's address is ``HMAC-SHA256(node secret, SHA-256 of its plaintext)``, so a directory
listing does not reveal which known files the node holds. Each blob is encrypted with its own
random key (:mod:`comity.core.aead`); that key, wrapped with HPKE to the node's X25519 key, lives
in the database.

Writes are staged: a blob is written under ``staging/<ingest>/`` (locked while its writer
lives), then moved into ``objects/`` inside the database transaction that records it, with a
journal naming the moved addresses. :meth:`BlobStore.recover` removes what a killed writer left:
dead staging folders, and objects a journal names that the database never recorded.

A staging folder is live from :meth:`Staging.__enter__` to :meth:`Staging.__exit__`; its owner
may run :meth:`BlobStore.recover` itself meanwhile (an ingest does, while its files stream in
the background). Two things keep recovery away from a live folder: an exclusive ``flock`` on
its lock file (``flock`` locks belong to the open file, so they exclude other processes *and*
other opens in the same process, unlike ``fcntl``/``lockf`` record locks, which a process never
conflicts with itself), and, for file systems that emulate ``flock`` with record locks (NFS),
a registry of the folders this process holds, which recovery skips whatever the lock says.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from comity.core.aead import decrypt_stream
from comity.core.files import fsync_dir
from comity.core.ids import new_id

LOCK_NAME = ".lock"
BUILDING_PREFIX = ".building-"
BUILDING_GRACE_SECONDS = 3600.0
PUBLISH_LOCK = ".publish.lock"

OBJECTS_DIR = "objects"
STAGING_DIR = "staging"
JOURNAL_DIR = "journal"

_live: set[str] = set()
"""Names of the staging folders this process holds (their names are random UUIDs)."""
_live_lock = threading.Lock()


def blob_address(address_key: bytes, sha256_hex: str) -> str:
    """Return the store address of content whose SHA-256 is ``sha256_hex``."""
    return hmac.new(address_key, bytes.fromhex(sha256_hex), hashlib.sha256).hexdigest()


@dataclass
class Staging:
    """A staging folder for one ingest, locked while its owner runs."""

    path: Path
    _lock_fd: int = -1
    moved: list[str] = field(default_factory=list)

    def __enter__(self) -> Staging:
        # Built under a hidden name and renamed once locked: a concurrent recover() never sees
        # the folder without its lock held (it would take it for a dead writer's).
        building = self.path.with_name(f"{BUILDING_PREFIX}{self.path.name}")
        building.mkdir(parents=True, mode=0o700)
        try:
            self._lock_fd = os.open(building / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            with _live_lock:
                _live.add(self.path.name)
            building.rename(self.path)
        except BaseException:
            self._release()
            shutil.rmtree(building, ignore_errors=True)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Removed while still locked: recovery never sees the folder half-deleted and unlocked.
        shutil.rmtree(self.path, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        with _live_lock:
            _live.discard(self.path.name)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def file(self, name: str) -> Path:
        """A path inside the staging folder."""
        return self.path / name


def open_staging(root: Path) -> Staging:
    """A new staging folder in the store at ``root`` (use as a context manager).

    Needs neither the address key nor the database: an ingest streams into it before either is
    loaded.
    """
    for name in (OBJECTS_DIR, STAGING_DIR, JOURNAL_DIR):
        (root / name).mkdir(parents=True, exist_ok=True, mode=0o700)
    return Staging(root / STAGING_DIR / new_id().hex)


class BlobStore:
    """Encrypted, content-addressed blob storage under ``root``."""

    def __init__(self, root: Path, address_key: bytes) -> None:
        self.root = root
        self.address_key = address_key
        self.objects = root / OBJECTS_DIR
        self.staging_root = root / STAGING_DIR
        self.journal_root = root / JOURNAL_DIR

    def address(self, sha256_hex: str) -> str:
        """The address of content with this SHA-256."""
        return blob_address(self.address_key, sha256_hex)

    def path(self, address: str) -> Path:
        """Where the blob with ``address`` lives."""
        return self.objects / address[:2] / address[2:4] / address

    def stage(self) -> Staging:
        """Open a new staging folder (use as a context manager)."""
        return open_staging(self.root)

    @contextlib.contextmanager
    def publishing(self, staging: Staging, blobs: dict[str, Path]) -> Iterator[list[str]]:
        """Move staged blobs into the store for the duration of a database transaction.

        Run the transaction inside this block: it commits before the block ends. The store's
        publish lock is held throughout, so the objects present always match what the database
        records. Yields the addresses that were new; if the body raises, they are removed
        again. A journal lists them until the body has finished, so :meth:`recover` can remove
        them if the process dies in between.
        """
        lock_fd = os.open(self.root / PUBLISH_LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        journal = self.journal_root / f"{staging.path.name}.json"
        try:
            new = [a for a in blobs if not self.path(a).exists()]
            journal.write_text(json.dumps(new))
            fsync_dir(self.journal_root)
            for address in new:
                target = self.path(address)
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.replace(blobs[address], target)
                fsync_dir(target.parent)
            try:
                yield new
            except BaseException:
                for address in new:
                    with contextlib.suppress(FileNotFoundError):
                        self.path(address).unlink()
                raise
            finally:
                with contextlib.suppress(FileNotFoundError):
                    journal.unlink()
        finally:
            os.close(lock_fd)

    def read(self, address: str, key: bytes) -> Iterator[bytes]:
        """Yield the plaintext of a blob, authenticated chunk by chunk."""
        with self.path(address).open("rb") as handle:
            yield from decrypt_stream(key, handle)

    def recover(self, recorded: Callable[[list[str]], set[str]]) -> list[str]:
        """Clean up after writers that died; ``recorded`` says which addresses the database has.

        Returns the addresses of orphan objects removed.
        """
        removed: list[str] = []
        if self.journal_root.is_dir() and any(self.journal_root.glob("*.json")):
            lock_fd = os.open(self.root / PUBLISH_LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            try:
                for journal in sorted(self.journal_root.glob("*.json")):
                    try:
                        addresses = [str(a) for a in json.loads(journal.read_text() or "[]")]
                    except ValueError:
                        addresses = []
                    known = recorded(addresses)
                    for address in addresses:
                        if address not in known:
                            with contextlib.suppress(FileNotFoundError):
                                self.path(address).unlink()
                                removed.append(address)
                    journal.unlink()
            finally:
                os.close(lock_fd)
        if self.staging_root.is_dir():
            for folder in self.staging_root.iterdir():
                if folder.name.startswith(BUILDING_PREFIX):
                    # Being created right now, or left by a crash in between long ago.
                    with contextlib.suppress(FileNotFoundError):
                        if time.time() - folder.stat().st_mtime > BUILDING_GRACE_SECONDS:
                            shutil.rmtree(folder, ignore_errors=True)
                    continue
                with _live_lock:
                    if folder.name in _live:
                        continue  # held by this process
                lock = folder / LOCK_NAME
                try:
                    fd = os.open(lock, os.O_WRONLY)
                except FileNotFoundError:
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                os.close(fd)
        return removed

    def listing(self) -> list[str]:
        """Every address present in ``objects/``."""
        if not self.objects.is_dir():
            return []
        return sorted(p.name for p in self.objects.glob("*/*/*") if p.is_file())
