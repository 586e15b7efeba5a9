"""``next`` tokens and URL filters on their own; the version key in SQL on both backends."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import literal, select
from sqlalchemy.orm import Session, sessionmaker

from comity.core.keys import b64u_decode, b64u_encode
from comity.taxii.errors import InvalidFilter, InvalidNextToken
from comity.taxii.filters import (
    MAX_LIMIT,
    Endpoint,
    Filters,
    VersionFilter,
    parse_filters,
    version_key,
)
from comity.taxii.paging import TOKEN_CHARS, Position, issue, redeem, token_key
from comity.taxii.queries import version_key_sql

KEY = token_key(b"\x01" * 32)
COLLECTION, USER = uuid.uuid4(), uuid.uuid4()
QUERY = Filters(Endpoint.OBJECTS).query_hash


def position(after_us: int = 1_764_460_800_000_001) -> Position:
    """A position in the test collection for the test user."""
    return Position(COLLECTION, USER, QUERY, after_us)


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_a_token_gives_back_its_position(after_us: int) -> None:
    token = issue(KEY, position(after_us))
    assert len(token) == TOKEN_CHARS
    assert redeem(KEY, token, position(0)) == after_us


def test_every_changed_byte_or_character_is_refused() -> None:
    token = issue(KEY, position())
    raw = b64u_decode(token)
    for index in range(len(raw)):
        for flip in (1, 0x80):
            changed = bytearray(raw)
            changed[index] ^= flip
            with pytest.raises(InvalidNextToken):
                redeem(KEY, b64u_encode(bytes(changed)), position(0))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index in range(len(token)):
        for other in alphabet:
            if other != token[index]:
                forged = token[:index] + other + token[index + 1 :]
                with pytest.raises(InvalidNextToken):
                    redeem(KEY, forged, position(0))


@pytest.mark.parametrize(
    "expected",
    [
        Position(uuid.uuid4(), USER, QUERY, 0),
        Position(COLLECTION, uuid.uuid4(), QUERY, 0),
        Position(COLLECTION, USER, Filters(Endpoint.MANIFEST).query_hash, 0),
        Position(COLLECTION, USER, Filters(Endpoint.OBJECTS, types=("indicator",)).query_hash, 0),
    ],
    ids=["collection", "user", "endpoint", "filters"],
)
def test_a_token_is_bound_to_collection_caller_and_query(expected: Position) -> None:
    with pytest.raises(InvalidNextToken):
        redeem(KEY, issue(KEY, position()), expected)


def test_a_token_from_another_key_or_garbage_is_refused() -> None:
    token = issue(token_key(b"\x02" * 32), position())
    for bad in (token, "", "x", "=" * TOKEN_CHARS, "é" * TOKEN_CHARS, token[:-2] + "=="):
        with pytest.raises(InvalidNextToken):
            redeem(KEY, bad, position(0))


def test_query_hash_ignores_limit_next_and_value_order() -> None:
    a = parse_filters([("match[type]", "indicator,malware"), ("limit", "5")], Endpoint.OBJECTS)
    b = parse_filters(
        [("match[type]", "malware"), ("match[type]", "indicator"), ("next", "x")],
        Endpoint.OBJECTS,
    )
    assert a.query_hash == b.query_hash
    assert a.query_hash != parse_filters([], Endpoint.OBJECTS).query_hash
    c = parse_filters([], Endpoint.OBJECT, "indicator--" + str(uuid.uuid4()))
    d = parse_filters([], Endpoint.OBJECT, "indicator--" + str(uuid.uuid4()))
    assert c.query_hash != d.query_hash


def test_filters_are_parsed_and_bounded() -> None:
    parsed = parse_filters(
        [
            ("added_after", "2026-01-01T00:00:00.123456789Z"),
            ("limit", str(MAX_LIMIT * 10)),
            ("match[version]", "first,2026-01-01T00:00:00.5Z"),
            ("match[spec_version]", "2.1"),
            ("unknown", "ignored"),
        ],
        Endpoint.OBJECTS,
    )
    assert parsed.added_after_us == 1_767_225_600_123_456
    assert parsed.limit == MAX_LIMIT
    assert parsed.versions == VersionFilter(
        first=True, last=False, exact=("2026-01-01T00:00:00.500000000",)
    )
    assert parsed.versions.exact_micros == (1_767_225_600_500_000,)
    # Filters an endpoint does not take are ignored, as the specification asks.
    assert parse_filters([("match[type]", "BAD TYPE")], Endpoint.VERSIONS).types == ()
    with pytest.raises(InvalidFilter):
        parse_filters([("match[type]", "BAD TYPE")], Endpoint.OBJECTS)
    with pytest.raises(InvalidFilter):
        parse_filters([("limit", "1"), ("limit", "1")], Endpoint.MANIFEST)


STAMPS = [
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00.5Z",
    "2026-01-01T00:00:00.45Z",
    "2026-01-01T00:00:00.450000001Z",
    "2026-01-01T00:00:00.000Z",
    "2025-12-31T23:59:59.999999999Z",
    "2026-01-01T00:00:01Z",
]


def test_version_keys_sort_by_instant() -> None:
    ordered = sorted(STAMPS, key=version_key)
    assert ordered[0] == "2025-12-31T23:59:59.999999999Z"
    assert ordered[-1] == "2026-01-01T00:00:01Z"
    assert ordered.index("2026-01-01T00:00:00.5Z") > ordered.index("2026-01-01T00:00:00.45Z")
    assert version_key("2026-01-01T00:00:00Z") == version_key("2026-01-01T00:00:00.000Z")


def test_the_sql_version_key_equals_the_python_one(
    db_session_factory: sessionmaker[Session],
) -> None:
    with db_session_factory() as session:
        for stamp in [*STAMPS, ""]:
            computed = session.scalar(select(version_key_sql(literal(stamp))))
            assert computed == (version_key(stamp) if stamp else ""), stamp
