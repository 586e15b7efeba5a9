"""Safe, read-only access to an evidence package: a directory, a ``.zip`` or a ``.tar`` file.

Nothing is extracted to disk: members are listed and streamed from the archive itself. Opening a
package checks every member before a byte of content is read, and raises
:class:`~comity.evidence.errors.PackageUnsafe` (naming the member) for:

* absolute paths (``/etc/x``, ``C:x``), ``..`` components (path traversal), backslashes, NUL;
* symbolic links, hard links, devices, FIFOs and sparse members;
* duplicate members, including names that differ only by case or Unicode normalization
  (they would overwrite each other when extracted on another system), and a path that is both
  a file and a folder;
* zip entries that are encrypted or use a compression other than stored/deflated, whose
  declared size differs from the stored size (stored entries), exceeds what deflate can expand
  to (about 1032:1), or whose data overlaps another entry's (a non-recursive zip bomb);
* a total declared size above ``max_expansion`` (``settings.max_package_expansion``), and tar
  members that extend beyond the end of the file (a truncated archive).

While a member is read, the bytes actually delivered are counted and must equal its declared
size; zip CRCs are checked by :mod:`zipfile`. An archive may hold the bag at its root or inside
one top-level folder (``name/bagit.txt``), as zipping a bag folder produces.

    with open_package(Path("pkg.zip"), max_expansion=1 << 40) as source:
        for name, entry in source.entries.items():
            for chunk in source.chunks(name): ...
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

from comity.evidence.errors import (
    EvidenceInputError,
    PackageInvalid,
    PackageSealed,
    PackageUnsafe,
)

CHUNK_SIZE = 4 << 20
DEFAULT_MAX_EXPANSION = 1 << 40
# Deflate cannot expand data by more than about 1032:1; anything declaring more is lying.
MAX_DEFLATE_RATIO = 1100
_ZIP_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


@dataclass(frozen=True)
class Entry:
    """A regular file of the package: its path relative to the bag root and its size."""

    name: str
    size: int
    member: str
    order: int


def check_name(raw: str) -> str | None:
    """Validate a member name and return its normal form (``None`` for the root itself).

    Raises :class:`PackageUnsafe` for absolute paths, traversal, backslashes and NUL bytes.
    """
    if "\x00" in raw:
        raise PackageUnsafe(f"{raw!r}: a path with a NUL byte", path=raw)
    if "\\" in raw:
        raise PackageUnsafe(f"{raw!r}: a path with a backslash is not allowed", path=raw)
    if raw.startswith("/") or (len(raw) >= 2 and raw[1] == ":" and raw[0].isalpha()):
        raise PackageUnsafe(f"{raw!r}: an absolute path is not allowed", path=raw)
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/")
    if name in ("", "."):
        return None
    parts = name.split("/")
    if ".." in parts:
        raise PackageUnsafe(f"{raw!r}: the path escapes the package (path traversal)", path=raw)
    if any(p in ("", ".") for p in parts):
        raise PackageUnsafe(f"{raw!r}: a malformed path", path=raw)
    return name


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _check_collisions(files: list[str], folders: set[str]) -> None:
    seen: dict[str, str] = {}
    for name in files:
        key = _fold(name)
        if key in seen:
            if seen[key] == name:
                raise PackageUnsafe(f"{name}: the package holds this entry twice", path=name)
            raise PackageUnsafe(
                f"{name}: differs from {seen[key]} only by case or Unicode form; "
                "extracting them would overwrite one with the other",
                path=name,
            )
        seen[key] = name
    file_set = set(files)
    for name in files:
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in file_set:
                raise PackageUnsafe(f"{parent}: is both a file and a folder", path=parent)
        if name in folders:
            raise PackageUnsafe(f"{name}: is both a file and a folder", path=name)


def _bag_root(names: list[str]) -> str:
    """Return the prefix under which the bag lives: ``""`` or ``"folder/"``."""
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        top = next(iter(tops))
        if f"{top}/bagit.txt" in names:
            return f"{top}/"
    raise PackageInvalid("not a BagIt bag: bagit.txt is missing", path="bagit.txt")


class PackageSource:
    """Read-only access to the files of a package; use :func:`open_package`."""

    kind = "directory"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Entry] = {}

    def __enter__(self) -> PackageSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the underlying file."""
        return

    def _set_entries(self, files: list[tuple[str, int, str]], folders: set[str]) -> None:
        names = [n for n, _s, _m in files]
        _check_collisions(names, folders)
        root = _bag_root(names)
        for order, (name, size, member) in enumerate(files):
            if not name.startswith(root):
                raise PackageUnsafe(f"{name}: lies outside the bag folder {root}", path=name)
            relative = name[len(root) :]
            self.entries[relative] = Entry(relative, size, member, order)

    def _open(self, entry: Entry) -> BinaryIO:
        raise NotImplementedError

    def _region(self, entry: Entry) -> tuple[str, int] | None:
        """Where an uncompressed member's bytes lie: (file, offset), or None."""
        return None

    def _raw_chunks(self, path: str, offset: int, entry: Entry, size: int) -> Iterator[bytes]:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            with contextlib.suppress(AttributeError, OSError):
                os.posix_fadvise(fd, offset, entry.size, os.POSIX_FADV_SEQUENTIAL)
            position = offset
            end = offset + entry.size
            while True:
                want = min(size, end - position + (1 if self.kind == "directory" else 0))
                if want <= 0:
                    break
                chunk = os.pread(fd, want, position)
                if not chunk:
                    break
                position += len(chunk)
                yield chunk
        finally:
            os.close(fd)

    def chunks(self, name: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield a member's bytes; raise if it delivers more or fewer than its declared size.

        Uncompressed members (files of a folder, stored zip entries, tar members) are read
        straight from the file at their offset (the package's SHA-256 manifests make a zip CRC
        redundant); deflated zip entries go through :mod:`zipfile`.
        """
        entry = self.entries[name]
        region = self._region(entry)
        source = (
            self._raw_chunks(region[0], region[1], entry, chunk_size)
            if region is not None
            else self._stream(entry, chunk_size)
        )
        total = 0
        try:
            for chunk in source:
                total += len(chunk)
                if total > entry.size:
                    raise PackageUnsafe(
                        f"{name}: holds more bytes than its declared size {entry.size}",
                        path=name,
                        expected=entry.size,
                    )
                yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, tarfile.TarError) as exc:
            raise PackageUnsafe(
                f"{name}: the archive entry is corrupt, truncated or lies about its size ({exc})",
                path=name,
            ) from exc
        except OSError as exc:
            raise PackageInvalid(f"{name}: cannot be read ({exc})", path=name) from exc
        if total != entry.size:
            raise PackageInvalid(
                f"{name}: is truncated ({total} bytes, {entry.size} declared)",
                path=name,
                expected=entry.size,
                actual=total,
            )

    def _stream(self, entry: Entry, chunk_size: int) -> Iterator[bytes]:
        """Decompress a member through its archive module, reading at most one byte too many."""
        total = 0
        with self._open(entry) as handle:
            while chunk := handle.read(min(chunk_size, entry.size - total + 1)):
                total += len(chunk)
                yield chunk

    def read(self, name: str, limit: int) -> bytes:
        """Return a member's bytes whole (tag files); refuse members larger than ``limit``."""
        entry = self.entries[name]
        if entry.size > limit:
            raise PackageInvalid(
                f"{name}: {entry.size} bytes is too large for a tag file", path=name
            )
        return b"".join(self.chunks(name))


class DirectorySource(PackageSource):
    """A bag that is a folder on disk."""

    kind = "directory"

    def __init__(self, path: Path, max_expansion: int) -> None:
        super().__init__(path)
        files: list[tuple[str, int, str]] = []
        folders: set[str] = set()
        total = 0
        for folder, dirs, names in os.walk(path, onerror=_walk_error):
            dirs.sort()
            base = Path(folder)
            for name in sorted([*dirs, *names]):
                full = base / name
                relative = full.relative_to(path).as_posix()
                info = full.lstat()
                if stat.S_ISLNK(info.st_mode):
                    raise PackageUnsafe(f"{relative}: is a symbolic link", path=relative)
                normal = check_name(relative)
                if normal is None:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    folders.add(normal)
                elif stat.S_ISREG(info.st_mode):
                    files.append((normal, info.st_size, str(full)))
                    total += info.st_size
                else:
                    raise PackageUnsafe(f"{relative}: is a device or special file", path=relative)
        if total > max_expansion:
            raise PackageUnsafe(
                f"the package holds {total} bytes, more than the limit of {max_expansion}"
            )
        if "bagit.txt" not in {n for n, _s, _m in files}:
            raise PackageInvalid("not a BagIt bag: bagit.txt is missing", path="bagit.txt")
        self._set_entries(files, folders)

    def _open(self, entry: Entry) -> BinaryIO:
        fd = os.open(entry.member, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    def _region(self, entry: Entry) -> tuple[str, int] | None:
        return entry.member, 0


def _walk_error(error: OSError) -> None:
    raise PackageInvalid(f"cannot read {error.filename}: {error.strerror}")


class ZipSource(PackageSource):
    """A bag inside a ``.zip`` file (stored or deflated entries)."""

    kind = "zip"

    def __init__(self, path: Path, max_expansion: int) -> None:
        super().__init__(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise PackageInvalid(f"{path.name}: not a readable zip file ({exc})") from exc
        try:
            self._scan(max_expansion)
        except BaseException:
            self._zip.close()
            raise

    def _scan(self, max_expansion: int) -> None:
        files: list[tuple[str, int, str]] = []
        folders: set[str] = set()
        total = 0
        archive_size = self.path.stat().st_size
        ranges: list[tuple[int, int, str]] = []
        raw = self._zip.fp
        assert raw is not None
        self._offsets: dict[str, int] = {}
        for info in self._zip.infolist():
            raw_name = info.orig_filename
            normal = check_name(raw_name)
            mode = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
            if mode and stat.S_ISLNK(mode):
                raise PackageUnsafe(f"{raw_name}: is a symbolic link", path=raw_name)
            if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise PackageUnsafe(f"{raw_name}: is a device or special file", path=raw_name)
            if info.flag_bits & 0x1:
                raise PackageInvalid(f"{raw_name}: encrypted zip entries are not supported")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise PackageInvalid(
                    f"{raw_name}: compression method {info.compress_type} is not supported "
                    "(use stored or deflated)",
                    path=raw_name,
                )
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise PackageUnsafe(
                    f"{raw_name}: declares {info.file_size} bytes but stores {info.compress_size}",
                    path=raw_name,
                    expected=info.file_size,
                    actual=info.compress_size,
                )
            if info.file_size > max(info.compress_size, 1) * MAX_DEFLATE_RATIO:
                raise PackageUnsafe(
                    f"{raw_name}: declares {info.file_size} bytes from {info.compress_size} "
                    "compressed bytes, more than deflate can produce (a zip bomb)",
                    path=raw_name,
                )
            raw.seek(info.header_offset)
            header = raw.read(_ZIP_LOCAL_HEADER.size)
            if len(header) != _ZIP_LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
                raise PackageUnsafe(f"{raw_name}: bad local header", path=raw_name)
            fields = _ZIP_LOCAL_HEADER.unpack(header)
            start = info.header_offset
            end = start + _ZIP_LOCAL_HEADER.size + fields[10] + fields[11] + info.compress_size
            if end > archive_size:
                raise PackageInvalid(
                    f"{raw_name}: the archive is truncated (the entry ends past its end)",
                    path=raw_name,
                )
            ranges.append((start, end, raw_name))
            if info.compress_type == zipfile.ZIP_STORED:
                self._offsets[raw_name] = end - info.compress_size
            if normal is None:
                continue
            if info.is_dir():
                folders.add(normal)
                continue
            total += info.file_size
            files.append((normal, info.file_size, raw_name))
        ranges.sort()
        for (_s1, end1, name1), (start2, _e2, name2) in itertools.pairwise(ranges):
            if start2 < end1:
                raise PackageUnsafe(
                    f"{name2}: overlaps the data of {name1} (a zip bomb)", path=name2
                )
        if total > max_expansion:
            raise PackageUnsafe(
                f"the package expands to {total} bytes, more than the limit of {max_expansion}",
                expected=max_expansion,
                actual=total,
            )
        self._infos = {i.orig_filename: i for i in self._zip.infolist()}
        self._set_entries(files, folders)

    def _open(self, entry: Entry) -> BinaryIO:
        return cast(BinaryIO, self._zip.open(self._infos[entry.member]))

    def _region(self, entry: Entry) -> tuple[str, int] | None:
        offset = self._offsets.get(entry.member)
        return None if offset is None else (str(self.path), offset)

    def close(self) -> None:
        """Close the zip file."""
        self._zip.close()


_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}


class TarSource(PackageSource):
    """A bag inside an uncompressed ``.tar`` file."""

    kind = "tar"

    def __init__(self, path: Path, max_expansion: int) -> None:
        super().__init__(path)
        with path.open("rb") as probe:
            head = probe.read(8)
        for magic, name in _COMPRESSED_MAGIC.items():
            if head.startswith(magic):
                raise PackageInvalid(
                    f"{path.name}: a {name}-compressed tar; packages are uncompressed .tar files"
                )
        try:
            self._tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError) as exc:
            raise PackageInvalid(f"{path.name}: not a readable tar file ({exc})") from exc
        try:
            self._scan(max_expansion)
        except BaseException:
            self._tar.close()
            raise

    def _scan(self, max_expansion: int) -> None:
        try:
            members = self._tar.getmembers()
        except tarfile.TarError as exc:
            raise PackageInvalid(f"{self.path.name}: corrupt or truncated tar ({exc})") from exc
        archive_size = self.path.stat().st_size
        files: list[tuple[str, int, str]] = []
        folders: set[str] = set()
        total = 0
        self._members: dict[str, tarfile.TarInfo] = {}
        for member in members:
            raw_name = member.name
            normal = check_name(raw_name)
            if member.issym():
                raise PackageUnsafe(f"{raw_name}: is a symbolic link", path=raw_name)
            if member.islnk():
                raise PackageUnsafe(f"{raw_name}: is a hard link", path=raw_name)
            if member.isdir():
                if normal is not None:
                    folders.add(normal)
                continue
            if not member.isreg():
                raise PackageUnsafe(f"{raw_name}: is a device or special file", path=raw_name)
            if member.sparse is not None or member.type == tarfile.GNUTYPE_SPARSE:
                raise PackageUnsafe(f"{raw_name}: sparse members are not allowed", path=raw_name)
            if normal is None:
                raise PackageUnsafe(f"{raw_name!r}: a file without a name", path=raw_name)
            if member.offset_data + member.size > archive_size:
                raise PackageInvalid(
                    f"{normal}: the archive is truncated (the member ends past its end)",
                    path=normal,
                )
            total += member.size
            if raw_name in self._members:
                raise PackageUnsafe(f"{normal}: the package holds this entry twice", path=normal)
            self._members[raw_name] = member
            files.append((normal, member.size, raw_name))
        if total > max_expansion:
            raise PackageUnsafe(
                f"the package expands to {total} bytes, more than the limit of {max_expansion}"
            )
        self._set_entries(files, folders)

    def _region(self, entry: Entry) -> tuple[str, int] | None:
        return str(self.path), self._members[entry.member].offset_data

    def _open(self, entry: Entry) -> BinaryIO:
        handle = self._tar.extractfile(self._members[entry.member])
        if handle is None:
            raise PackageUnsafe(f"{entry.name}: is not a regular file", path=entry.name)
        return cast(BinaryIO, handle)

    def close(self) -> None:
        """Close the tar file."""
        self._tar.close()


def open_package(path: Path, max_expansion: int = DEFAULT_MAX_EXPANSION) -> PackageSource:
    """Open the package at ``path`` (folder, ``.zip`` or ``.tar``) after checking its members."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise EvidenceInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from exc
    if stat.S_ISLNK(info.st_mode):
        raise PackageUnsafe(f"{path}: is a symbolic link; name the package itself")
    if stat.S_ISDIR(info.st_mode):
        return DirectorySource(path, max_expansion)
    if not stat.S_ISREG(info.st_mode):
        raise PackageInvalid(f"{path}: not a folder, .zip or .tar file")
    with path.open("rb") as probe:
        head = probe.read(262)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZipSource(path, max_expansion)
    if head.startswith(b"CMTYSEAL"):
        raise PackageSealed(
            f"{path.name}: the package is sealed; open it with 'comity evidence unseal' on the "
            "recipient node, then verify the plain bag",
            path=str(path),
        )
    if (len(head) >= 262 and head[257:262] == b"ustar") or path.suffix.lower() == ".tar":
        return TarSource(path, max_expansion)
    raise PackageInvalid(f"{path.name}: not a folder, .zip or .tar file")
