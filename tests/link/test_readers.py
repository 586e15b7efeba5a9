"""The complaint readers on damaged input: every record is read or reported, nothing crashes."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from comity.link.errors import LinkInputError
from comity.link.readers import BadRow, RawRow, read_rows

HEADER = b"complaint_id,country,received_on,narrative\n"


def _read(fmt: str, data: bytes) -> list[RawRow | BadRow]:
    try:
        return list(read_rows(fmt, io.BytesIO(data)))
    except LinkInputError:
        return []  # refused as a whole, with a message: also an answer


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_after_a_csv_header_are_read_or_reported(body: bytes) -> None:
    rows = _read("csv", HEADER + body)
    lines = [row.line for row in rows]
    assert lines == sorted(lines) and all(line >= 2 for line in lines)
    for row in rows:
        if isinstance(row, RawRow):
            assert set(row.values) == {"complaint_id", "country", "received_on", "narrative"}
            assert all(isinstance(v, str) for v in row.values.values())
            for value in row.values.values():
                value.encode("utf-8")  # what is kept is valid text
        else:
            assert row.reason


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.binary(max_size=80), st.text(max_size=80).map(str.encode)), max_size=8)
)
def test_any_lines_of_json_lines_are_read_or_reported(lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    rows = _read("jsonl", data)
    for row in rows:
        assert row.line >= 1 and row.line <= max(len(lines), 1)
        if isinstance(row, RawRow):
            assert isinstance(row.values, dict)


@settings(deadline=None)  # the first example imports pyarrow
@given(st.binary(max_size=200))
def test_any_bytes_as_parquet_are_refused_or_reported(data: bytes) -> None:
    for row in _read("parquet", data):
        assert isinstance(row, BadRow | RawRow)


def test_deeply_nested_json_is_a_bad_row_not_a_crash() -> None:
    deep = b'{"complaint_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    (row,) = _read("jsonl", deep)
    assert isinstance(row, BadRow) and "JSON" in row.reason
