"""File helpers: secret files with 0600 permissions and atomic replacement."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SECRET_MODE = 0o600


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename) with ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        os.close(fd)
    try:
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_secret(path: Path, data: bytes) -> None:
    """Write a secret (a key, a token) readable by its owner only (mode 0600)."""
    write_atomic(path, data, SECRET_MODE)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry to disk so a rename survives a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
