"""One MISP attribute, read and checked: :func:`read_attribute` makes a :class:`MispAttribute`.

An attribute that cannot be read (not an object, no type, a value that is not text, an
invalid or duplicate UUID) is rejected with its location; one deleted in MISP is skipped
with a warning; a missing UUID is derived. Its level is the event's unless its own TLP tag is
more restrictive. What it keeps of MISP's fields (``x_misp_attribute``) is in
:attr:`MispAttribute.meta`, so that an export gives it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from comity.intel.errors import IntelInputError
from comity.intel.misp.collector import Collector
from comity.intel.misp.fields import (
    derived_uuid,
    flag,
    from_epoch,
    from_iso,
    is_deleted,
    scalars,
    text_value,
    uuid_text,
)
from comity.intel.misp.tags import level_of_tags, tag_names
from comity.intel.tlp import RANK

_ATTRIBUTE_KEYS: Final = (
    "uuid",
    "type",
    "category",
    "value",
    "to_ids",
    "comment",
    "object_relation",
    "distribution",
    "timestamp",
    "first_seen",
    "last_seen",
    "disable_correlation",
)
"""What an attribute keeps of MISP's fields (``x_misp_attribute``); the rest is instance data."""


@dataclass
class MispAttribute:
    """One MISP attribute, checked."""

    where: str
    uuid: str
    type: str
    value: str
    to_ids: bool
    level: str | None
    meta: dict[str, Any]
    sightings: list[dict[str, Any]]
    relation: str = ""
    comment: str = ""
    category: str = ""
    timestamp: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None


def read_attribute(
    out: Collector, raw: Any, where: str, event_level: str | None
) -> MispAttribute | None:
    """Check one attribute; ``None`` (rejected or skipped, with the reason) if unusable."""
    if not isinstance(raw, dict):
        out.reject(where, None, "not a JSON object (a MISP attribute)")
        return None
    ident = raw.get("uuid")
    attr_uuid = uuid_text(ident)
    label = attr_uuid or (str(ident)[:60] if ident is not None else None)
    if ident is not None and attr_uuid is None:
        out.reject(where, label, f"'uuid' {str(ident)[:60]!r} is not a UUID")
        return None
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind.strip():
        out.reject(where, label, "no attribute 'type'")
        return None
    value = text_value(raw.get("value"))
    if value is None:
        out.reject(where, label, f"the value of a {kind[:40]} attribute is not text")
        return None
    if is_deleted(raw):
        out.warn(f"{where} ({label}): deleted in MISP; not imported")
        return None
    if attr_uuid is None:
        attr_uuid = derived_uuid("attribute", where, kind, value)
        out.warn(f"{where}: attribute without uuid; derived {attr_uuid}")
    if attr_uuid in out.seen_uuids:
        out.reject(where, attr_uuid, "duplicate: another attribute has this uuid")
        return None
    out.seen_uuids.add(attr_uuid)
    to_ids = flag(raw.get("to_ids"))
    if to_ids is None:
        out.warn(f"{where} ({attr_uuid}): to_ids {str(raw.get('to_ids'))[:20]!r} read as false")
        to_ids = False
    here = out.located(where)
    tags = tag_names(raw.get("Tag"), here, out.warnings)
    own = level_of_tags(tags, here, out.warnings)
    level = event_level
    if own is not None:
        if event_level is not None and RANK[own] < RANK[event_level]:
            out.warn(
                f"{where} ({attr_uuid}): tlp:{own} is less restrictive than the event's "
                f"tlp:{event_level}; the event's applies"
            )
        else:
            level = own
    meta = scalars(raw, _ATTRIBUTE_KEYS)
    meta["uuid"], meta["type"], meta["value"], meta["to_ids"] = attr_uuid, kind, value, to_ids
    meta["Tag"] = tags
    sightings = raw.get("Sighting")
    if sightings is not None and not isinstance(sightings, list):
        raise IntelInputError(f"{where}: 'Sighting' is not a list", location=where)
    relation = raw.get("object_relation")
    comment = raw.get("comment")
    category = raw.get("category")
    return MispAttribute(
        where=where,
        uuid=attr_uuid,
        type=kind.strip(),
        value=value,
        to_ids=to_ids,
        level=level,
        meta=meta,
        sightings=[s for s in sightings or [] if isinstance(s, dict)],
        relation=relation if isinstance(relation, str) else "",
        comment=comment if isinstance(comment, str) else "",
        category=category if isinstance(category, str) else "",
        timestamp=from_epoch(raw.get("timestamp")),
        first_seen=from_iso(raw.get("first_seen")),
        last_seen=from_iso(raw.get("last_seen")),
    )


def with_value(attr: MispAttribute, value: str, kind: str) -> MispAttribute:
    """``attr`` read as another type with another value (an object's parts joined)."""
    return MispAttribute(**{**attr.__dict__, "value": value, "type": kind})
