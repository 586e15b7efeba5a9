"""MISP's field values, read and written: epoch and ISO 8601 times, flags, UUIDs, text.

    from_epoch("1700000000")        # '2023-11-14T22:13:20.000Z'
    from_iso("2026-11-01")          # '2026-11-01T00:00:00.000Z'
    flag("True"), flag("maybe")     # True, None
    derived_uuid("event", info, date)   # a UUIDv5 for a MISP thing that has no UUID

MISP writes numbers and booleans as text as often as not. Each reader accepts what MISP
writes and returns ``None`` for anything else, so that the caller decides what to report.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

MISP_NAMESPACE: Final = uuid.UUID("9c332771-9e60-4185-b227-abbd49bbdf71")
"""Namespace of the UUIDs Comity derives for MISP things that lack one (UUIDv5)."""

EPOCH: Final = "1970-01-01T00:00:00.000Z"
"""The STIX timestamp of what MISP gives no time for."""


def _stix_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def from_epoch(value: Any) -> str | None:
    """A STIX timestamp for MISP's epoch seconds (text or number); ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if not 0 < seconds < 253402300800:
        return None
    return _stix_time(datetime.fromtimestamp(seconds, UTC))


def from_iso(value: Any) -> str | None:
    """A STIX timestamp for an ISO 8601 date or date-time (MISP's ``first_seen``, ``date``)."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year < 1:
        return None
    return _stix_time(moment)


def epoch_of(timestamp: str) -> str:
    """MISP's epoch seconds (as text) for a STIX timestamp."""
    moment = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return str(int(moment.timestamp()))


def flag(value: Any) -> bool | None:
    """MISP's booleans as written: ``true``, ``"1"``, ``"True"``, ``0``…; ``None`` if not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0 if value in (0, 1) else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes"):
            return True
        if lowered in ("0", "false", "no", ""):
            return False
    return None


def is_deleted(raw: Any) -> bool:
    """Whether ``raw`` is a JSON object MISP marks ``deleted``."""
    return isinstance(raw, dict) and bool(flag(raw.get("deleted")))


def uuid_text(value: Any) -> str | None:
    """``value`` as a canonical lowercase UUID string, or ``None``."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def uuid_of(stix_id: str) -> str:
    """The UUID of a STIX identifier (``report--<uuid>``): a MISP UUID kept in STIX."""
    return stix_id.split("--", 1)[1]


def derived_uuid(*parts: str) -> str:
    """A UUIDv5 in :data:`MISP_NAMESPACE` over ``parts``: the same thing, the same UUID."""
    return str(uuid.uuid5(MISP_NAMESPACE, "/".join(parts)))


def text_value(value: Any) -> str | None:
    """MISP values are text; numbers are accepted as written; anything else is not a value."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def scalars(raw: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The entries of ``raw`` named in ``keys`` whose values are text, numbers or flags."""
    return {
        key: raw[key]
        for key in keys
        if key in raw and (raw[key] is None or isinstance(raw[key], str | int | float | bool))
    }
