"""Times in operations: read with an explicit offset or zone, stored in UTC, shown in each
agency's time zone.

    parse_moment("2026-03-14T06:00+05:30")                    # 00:30 UTC
    parse_moment("2026-03-14T06:00", zone_name="Asia/Kolkata")  # the same moment
    parse_moment("2026-03-14 06:00 Asia/Kolkata")             # the same moment
    local_view(moment, "America/New_York")   # {'time': '2026-03-13T20:30:00-04:00', 'abbreviation': 'EDT', …}

A time without an offset or a zone is refused (it would be a guess), and so is a local time
that a zone skips (clocks going forward) or passes twice (clocks going back): the caller gives
the offset instead.
"""  # noqa: E501

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from comity.core.errors import InvalidInput
from comity.core.timeutil import isoformat, zone
from comity.operations.errors import OperationInputError

EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
"""No operation is dated before this."""
HORIZON: Final = timedelta(days=5 * 366)
"""No operation is planned further ahead than this."""

_HAS_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TRAILING_ZONE: Final = re.compile(r"(.+?)\s+([A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)")


def check_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise :class:`OperationInputError`."""
    text = name.strip()
    try:
        if not text or len(text) > 64:
            raise InvalidInput("empty or too long")
        zone(text)
    except InvalidInput:
        raise OperationInputError(
            f"unknown time zone {name[:64]!r}: use an IANA name such as Asia/Kolkata or "
            "America/New_York",
            zone=name[:100],
        ) from None
    return text


def parse_moment(text: str, *, zone_name: str | None = None, what: str = "time") -> datetime:
    """Read a moment given with an explicit UTC offset (``2026-03-14T06:00+05:30``,
    ``…Z``), or a local time and an IANA zone (``zone_name``, or after a space in ``text``);
    return it in UTC."""
    raw = text.strip()
    if len(raw) > 100 or not raw:
        raise OperationInputError(f"{what} {text[:100]!r} is not an ISO 8601 time", value=text)
    match = _TRAILING_ZONE.fullmatch(raw)
    if match is not None and ("/" in match.group(2) or match.group(2) == "UTC"):
        if zone_name is not None:
            raise OperationInputError(
                f"{what} {text!r} names a zone and another was given ({zone_name})", value=text
            )
        raw, zone_name = match.group(1), match.group(2)
    if not _HAS_TIME.match(raw):
        raise OperationInputError(
            f"{what} {text!r} is not a date and time such as 2026-03-14T06:00+05:30", value=text
        )
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise OperationInputError(
            f"{what} {text!r} is not a date and time such as 2026-03-14T06:00+05:30", value=text
        ) from None
    if moment.tzinfo is not None:
        if zone_name is not None:
            raise OperationInputError(
                f"{what} {text!r} has an offset and a zone ({zone_name}) was given too: "
                "give one of them",
                value=text,
            )
        return moment.astimezone(UTC)
    if zone_name is None:
        raise OperationInputError(
            f"{what} {text!r} has no UTC offset and no zone was given: write it as "
            "2026-03-14T06:00+05:30 or give a zone",
            value=text,
        )
    return _localize(moment, check_zone(zone_name), text, what)


def _localize(naive: datetime, zone_name: str, text: str, what: str) -> datetime:
    """``naive`` read as a wall-clock time in ``zone_name``; refuse skipped and repeated
    times."""
    tz = ZoneInfo(zone_name)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        skipped = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive
        why = "does not exist (the clocks skip it)" if skipped else "happens twice"
        raise OperationInputError(
            f"{what} {text!r} {why} in {zone_name}: give it with its UTC offset",
            value=text,
            zone=zone_name,
        )
    return first.astimezone(UTC)


def check_planned(moment: datetime, now: datetime) -> datetime:
    """Refuse a planned time before 1990 or more than five years ahead."""
    if moment < EARLIEST or moment > now + HORIZON:
        raise OperationInputError(
            f"planned time {isoformat(moment)} is not believable (before 1990 or more than "
            "five years ahead)",
            value=isoformat(moment),
        )
    return moment


def check_past(moment: datetime, now: datetime, what: str) -> datetime:
    """Refuse a time of something that happened if it is before 1990 or in the future."""
    if moment < EARLIEST or moment > now + timedelta(minutes=5):
        raise OperationInputError(
            f"{what} {isoformat(moment)} is before 1990 or in the future",
            value=isoformat(moment),
        )
    return moment


def parse_due(text: str, now: datetime) -> date:
    """Read a due date (``2026-03-20``); refuse one before 1990 or more than five years
    ahead."""
    try:
        due = date.fromisoformat(text.strip())
    except ValueError:
        raise OperationInputError(
            f"due date {text[:40]!r} is not a date such as 2026-03-20", value=text[:100]
        ) from None
    if due < EARLIEST.date() or due > (now + HORIZON).date():
        raise OperationInputError(
            f"due date {due.isoformat()} is not believable (before 1990 or more than five "
            "years ahead)",
            value=text[:100],
        )
    return due


def local_view(moment: datetime, zone_name: str) -> dict[str, Any]:
    """``moment`` as seen in ``zone_name``: ISO 8601 with its offset, and the abbreviation."""
    local = moment.astimezone(ZoneInfo(zone_name))
    return {"timezone": zone_name, "time": local.isoformat(), "abbreviation": local.tzname()}


def year_bounds(year: int, zone_name: str) -> tuple[datetime, datetime]:
    """The first moment of ``year`` and of the next, in ``zone_name``, as UTC."""
    tz = ZoneInfo(zone_name)
    start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
    return start, end


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Each country's IANA zones, from the time-zone database's ``zone.tab`` (empty when the
    database ships without it)."""
    text = _zone_tab()
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            zones.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(names) for country, names in zones.items()}


def _zone_tab() -> str:
    try:
        from importlib.resources import files

        return files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ImportError, OSError):
        pass
    from zoneinfo import TZPATH

    for base in TZPATH:
        path = Path(base) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def country_zone(country: str) -> str | None:
    """The time zone of ``country`` if it has exactly one (India: ``Asia/Kolkata``), else
    ``None`` (the United States has several)."""
    zones = _zones_by_country().get(country.upper(), ())
    return zones[0] if len(zones) == 1 else None
