"""STIX → MISP: what a recipient may receive, as MISP events (:func:`export_misp`).

    document, withheld = export_misp(session, actor, Recipient.file("amber"), "fraud-infra")
    count = sum(1 for _ in attributes_of(document["Event"]))

What :func:`~comity.intel.exporting.select_for` lets the recipient have (the TLP policy)
becomes one event per report, its attributes and objects rebuilt from what MISP said (UUIDs,
values, tags, references, sightings), TLP tags from each object's level on this node. Objects
that did not come from MISP become attributes of the event whose report references them, or
of one event for the rest of the collection; those with no MISP equivalent are counted as
withheld.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from comity.intel.exporting import audit_export, provenance_of, select_for
from comity.intel.mapping import identifiers_in
from comity.intel.misp.fields import EPOCH, derived_uuid, epoch_of, uuid_of
from comity.intel.misp.tags import tags_out
from comity.intel.tlp import RANK

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from comity.identity.services import Actor
    from comity.intel.models import IntelObject
    from comity.intel.policy import Recipient

_EXPORT_TYPES: Final = {
    "ipv4-addr": ("ip-dst", "Network activity"),
    "ipv6-addr": ("ip-dst", "Network activity"),
    "domain-name": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "email-addr": ("email", "Payload delivery"),
    "file-md5": ("md5", "Payload installation"),
    "file-sha1": ("sha1", "Payload installation"),
    "file-sha256": ("sha256", "Payload installation"),
    "phone-number": ("phone-number", "Financial fraud"),
    "bank-account": ("bank-account-nr", "Financial fraud"),
    "cryptocurrency-wallet": ("btc", "Financial fraud"),
    "upi-id": ("text", "Financial fraud"),
    "user-account": ("text", "Social network"),
}
"""Observable type → MISP attribute type and category, for objects that did not come from MISP."""

_EXPORT_SILENT: Final = frozenset({"marking-definition", "extension-definition"})


@dataclass
class _EventOut:
    """An event being assembled for export."""

    uuid: str
    level: str | None
    body: dict[str, Any]
    attributes: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    values: set[str] = field(default_factory=set)
    levels: list[str] = field(default_factory=list)


def export_misp(
    session: Session, actor: Actor, recipient: Recipient, collection: str | None = None
) -> tuple[dict[str, Any] | list[dict[str, Any]], list[dict[str, Any]]]:
    """MISP events of what ``recipient`` may receive, and what was withheld and why.

    One event per report (its UUID kept); objects no report covers form one event for the
    collection. Returns ``{"Event": …}`` for one event, a list of those for several.
    """
    selection = select_for(session, actor, recipient, collection)
    rows = [(row, json.loads(row.body)) for row in selection.rows]
    not_mapped: Counter[str] = Counter()
    events = _assemble(rows, selection.origins, actor, collection, not_mapped)
    for obj_type, count in not_mapped.items():
        selection.withheld[f"no MISP equivalent ({obj_type})"] += count
    documents = [{"Event": event} for event in events]
    audit_export(session, actor, "misp", recipient, collection, len(selection.rows), selection)
    document: dict[str, Any] | list[dict[str, Any]] = (
        documents[0] if len(documents) == 1 else documents
    )
    return document, selection.withheld_list()


def attributes_of(event: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every attribute of a MISP event: its own, then those of its objects."""
    yield from event.get("Attribute") or ()
    for obj in event.get("Object") or ():
        yield from obj.get("Attribute") or ()


def _assemble(
    rows: list[tuple[IntelObject, dict[str, Any]]],
    origins: Mapping[uuid.UUID, str],
    actor: Actor,
    collection: str | None,
    not_mapped: Counter[str],
) -> list[dict[str, Any]]:
    """Group the selected objects into events: MISP's own first, then everything else."""
    by_id = {obj["id"]: (row, obj) for row, obj in rows}
    events: dict[str, _EventOut] = {}
    member_of: dict[str, str] = {}
    for row, obj in rows:
        if obj["type"] in ("report", "grouping"):
            out = _event_skeleton(row, obj, by_id, origins, actor)
            events[out.uuid] = out
            for ref in obj.get("object_refs") or ():
                member_of.setdefault(ref, out.uuid)
    rest_body = _generic_event(actor, collection)
    rest = _EventOut(uuid=rest_body["uuid"], level=None, body=rest_body)

    def event_for(obj: Mapping[str, Any]) -> _EventOut:
        home = obj.get("x_misp_event_uuid")
        found = events.get(home) if isinstance(home, str) else None
        return found or events.get(member_of.get(obj["id"], "")) or rest

    covered: set[str] = set()
    organisations: set[str] = set()
    sightings: list[dict[str, Any]] = []
    generic: list[tuple[IntelObject, dict[str, Any]]] = []
    for row, obj in rows:
        kind = obj["type"]
        organisations.update(obj.get("where_sighted_refs") or ())
        if isinstance(obj.get("created_by_ref"), str):
            organisations.add(obj["created_by_ref"])
        if kind in ("report", "grouping"):
            continue
        if kind == "sighting":
            sightings.append(obj)
        elif "x_misp_attribute" in obj or "x_misp_object" in obj:
            target = event_for(obj)
            if "x_misp_attribute" in obj:
                target.attributes.append(_attribute_out(obj["x_misp_attribute"], row.tlp, target))
            else:
                target.objects.append(_object_out(obj["x_misp_object"], row.tlp, target))
            if kind == "observed-data":
                covered.update(obj.get("object_refs") or ())
            covered.update(obj.get("x_misp_observables") or ())
        elif "x_misp_event_report" in obj:
            report = {**obj["x_misp_event_report"], "content": obj.get("content", "")}
            event_for(obj).reports.append(report)
        else:
            generic.append((row, obj))
    from_misp = {
        obj["id"] for _row, obj in rows if "x_misp_attribute" in obj or "x_misp_object" in obj
    }
    for row, obj in generic:
        kind = obj["type"]
        if obj["id"] in covered or kind in _EXPORT_SILENT:
            continue
        if kind == "relationship" and {obj.get("source_ref"), obj.get("target_ref")} <= from_misp:
            continue  # an object reference: kept inside its MISP object
        if kind == "identity" and obj["id"] in organisations:
            continue
        if not _generic_attributes(obj, row.tlp, event_for(obj)):
            not_mapped[kind] += 1
    finished = [
        _finish(out)
        for out in [*events.values(), rest]
        if out is not rest or rest.attributes or rest.objects
    ]
    _attach_sightings(sightings, finished)
    return finished


def _own_organisation(actor: Actor) -> dict[str, str]:
    """This node's agency as a MISP organisation (``Org``, and ``Orgc`` of what it made)."""
    return {"name": actor.agency.name, "uuid": derived_uuid("agency", actor.agency.code)}


def _event_skeleton(
    row: IntelObject,
    obj: dict[str, Any],
    by_id: Mapping[str, tuple[IntelObject, dict[str, Any]]],
    origins: Mapping[uuid.UUID, str],
    actor: Actor,
) -> _EventOut:
    """The event of a report or grouping, without its attributes and objects yet."""
    meta = dict(obj.get("x_misp_event") or {})
    event_uuid = uuid_of(obj["id"])
    creator = by_id.get(obj.get("created_by_ref") or "")
    own = _own_organisation(actor)
    orgc = meta.get("Orgc") or (
        {"name": creator[1].get("name"), "uuid": uuid_of(creator[1]["id"])} if creator else own
    )
    published = obj.get("published") or obj.get("created") or EPOCH
    provenance = provenance_of(row, origins, actor)
    if isinstance(meta.get("x_comity_provenance"), dict):
        provenance["earlier"] = meta["x_comity_provenance"]
    tags: list[Any] = meta["Tag"] if isinstance(meta.get("Tag"), list) else obj.get("labels") or []
    body: dict[str, Any] = {
        "uuid": event_uuid,
        "info": meta.get("info") or obj.get("name") or f"STIX {obj['type']} {event_uuid}",
        "date": meta.get("date") or str(published)[:10],
        "threat_level_id": meta.get("threat_level_id", "4"),
        "analysis": meta.get("analysis", "0"),
        "distribution": meta.get("distribution", "0"),
        "published": bool(meta.get("published", False)),
        "timestamp": meta.get("timestamp") or epoch_of(obj.get("modified") or published),
        "Orgc": orgc,
        "Org": meta.get("Org") or own,
        "Tag": tags_out([str(t) for t in tags], row.tlp, None),
        "x_comity_provenance": provenance,
    }
    for key in ("publish_timestamp", "extends_uuid"):
        if key in meta:
            body[key] = meta[key]
    return _EventOut(uuid=event_uuid, level=row.tlp, body=body)


def _generic_event(actor: Actor, collection: str | None) -> dict[str, Any]:
    """The event for what no report covers: this agency's, for the collection."""
    now = datetime.now(UTC)
    own = _own_organisation(actor)
    return {
        "uuid": derived_uuid("export", actor.agency.code, collection or "*"),
        "info": f"Comity intelligence of {actor.agency.code}"
        + (f", collection {collection}" if collection else ""),
        "date": f"{now:%Y-%m-%d}",
        "threat_level_id": "4",
        "analysis": "0",
        "distribution": "0",
        "published": False,
        "timestamp": str(int(now.timestamp())),
        "Orgc": own,
        "Org": own,
        "Tag": [],
    }


def _attribute_out(meta: Mapping[str, Any], level: str, event: _EventOut) -> dict[str, Any]:
    attribute = {k: v for k, v in meta.items() if k not in ("Tag", "Sighting")}
    tags = [str(t) for t in meta.get("Tag") or []]
    attribute["Tag"] = tags_out(tags, level, event.level)
    attribute["Sighting"] = list(meta.get("Sighting") or [])
    event.values.add(str(meta.get("value", "")))
    event.levels.append(level)
    return attribute


def _object_out(meta: Mapping[str, Any], level: str, event: _EventOut) -> dict[str, Any]:
    obj = {k: v for k, v in meta.items() if k not in ("Attribute", "ObjectReference")}
    obj["Attribute"] = [_attribute_out(a, level, event) for a in meta.get("Attribute") or []]
    obj["ObjectReference"] = list(meta.get("ObjectReference") or [])
    return obj


def _generic_attributes(obj: dict[str, Any], level: str, event: _EventOut) -> int:
    """Attributes for an object that did not come from MISP; how many (0: it maps to none)."""
    from comity.intel.observables import normalize

    pairs: list[tuple[str, str, str, str]] = []
    if obj["type"] == "note" and isinstance(obj.get("content"), str):
        pairs.append(("comment", "Other", obj["content"], str(obj.get("abstract") or "")))
    for kind, raw in identifiers_in(obj):
        if kind not in _EXPORT_TYPES or raw in event.values:
            continue
        misp_type, category = _EXPORT_TYPES[kind]
        value, comment = raw, ""
        canonical = normalize(kind, raw).value
        if kind == "bank-account" and canonical[:2].isalpha() and ":" not in canonical:
            misp_type = "iban"
        elif kind == "cryptocurrency-wallet":
            chain, _, address = canonical.partition(":")
            if chain == "btc" and address:
                value = address
            else:
                misp_type, comment = "text", f"cryptocurrency wallet ({chain or 'unknown'})"
        elif kind in ("upi-id", "user-account"):
            comment = kind
        pairs.append((misp_type, category, value, comment))
    to_ids = obj["type"] == "indicator"
    base_uuid = uuid_of(obj["id"])
    stamp = obj.get("modified") or obj.get("created")
    for index, (misp_type, category, value, comment) in enumerate(pairs):
        meta = {
            "uuid": base_uuid if index == 0 else derived_uuid(obj["id"], str(index)),
            "type": misp_type,
            "category": category,
            "value": value,
            "to_ids": to_ids,
            "comment": comment or str(obj.get("description") or "")[:1000],
            "distribution": "5",
            "timestamp": epoch_of(stamp) if isinstance(stamp, str) else "0",
            "Tag": [],
        }
        event.attributes.append(_attribute_out(meta, level, event))
    return len(pairs)


def _finish(out: _EventOut) -> dict[str, Any]:
    """The event's JSON: its TLP tag, attributes, objects (references kept inside), reports."""
    body = dict(out.body)
    if out.level is None:  # the collection's event: the least restrictive level inside it
        least = min(out.levels, key=RANK.__getitem__) if out.levels else "clear"
        body["Tag"] = [*body["Tag"], {"name": f"tlp:{least}"}]
    body["Attribute"] = out.attributes
    body["Object"] = out.objects
    uuids = {str(a.get("uuid")) for a in attributes_of(body)}
    uuids |= {str(o.get("uuid")) for o in out.objects}
    for obj in out.objects:
        obj["ObjectReference"] = [
            ref for ref in obj["ObjectReference"] if str(ref.get("referenced_uuid")) in uuids
        ]
    if out.reports:
        body["EventReport"] = out.reports
    return body


def _attach_sightings(sightings: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    """Put each exported sighting under the attribute it was of (MISP's ``Sighting``)."""
    attributes = {str(a.get("uuid")): a for event in events for a in attributes_of(event)}
    for obj in sightings:
        target = attributes.get(str(obj.get("x_misp_attribute_uuid")))
        seen = obj.get("first_seen") or obj.get("created")
        if target is None or not isinstance(seen, str):
            continue
        sighting: dict[str, Any] = {
            "uuid": uuid_of(obj["id"]),
            "type": "0",
            "date_sighting": epoch_of(seen),
        }
        if isinstance(obj.get("x_misp_source"), str):
            sighting["source"] = obj["x_misp_source"]
        target["Sighting"].append(sighting)
