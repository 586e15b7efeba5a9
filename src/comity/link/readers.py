"""Readers of complaint files by format: CSV, JSON Lines, Parquet.

    for row in read_rows("csv", stream):
        if isinstance(row, BadRow):
            print(row.line, row.reason)        # damaged: reported, never a crash
        else:
            row.values["complaint_id"]

Each reader is registered under its format's name (``@register("csv", ".csv")``); registering a
name twice is an error, and :func:`format_for` picks the reader from a file's extension. A reader
yields one :class:`RawRow` per record with the line it starts on (Parquet: the row number), or a
:class:`BadRow` saying why the record cannot be read — a wrong number of CSV fields, bytes that
are not UTF-8, a line that is not a JSON object, a value longer than :data:`MAX_VALUE_CHARS`. It
reads as a stream: memory holds one record (or one Parquet batch) at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any, Final

import orjson

from comity.link.errors import DuplicateReader, LinkInputError

MAX_VALUE_CHARS: Final = 1_000_000
"""A value longer than this (a pasted 100 MB "narrative") makes its row bad."""

MAX_RECORD_BYTES: Final = 256 * 1024 * 1024
"""A record larger than this cannot be read at all: the file is read no further."""

PARQUET_BATCH: Final = 8192


@dataclass(frozen=True)
class RawRow:
    """One record as the file holds it: column (key) → value."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class BadRow:
    """A record that cannot be read, and why."""

    line: int
    reason: str


Rows = Iterator[RawRow | BadRow]
Reader = Callable[[IO[bytes]], Rows]


@dataclass(frozen=True)
class _Registered:
    name: str
    extensions: tuple[str, ...]
    read: Reader


_READERS: dict[str, _Registered] = {}


def register(name: str, *extensions: str) -> Callable[[Reader], Reader]:
    """Register the decorated function as the reader of format ``name`` (and its extensions)."""

    def decorate(reader: Reader) -> Reader:
        if name in _READERS:
            raise DuplicateReader(f"a reader for {name!r} is registered", format=name)
        _READERS[name] = _Registered(name, tuple(e.lower() for e in extensions), reader)
        return reader

    return decorate


def formats() -> list[str]:
    """The formats there is a reader for."""
    return list(_READERS)


def format_for(filename: str) -> str:
    """The format of a file by its extension (``LinkInputError`` when none matches)."""
    suffix = PurePath(filename).suffix.lower()
    for registered in _READERS.values():
        if suffix in registered.extensions:
            return registered.name
    known = ", ".join(e for r in _READERS.values() for e in r.extensions)
    raise LinkInputError(
        f"cannot tell the format of {PurePath(filename).name!r} from its extension "
        f"(known: {known})",
        file=PurePath(filename).name,
    )


def check_format(fmt: str) -> str:
    """``fmt`` if a reader is registered for it (``LinkInputError`` naming the known ones)."""
    if fmt not in _READERS:
        raise LinkInputError(
            f"no reader for the format {fmt!r} (known: {', '.join(_READERS)})", format=fmt
        )
    return fmt


def read_rows(fmt: str, stream: IO[bytes]) -> Rows:
    """The records of ``stream`` read as ``fmt``."""
    return _READERS[check_format(fmt)].read(stream)


def _too_long(values: dict[str, Any]) -> str | None:
    for key, value in values.items():
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            return f"{str(key)[:60]!r} is longer than {MAX_VALUE_CHARS:,} characters"
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str) and len(item) > MAX_VALUE_CHARS:
                    return (
                        f"{str(key)[:60]!r} holds a value longer than "
                        f"{MAX_VALUE_CHARS:,} characters"
                    )
    return None


def _not_utf8(values: dict[str, Any]) -> str | None:
    for key, value in values.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                byte = ord(value[exc.start]) - 0xDC00
                return f"{str(key)[:60]!r} is not UTF-8 (byte 0x{byte:02x})"
    return None


@register("csv", ".csv")
def read_csv(stream: IO[bytes]) -> Rows:
    """RFC 4180 CSV with a header row, UTF-8 (a byte-order mark is skipped)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(MAX_RECORD_BYTES)
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise LinkInputError(f"the CSV header cannot be read: {exc}") from None
    header = [h.strip() for h in header]
    bad_header = _not_utf8({f"column {i + 1}": h for i, h in enumerate(header)})
    if bad_header:
        raise LinkInputError(f"the CSV header is not UTF-8: {bad_header}")
    last = reader.line_num
    while True:
        start = last + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(start, f"cannot be read as CSV ({exc}); the file is read no further")
            return
        last = reader.line_num
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line
        if len(fields) != len(header):
            yield BadRow(start, f"has {len(fields)} fields where the header has {len(header)}")
            continue
        values = dict(zip(header, fields, strict=True))
        reason = _not_utf8(values) or _too_long(values)
        yield BadRow(start, reason) if reason else RawRow(start, values)


@register("jsonl", ".jsonl", ".ndjson")
def read_jsonl(stream: IO[bytes]) -> Rows:
    """JSON Lines: one JSON object per line."""
    line = 0
    while True:
        data = stream.readline(MAX_RECORD_BYTES + 1)
        if not data:
            return
        line += 1
        if len(data) > MAX_RECORD_BYTES and not data.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass  # skip the rest of an enormous line
            yield BadRow(line, f"is longer than {MAX_RECORD_BYTES:,} bytes")
            continue
        if not data.strip():
            continue
        if line == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            values = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            reason = "is not valid UTF-8" if "utf-8" in str(exc).lower() else "is not valid JSON"
            yield BadRow(line, f"{reason} ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(values, dict):
            yield BadRow(line, "is not a JSON object")
            continue
        too_long = _too_long(values)
        yield BadRow(line, too_long) if too_long else RawRow(line, values)


@register("parquet", ".parquet", ".pq")
def read_parquet(stream: IO[bytes]) -> Rows:
    """Apache Parquet, read a batch of rows at a time; ``line`` is the row number (from 1)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowInvalid, OSError) as exc:
        raise LinkInputError(f"not a readable Parquet file: {exc}") from None
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
            for values in batch.to_pylist():
                row += 1
                reason = _too_long(values)
                yield BadRow(row, reason) if reason else RawRow(row, values)
    except (pa.ArrowException, OSError) as exc:
        yield BadRow(row + 1, f"cannot be read ({exc}); the file is read no further")
