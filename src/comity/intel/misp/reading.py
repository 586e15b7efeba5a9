"""Reading MISP's JSON: recognizing it, the shapes events come in, each event as a report.

    looks_like_misp(data)                       # is it MISP's JSON? (the first 4 KiB decide)
    parsed = convert(document, ReadOptions("event.json"))

Events come as ``{"Event": …}``, a list of those, the API's ``{"response": […]}`` or a bare
event (:func:`events_in`). An event becomes a STIX ``report`` keeping its UUID, named by its
``info``, created by an ``identity`` for its creator organisation (``Orgc``), its non-TLP tags
as ``labels``; its attributes and objects are converted by :mod:`comity.intel.misp.objects`,
its event reports become notes.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from comity.intel.errors import IntelInputError
from comity.intel.importers import ReadOptions
from comity.intel.misp.attributes import read_attribute
from comity.intel.misp.collector import Collector
from comity.intel.misp.containers import note, organisation, stix_object
from comity.intel.misp.fields import (
    EPOCH,
    derived_uuid,
    flag,
    from_epoch,
    from_iso,
    is_deleted,
    scalars,
    text_value,
    uuid_text,
)
from comity.intel.misp.objects import add_attribute, add_object, add_references
from comity.intel.misp.tags import labels, level_of_tags, tag_names
from comity.intel.stix import ParsedObjects

_EVENT_START: Final = re.compile(rb'\A\s*\[?\s*\{\s*"(?:Event|response)"\s*:')
_BARE_KEYS: Final = re.compile(rb'"(?:Attribute|Object|info|orgc_id|threat_level_id)"\s*:')

_EVENT_KEYS: Final = (
    "uuid",
    "info",
    "date",
    "threat_level_id",
    "analysis",
    "distribution",
    "published",
    "timestamp",
    "publish_timestamp",
    "extends_uuid",
    "x_comity_provenance",
)
"""What a report keeps of its event's fields (``x_misp_event``)."""

_NOT_IMPORTED: Final = {
    "ShadowAttribute": "proposals awaiting the event owner's decision",
    "CryptographicKey": "no STIX equivalent",
    "RelatedEvent": "references to events on the source MISP instance",
}
"""Event parts not imported, and why (galaxies are kept: their tags become labels)."""


def looks_like_misp(data: bytes) -> bool:
    """MISP's JSON: ``{"Event": …}``, a list of those, ``{"response": […]}`` or a bare event."""
    head = data[:4096].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if _EVENT_START.match(head):
        return True
    if not head.startswith(b"{") or re.search(rb'"type"\s*:\s*"bundle"', head):
        return False
    return len(set(_BARE_KEYS.findall(head))) >= 2


def events_in(document: Any) -> list[tuple[str, Any]]:
    """The events of a MISP JSON document, each with where it is (for messages)."""
    if isinstance(document, dict):
        if "Event" in document:
            return [("Event", document["Event"])]
        if isinstance(document.get("response"), list):
            return [
                (
                    f"response[{i}].Event",
                    item.get("Event", item) if isinstance(item, dict) else item,
                )
                for i, item in enumerate(document["response"])
            ]
        if document.get("type") != "bundle" and any(
            key in document for key in ("Attribute", "Object", "info")
        ):
            return [("event", document)]
        raise IntelInputError(
            'not a MISP event: expected {"Event": {...}}, a list of those, or an event '
            "with 'info', 'Attribute' or 'Object'"
        )
    if isinstance(document, list):
        if not document:
            raise IntelInputError("an empty list: no MISP event to import")
        events = []
        for index, item in enumerate(document):
            if not isinstance(item, dict):
                raise IntelInputError(f"item {index} is not a MISP event", item=index)
            events.append((f"[{index}].Event", item.get("Event", item)))
        return events
    raise IntelInputError("not a MISP event: the document is not a JSON object or list")


def convert(document: Any, options: ReadOptions) -> ParsedObjects:
    """MISP events (parsed JSON) as checked STIX objects; see :mod:`comity.intel.misp`."""
    out = Collector(options)
    for where, event in events_in(document):
        _event(out, event, where)
    return out.result()


def _event(out: Collector, raw: Any, where: str) -> None:
    """Convert one event (the object inside ``{"Event": …}``)."""
    if not isinstance(raw, dict):
        raise IntelInputError(f"{where} is not a JSON object (a MISP event)", location=where)
    for key in ("Attribute", "Object", "EventReport"):
        if raw.get(key) is not None and not isinstance(raw[key], list):
            raise IntelInputError(f"{where}: '{key}' is not a list", location=where)
    event_uuid = uuid_text(raw.get("uuid"))
    if event_uuid is None:
        if raw.get("uuid") not in (None, ""):
            raise IntelInputError(
                f"{where}: 'uuid' {str(raw.get('uuid'))[:60]!r} is not a UUID",
                location=where,
            )
        event_uuid = derived_uuid("event", json.dumps(raw.get("info")), str(raw.get("date")))
        out.warn(f"{where} has no uuid; derived {event_uuid}")
    info = raw.get("info")
    if not isinstance(info, str) or not info.strip():
        out.warn(f"{where} has no 'info'; named after its uuid")
        info = f"MISP event {event_uuid}"
    here = out.located(where)
    tags = tag_names(raw.get("Tag"), here, out.warnings)
    level = level_of_tags(tags, here, out.warnings)
    created, modified, published = _event_times(out, raw, where)
    report_id = f"report--{event_uuid}"
    creator_identity = organisation(raw.get("Orgc"), created)
    creator = None if creator_identity is None else out.add(creator_identity, level, report_id)
    meta = scalars(raw, _EVENT_KEYS)
    if isinstance(raw.get("x_comity_provenance"), dict):
        meta["x_comity_provenance"] = raw["x_comity_provenance"]
    for org_key in ("Orgc", "Org"):
        org = raw.get(org_key)
        if isinstance(org, dict):
            meta[org_key] = {k: org[k] for k in ("name", "uuid") if isinstance(org.get(k), str)}
    meta["uuid"], meta["info"], meta["Tag"] = event_uuid, info, tags

    for index, attribute in enumerate(raw.get("Attribute") or []):
        out.position += 1
        parsed = read_attribute(out, attribute, f"{where}.Attribute[{index}]", level)
        if parsed is not None:
            add_attribute(out, parsed, report_id, event_uuid)
    for index, obj in enumerate(raw.get("Object") or []):
        out.position += 1
        add_object(out, obj, f"{where}.Object[{index}]", report_id, event_uuid, level)
    add_references(out, raw, report_id, where)
    for index, report_note in enumerate(raw.get("EventReport") or []):
        _event_report(out, report_note, f"{where}.EventReport[{index}]", report_id, level)
    for key, why in _NOT_IMPORTED.items():
        items = raw.get(key)
        if isinstance(items, list) and items:
            out.warn(f"{where}: {len(items)} {key} entries are not imported ({why})")
    report = stix_object("report", report_id, created)
    report.update(
        modified=modified,
        published=published,
        name=info[:1000],
        report_types=["threat-report"],
        object_refs=[],
        x_misp_event=meta,
    )
    found = labels(tags)
    if found:
        report["labels"] = found
    if creator is not None:
        report["created_by_ref"] = creator
    out.add(report, level, report_id)


def _event_times(out: Collector, raw: dict[str, Any], where: str) -> tuple[str, str, str]:
    """An event's ``created`` (its date), ``modified`` and ``published`` as STIX timestamps."""
    date = from_iso(raw.get("date")) if raw.get("date") else None
    stamp = from_epoch(raw.get("timestamp"))
    if raw.get("date") and date is None:
        out.warn(f"{where}: 'date' {str(raw.get('date'))[:40]!r} is not a date")
    if raw.get("timestamp") not in (None, "") and stamp is None:
        out.warn(f"{where}: 'timestamp' {str(raw.get('timestamp'))[:40]!r} is not epoch")
    created = date or stamp or EPOCH
    modified = max(stamp or created, created)
    published = created
    if flag(raw.get("published")):
        published = from_epoch(raw.get("publish_timestamp")) or modified
    return created, modified, published


def _event_report(out: Collector, raw: Any, where: str, report_id: str, level: str | None) -> None:
    """An ``EventReport`` (markdown) as a ``note`` of the event's report."""
    if not isinstance(raw, dict) or is_deleted(raw):
        return
    note_uuid = uuid_text(raw.get("uuid"))
    content = text_value(raw.get("content"))
    if note_uuid is None or content is None:
        out.warn(f"{where}: an event report without uuid or content; not imported")
        return
    stamp = from_epoch(raw.get("timestamp")) or EPOCH
    name = raw.get("name") if isinstance(raw.get("name"), str) else "event report"
    made = note(f"note--{note_uuid}", content, "event report", [report_id], stamp)
    made["abstract"] = str(name)[:500]
    made["x_misp_event_report"] = scalars(raw, ("uuid", "name", "timestamp", "distribution"))
    out.add(made, level, report_id)
