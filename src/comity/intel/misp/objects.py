"""What an event's attributes and MISP objects become, with their sightings and references.

    add_attribute(out, attribute, report_id, event_uuid)    # outside any object
    add_object(out, raw, "Event.Object[0]", report_id, event_uuid, level)
    add_references(out, event, report_id, "Event")          # after all objects

An attribute becomes its observables and, keeping its UUID, an ``indicator`` (``to_ids``),
``observed-data`` or a ``note``. A MISP object becomes one such container keyed by its UUID
(an ``identity`` for a person, a ``location`` for a geolocation), its attributes' observables
merged where they describe one thing (a file; a bank account). Sightings become ``sighting``
objects of the attribute's container, object references ``relationship`` objects between
containers. Each container carries what MISP said (``x_misp_attribute``, ``x_misp_object``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from comity.intel.errors import IntelInputError
from comity.intel.misp.attributes import MispAttribute, read_attribute, with_value
from comity.intel.misp.collector import Collector
from comity.intel.misp.containers import (
    indicator,
    location,
    note,
    observed,
    organisation,
    person,
    stix_object,
)
from comity.intel.misp.fields import (
    EPOCH,
    derived_uuid,
    from_epoch,
    is_deleted,
    scalars,
    uuid_text,
)
from comity.intel.misp.scos import (
    BANK_TYPES,
    FILE_TYPES,
    TEXT_TYPES,
    bank_sco,
    file_comparisons,
    file_of,
    ifsc_of,
    scos_of,
    value_comparisons,
)
from comity.intel.misp.tags import combine

_OBJECT_KEYS: Final = (
    "uuid",
    "name",
    "meta-category",
    "description",
    "template_uuid",
    "template_version",
    "comment",
    "timestamp",
    "distribution",
    "first_seen",
    "last_seen",
)
"""What an object keeps of MISP's fields (``x_misp_object``), besides its attributes."""

_REFERENCE_KEYS: Final = ("uuid", "referenced_uuid", "relationship_type", "comment", "timestamp")
_SIGHTING_KEYS: Final = ("uuid", "type", "date_sighting", "source")
_RELATIONSHIP: Final = re.compile(r"[^a-z0-9-]+")


def add_attribute(out: Collector, attr: MispAttribute, report_id: str, event_uuid: str) -> None:
    """An attribute outside any object: observables plus an indicator, observed-data or note."""
    scos = scos_of(out, attr)
    sco_ids = [out.add(sco, attr.level, report_id) for sco, _ in scos]
    comparisons = [c for _, cs in scos for c in cs]
    extra = {"x_misp_attribute": attr.meta, "x_misp_event_uuid": event_uuid}
    stamp = attr.timestamp or EPOCH
    if scos and attr.to_ids and comparisons:
        container = indicator(attr.uuid, comparisons, attr, stamp)
    elif scos:
        container = observed(f"observed-data--{attr.uuid}", sco_ids, attr, stamp)
    else:
        if attr.type not in TEXT_TYPES:
            out.warn(
                f"{attr.where} ({attr.uuid}): MISP type {attr.type[:40]!r} has no STIX "
                "mapping; kept as a note"
            )
        container = note(f"note--{attr.uuid}", attr.value, attr.type, [report_id], stamp)
    if scos and container["type"] == "indicator":
        container["x_misp_observables"] = list(dict.fromkeys(sco_ids))
    container.update(extra)
    container_id = out.add(container, attr.level, report_id)
    out.container_of[attr.uuid] = container_id
    _add_sightings(out, attr, container_id, report_id)


def add_object(
    out: Collector,
    raw: Any,
    where: str,
    report_id: str,
    event_uuid: str,
    event_level: str | None,
) -> None:
    """A MISP object: one container for its attributes, or a rejection saying why not."""
    if not isinstance(raw, dict):
        out.reject(where, None, "not a JSON object (a MISP object)")
        return
    obj_uuid = uuid_text(raw.get("uuid"))
    name = raw.get("name")
    if raw.get("uuid") is not None and obj_uuid is None:
        out.reject(where, str(raw.get("uuid"))[:60], "'uuid' is not a UUID")
        return
    if not isinstance(name, str) or not name.strip():
        out.reject(where, obj_uuid, "a MISP object without a 'name'")
        return
    if is_deleted(raw):
        out.warn(f"{where} ({obj_uuid}): deleted in MISP; not imported")
        return
    attributes_raw = raw.get("Attribute") or []
    references = raw.get("ObjectReference") or []
    if not isinstance(attributes_raw, list) or not isinstance(references, list):
        raise IntelInputError(
            f"{where}: 'Attribute' and 'ObjectReference' must be lists", location=where
        )
    if obj_uuid is None:
        obj_uuid = derived_uuid("object", where, name)
        out.warn(f"{where}: object without uuid; derived {obj_uuid}")
    if obj_uuid in out.seen_uuids:
        out.reject(where, obj_uuid, "duplicate: another object has this uuid")
        return
    attributes: list[MispAttribute] = []
    for index, item in enumerate(attributes_raw):
        parsed = read_attribute(out, item, f"{where}.Attribute[{index}]", event_level)
        if parsed is not None:
            attributes.append(parsed)
    if len(attributes) < len([a for a in attributes_raw if not is_deleted(a)]):
        out.reject(where, obj_uuid, "not imported: an attribute of it is invalid (above)")
        return
    out.seen_uuids.add(obj_uuid)
    name = name.strip()
    level = combine([a.level for a in attributes] or [event_level])
    meta = scalars(raw, _OBJECT_KEYS)
    meta["uuid"], meta["name"] = obj_uuid, name
    meta["Attribute"] = [a.meta for a in attributes]
    meta["ObjectReference"] = [
        scalars(ref, _REFERENCE_KEYS) for ref in references if isinstance(ref, dict)
    ]
    stamp = from_epoch(raw.get("timestamp")) or max(
        (a.timestamp for a in attributes if a.timestamp), default=EPOCH
    )
    scos, comparisons = _object_scos(out, name, attributes, report_id)
    extra = {"x_misp_object": meta, "x_misp_event_uuid": event_uuid}
    comment = raw["comment"] if isinstance(raw.get("comment"), str) else ""
    container: dict[str, Any]
    if name == "person":
        container = person(obj_uuid, attributes, stamp)
    elif name == "geolocation":
        container = location(obj_uuid, attributes, stamp, comment)
    elif comparisons:
        container = indicator(obj_uuid, comparisons, None, stamp, name=name, comment=comment)
    elif scos:
        first = min((a.first_seen for a in attributes if a.first_seen), default=None)
        container = observed(f"observed-data--{obj_uuid}", scos, None, stamp, first)
    else:
        if name != "transaction":
            out.warn(
                f"{where} ({obj_uuid}): MISP object {name[:40]!r} has no STIX mapping; "
                "kept as a note"
            )
        content = "\n".join(f"{a.relation or a.type}: {a.value}" for a in attributes)
        container = note(f"note--{obj_uuid}", content, name, [report_id], stamp)
    if scos and container["type"] in ("identity", "location", "indicator"):
        container["x_misp_observables"] = scos
    container.update(extra)
    container_id = out.add(container, level, report_id)
    out.container_of[obj_uuid] = container_id
    for attr in attributes:
        out.container_of.setdefault(attr.uuid, container_id)
        _add_sightings(out, attr, container_id, report_id)


def _object_scos(
    out: Collector, name: str, attributes: list[MispAttribute], report_id: str
) -> tuple[list[str], list[str]]:
    """The observables of an object's attributes, merged, and the ``to_ids`` comparisons."""
    sco_ids: list[str] = []
    comparisons: list[str] = []
    rest = list(attributes)
    files = [a for a in rest if a.type in FILE_TYPES]
    if files:
        file = file_of(out, files)
        if file is not None:
            rest = [a for a in rest if all(a is not f for f in files)]
            sco_ids.append(out.add(file, combine(a.level for a in files), report_id))
            if any(a.to_ids for a in files):
                comparisons.extend(file_comparisons(file))
    bank = [a for a in rest if a.type in BANK_TYPES or ifsc_of(a)]
    if any(a.type in ("iban", "bank-account-nr") for a in bank):
        rest = [a for a in rest if all(a is not b for b in bank)]
        account = bank_sco(out, bank, rest)
        sco_ids.append(out.add(account, combine(a.level for a in bank), report_id))
        if any(a.to_ids for a in bank):
            comparisons.extend(value_comparisons(account))
    symbol = next((a.value.strip().lower() for a in rest if a.relation == "symbol"), None)
    for attr in rest:
        if name == "coin-address" and attr.relation == "address" and symbol:
            attr = with_value(attr, f"{symbol}:{attr.value.strip()}", "btc")
        elif name == "asn" and attr.relation == "asn":
            attr = with_value(attr, attr.value, "AS")
        for sco, found in scos_of(out, attr):
            sco_ids.append(out.add(sco, attr.level, report_id))
            if attr.to_ids:
                comparisons.extend(found)
    return list(dict.fromkeys(sco_ids)), comparisons


def _add_sightings(out: Collector, attr: MispAttribute, container_id: str, report_id: str) -> None:
    """An attribute's sightings (type 0) as ``sighting`` objects; the others kept in its meta."""
    kept = []
    for index, raw in enumerate(attr.sightings):
        kind = str(raw.get("type", "0"))
        when = from_epoch(raw.get("date_sighting"))
        if kind != "0" or when is None:
            kept.append(scalars(raw, _SIGHTING_KEYS))
            reason = (
                "a false-positive or expiration sighting has no STIX equivalent"
                if kind != "0"
                else "no valid date_sighting"
            )
            out.warn(f"{attr.where}.Sighting[{index}]: {reason}; kept in x_misp_attribute")
            continue
        sighting_uuid = uuid_text(raw.get("uuid")) or derived_uuid(
            "sighting", attr.uuid, str(index), when
        )
        sighting = stix_object("sighting", f"sighting--{sighting_uuid}", when)
        sighting.update(
            first_seen=when,
            last_seen=when,
            count=1,
            sighting_of_ref=container_id,
            x_misp_attribute_uuid=attr.uuid,
        )
        source = raw.get("source")
        if isinstance(source, str) and source:
            sighting["x_misp_source"] = source[:500]
        identity = organisation(raw.get("Organisation"), when)
        if identity is not None:
            sighting["where_sighted_refs"] = [out.add(identity, attr.level, report_id)]
        out.add(sighting, attr.level, report_id)
    if kept:
        attr.meta["Sighting"] = kept


def add_references(out: Collector, raw: dict[str, Any], report_id: str, where: str) -> None:
    """An event's ``ObjectReference`` → ``relationship`` between the containers it links."""
    containers = out.container_of
    for o_index, obj in enumerate(raw.get("Object") or []):
        if not isinstance(obj, dict):
            continue
        source = containers.get(uuid_text(obj.get("uuid")) or "")
        references = obj.get("ObjectReference")
        if source is None or not isinstance(references, list):
            continue
        for r_index, ref in enumerate(references):
            here = f"{where}.Object[{o_index}].ObjectReference[{r_index}]"
            if not isinstance(ref, dict):
                out.warn(f"{here}: not a JSON object; ignored")
                continue
            target = containers.get(uuid_text(ref.get("referenced_uuid")) or "")
            kind = _RELATIONSHIP.sub("-", str(ref.get("relationship_type", "")).lower())
            kind = kind.strip("-")[:100] or "related-to"
            if target is None:
                out.warn(
                    f"{here}: refers to {str(ref.get('referenced_uuid'))[:60]!r}, not in "
                    "this event (or not imported); no relationship made"
                )
                continue
            ref_uuid = uuid_text(ref.get("uuid")) or derived_uuid("ref", source, target, kind)
            stamp = from_epoch(ref.get("timestamp")) or EPOCH
            relationship = stix_object("relationship", f"relationship--{ref_uuid}", stamp)
            relationship.update(relationship_type=kind, source_ref=source, target_ref=target)
            level = combine([*out.levels[source], *out.levels[target]])
            out.add(relationship, level, report_id)
