"""Time helpers: Comity stores UTC and shows local time with its zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comity.core.errors import InvalidInput


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC, to the microsecond."""
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a ``Z`` suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse ISO 8601; a value without an offset is refused (its meaning would be a guess)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"not an ISO 8601 time: {text!r}", value=text) from exc
    if moment.tzinfo is None:
        raise InvalidInput(f"time {text!r} has no UTC offset", value=text)
    return moment


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` or raise :class:`InvalidInput`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone: {name!r}", value=name) from exc


def local_isoformat(moment: datetime, zone_name: str) -> str:
    """Format ``moment`` in the time zone ``zone_name`` with its offset."""
    return moment.astimezone(zone(zone_name)).isoformat()
