"""Times of operations: explicit offsets or zones, stored in UTC, shown per agency."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.operations.errors import OperationInputError
from comity.operations.timing import country_zone, local_view, parse_moment, year_bounds

ZONES = ["Asia/Kolkata", "America/New_York", "America/Chicago", "America/Los_Angeles", "UTC"]


def test_one_moment_written_four_ways() -> None:
    expected = datetime(2026, 3, 14, 0, 30, tzinfo=UTC)
    assert parse_moment("2026-03-14T06:00+05:30") == expected
    assert parse_moment("2026-03-14T00:30Z") == expected
    assert parse_moment("2026-03-14T06:00", zone_name="Asia/Kolkata") == expected
    assert parse_moment("2026-03-13 20:30 America/New_York") == expected


def test_the_zone_of_a_country_with_one() -> None:
    assert country_zone("IN") == "Asia/Kolkata"
    assert country_zone("US") is None  # several: the user says which


def test_a_year_begins_in_the_nodes_zone() -> None:
    start, end = year_bounds(2024, "Asia/Kolkata")
    assert start == datetime(2023, 12, 31, 18, 30, tzinfo=UTC)
    assert end == datetime(2024, 12, 31, 18, 30, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2090, 1, 1)),
    st.sampled_from(ZONES),
)
def test_a_local_time_reads_back_in_its_zone(wall: datetime, zone: str) -> None:
    text = wall.replace(microsecond=0).isoformat()
    try:
        moment = parse_moment(text, zone_name=zone)
    except OperationInputError as exc:
        # Only times the zone skips or repeats are refused.
        assert "does not exist" in exc.message or "happens twice" in exc.message
        return
    assert moment.tzinfo == UTC
    assert local_view(moment, zone)["time"].startswith(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "now", "2026-03-14T25:00Z", "2026-03-14T06:00+25:00", "x" * 500]
)
def test_what_is_not_a_time(text: str) -> None:
    with pytest.raises(OperationInputError):
        parse_moment(text)
