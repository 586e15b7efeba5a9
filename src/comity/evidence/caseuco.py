"""The CASE/UCO (JSON-LD) description of an evidence package and its chains of custody.

``build_graph(package, ledgers)`` turns a package's ``comity/package.json`` document and the
custody events of its items into a CASE 1.5.0 / UCO 1.5.0 graph that passes the CASE
project's validator (``case_validate``) without relaxing flags.

Mapping (ledger or package field -> CASE/UCO):

* package -> ``uco-core:Bundle`` (``objectCreatedTime`` = ``created``, ``createdBy`` = the
  sender's organization, ``object`` = the investigation).
* ``case`` -> ``case-investigation:Investigation``: ``name`` = reference, ``description`` =
  title and summary, ``investigationForm`` = ``"case"``, ``focus`` = each offence
  (``"IN: BNS 318(4)"``), ``tag`` = ``jurisdiction:XX``, ``relevantAuthorization`` = every
  ``legal_authority`` entry as ``case-investigation:Authorization``
  (``authorizationType`` = kind, ``authorizationIdentifier`` = reference), ``object`` = every
  other object of the graph.
* agencies (sender, recipient, case agencies, event ``agency``) -> ``uco-identity:Organization``
  (``name``; its ``country`` as a ``uco-location:Location`` with a ``SimpleAddressFacet``,
  linked by an ``AddressFacet``).
* event ``actor`` -> ``uco-identity:Person`` (``name``; ``username`` in a ``tag``), linked to
  its organization by a ``uco-core:Relationship`` ``Affiliated_With`` and to each of its
  ``roles`` (``uco-role:Role``, or ``case-investigation:Examiner``/``Investigator``) by
  ``Has_Role``.
* item -> ``uco-observable:File`` with a ``FileFacet`` (``fileName`` = name, ``filePath`` =
  path, ``sizeInBytes`` = size) and a ``ContentDataFacet`` (``sizeInBytes``, ``hash`` =
  ``uco-types:Hash`` nodes, ``hashMethod`` ``SHA256``/``SHA1``/``MD5`` and ``hashValue``
  typed ``xsd:hexBinary``); the item id is an ``ExternalReference``.
* ``acquisition.device`` -> ``uco-observable:MobileDevice`` (type ``mobile`` or an IMEI),
  ``Computer``, ``Server``, ``StorageMedium`` or ``Device`` with a ``DeviceFacet``
  (``deviceType``, ``model``, ``serialNumber``, ``manufacturer`` = an Organization named
  ``make``) and a ``MobileDeviceFacet`` (``IMEI``); ``mac`` becomes a ``MACAddress`` and
  ``cloud_id`` an ``Account``, each ``Contained_Within`` the device; ``colour`` goes in the
  device's ``description``.
* each custody event -> ``case-investigation:InvestigativeAction``: ``name`` = ``action``,
  ``startTime`` = ``at``, ``performer`` = the actor's Person, ``instrument`` = the Comity
  node (a ``uco-tool:Tool`` identified by the ``node`` key fingerprint), the acquisition tool
  (``tool``/``tool_version`` of the details or of the item's acquisition) and the
  ``Authorization`` named by ``authority``; ``location`` = ``place``; ``participant`` = the
  acquisition examiner (when not the actor) and the other agency of a hand-over
  (``details.recipient`` / ``details.sender``); ``description`` = sequence, exhibit, local
  time and zone, purpose, authority, ``details.package_id``, ``item_sha256``; the event id
  is an ``ExternalReference`` (``definingContext`` ``comity:custody-event``), and so is
  the event's chain ``hash`` when the ledger view carries one.
* its ``result`` is a ``case-investigation:ProvenanceRecord`` (``exhibitNumber`` = the
  event's ``exhibit``, ``rootExhibitNumber`` = the item's ``root_exhibit``, ``object`` = the
  File, ``objectCreatedTime`` = ``at``) and, for ``acquired``, the File itself. The next
  action's ``object`` is that record and the File, and it ``wasInformedBy`` the previous
  action; the first ``acquired`` action's object is the source device when there is one.

Every node's IRI is ``kb:<kind>-<uuid5>``, the UUID derived from the ids in the input (event
ids, item ids, case and package ids, codes), so the same input always gives the same graph.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from comity import __version__

CASE_VERSION = "1.5.0"  # validated with case-utils 0.18.0 (CASE 1.5.0, UCO 1.5.0)
KB = "urn:comity:kb:"
EVENT_CONTEXT = "comity:custody-event"
EVENT_HASH_CONTEXT = "comity:custody-event-hash"
ITEM_CONTEXT = "comity:evidence-item"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:comity:case-uco")

CONTEXT: dict[str, str] = {
    "kb": KB,
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-role": "https://ontology.unifiedcyberontology.org/uco/role/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

HASH_METHODS = {"sha256": "SHA256", "sha1": "SHA1", "md5": "MD5"}
DEVICE_CLASSES = {
    "mobile": "uco-observable:MobileDevice",
    "computer": "uco-observable:Computer",
    "server": "uco-observable:Server",
    "storage-media": "uco-observable:StorageMedium",
    "flash-drive": "uco-observable:StorageMedium",
    "cd-dvd": "uco-observable:StorageMedium",
}
ROLE_CLASSES = {
    "forensic_examiner": "case-investigation:Examiner",
    "investigator": "case-investigation:Investigator",
}
ACTION_TYPE = "case-investigation:InvestigativeAction"
RECORD_TYPE = "case-investigation:ProvenanceRecord"


def node_iri(kind: str, *keys: str) -> str:
    """The IRI of a node of ``kind`` identified by ``keys``: ``kb:<kind>-<uuid5>``."""
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, '|'.join((kind, *keys)))}"


def action_iri(event_id: str) -> str:
    """The IRI of the InvestigativeAction describing custody event ``event_id``."""
    return node_iri("investigative-action", event_id)


def record_iri(event_id: str) -> str:
    """The IRI of the ProvenanceRecord resulting from custody event ``event_id``."""
    return node_iri("provenance-record", event_id)


def file_iri(item_id: str) -> str:
    """The IRI of the File describing evidence item ``item_id``."""
    return node_iri("file", item_id)


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _refs(iris: Iterable[str]) -> list[dict[str, str]]:
    return [_ref(i) for i in iris]


def _datetime(value: Any) -> dict[str, str] | None:
    """An ``xsd:dateTime`` literal for an ISO 8601 text, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    else:
        text = moment.isoformat()
    return {"@type": "xsd:dateTime", "@value": text}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# Identifiers of a device that UCO models as observables of their own, contained within it:
# (acquisition field, IRI kind, UCO type (its facet is the type + "Facet"), value property).
_CONTAINED_IDENTIFIERS = (
    ("mac", "mac-address", "MACAddress", "uco-observable:addressValue"),
    ("cloud_id", "account", "Account", "uco-observable:accountIdentifier"),
)


class _Graph:
    """Nodes by IRI, in the order they were first added; later additions merge in."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def add(self, node: dict[str, Any]) -> str:
        iri = str(node["@id"])
        existing = self.nodes.get(iri)
        if existing is None:
            self.nodes[iri] = node
        else:
            for key, value in node.items():
                existing.setdefault(key, value)
        return iri


class _Builder:
    def __init__(self, package: dict[str, Any], ledgers: dict[str, list[dict[str, Any]]]):
        self.package = package
        self.ledgers = ledgers
        self.graph = _Graph()
        self.case: dict[str, Any] = package.get("case") or {}
        self.case_id = str(self.case.get("id") or package.get("package_id") or "")
        self.authorities: dict[str, str] = {}

    # -- identities -------------------------------------------------------------------

    def organization(self, agency: dict[str, Any] | str) -> str:
        info = {"code": agency} if isinstance(agency, str) else agency
        code = str(info.get("code") or "").upper()
        iri = node_iri("organization", code)
        node: dict[str, Any] = {"@id": iri, "@type": "uco-identity:Organization"}
        name = _text(info.get("name"))
        node["uco-core:name"] = f"{name} ({code})" if name else code
        country = _text(info.get("country"))
        if country:
            node["uco-core:hasFacet"] = [
                {
                    "@id": node_iri("address-facet", code),
                    "@type": "uco-identity:AddressFacet",
                    "uco-identity:address": _ref(self.country(country)),
                }
            ]
        return self.graph.add(node)

    def country(self, code: str) -> str:
        code = code.upper()
        iri = node_iri("country", code)
        return self.graph.add(
            {
                "@id": iri,
                "@type": "uco-location:Location",
                "uco-core:name": code,
                "uco-core:hasFacet": [
                    {
                        "@id": node_iri("simple-address-facet", "country", code),
                        "@type": "uco-location:SimpleAddressFacet",
                        "uco-location:country": code,
                    }
                ],
            }
        )

    def relationship(self, source: str, kind: str, target: str) -> str:
        return self.graph.add(
            {
                "@id": node_iri("relationship", source, kind, target),
                "@type": "uco-core:Relationship",
                "uco-core:source": _ref(source),
                "uco-core:target": _ref(target),
                "uco-core:kindOfRelationship": kind,
                "uco-core:isDirectional": True,
            }
        )

    def person(self, actor: dict[str, Any], agency: dict[str, Any]) -> str:
        org = self.organization(agency)
        username = str(actor.get("username") or "")
        iri = node_iri("person", str(agency.get("code") or "").upper(), username)
        node: dict[str, Any] = {"@id": iri, "@type": "uco-identity:Person"}
        name = _text(actor.get("name")) or username
        node["uco-core:name"] = name
        if username:
            node["uco-core:tag"] = f"username:{username}"
        self.graph.add(node)
        self.relationship(iri, "Affiliated_With", org)
        for role in sorted(str(r) for r in actor.get("roles") or []):
            self.relationship(iri, "Has_Role", self.role(role))
        return iri

    def role(self, name: str) -> str:
        return self.graph.add(
            {
                "@id": node_iri("role", name),
                "@type": ROLE_CLASSES.get(name, "uco-role:Role"),
                "uco-core:name": name,
            }
        )

    def examiner(self, name: str, agency_code: str) -> str:
        iri = node_iri("person", agency_code.upper(), "examiner", name)
        self.graph.add({"@id": iri, "@type": "uco-identity:Person", "uco-core:name": name})
        self.relationship(iri, "Affiliated_With", self.organization(agency_code))
        self.relationship(iri, "Has_Role", self.role("forensic_examiner"))
        return iri

    # -- instruments and places ----------------------------------------------------------

    def comity_node(self, fingerprint: str, agency: dict[str, Any]) -> str:
        code = str(agency.get("code") or "").upper()
        return self.graph.add(
            {
                "@id": node_iri("comity-node", fingerprint),
                "@type": "uco-tool:Tool",
                "uco-core:name": f"Comity node of {code}" if code else "Comity node",
                "uco-core:description": (
                    "Comity custody ledger node; its events are hash-chained and their "
                    f"ledger heads signed with the Ed25519 key {fingerprint}"
                ),
                "uco-tool:toolType": "custody ledger",
                "uco-tool:version": __version__,
                "uco-tool:creator": _ref(self.organization(agency)),
            }
        )

    def tool(self, name: str, version: str | None) -> str:
        node: dict[str, Any] = {
            "@id": node_iri("tool", name, version or ""),
            "@type": "uco-tool:Tool",
            "uco-core:name": name,
            "uco-tool:toolType": "acquisition",
        }
        if version:
            node["uco-tool:version"] = version
        return self.graph.add(node)

    def location(self, place: str) -> str:
        return self.graph.add(
            {
                "@id": node_iri("location", place),
                "@type": "uco-location:Location",
                "uco-core:name": place,
            }
        )

    def authorization(self, kind: str | None, reference: str) -> str:
        iri = node_iri("authorization", self.case_id, (kind or "").lower(), reference)
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "case-investigation:Authorization",
            "case-investigation:authorizationIdentifier": reference,
        }
        if kind:
            node["case-investigation:authorizationType"] = kind
        self.graph.add(node)
        self.authorities.setdefault(reference.lower(), iri)
        if kind:
            self.authorities.setdefault(f"{kind}:{reference}".lower(), iri)
        return iri

    def event_authority(self, text: str) -> str:
        found = self.authorities.get(text.strip().lower())
        if found:
            return found
        kind, sep, reference = text.partition(":")
        if sep and kind.strip() and reference.strip():
            return self.authorization(kind.strip().lower(), reference.strip())
        return self.authorization(None, text.strip())

    # -- observables ---------------------------------------------------------------------

    def file(self, item: dict[str, Any]) -> str:
        item_id = str(item["id"])
        iri = file_iri(item_id)
        size = item.get("size")
        file_facet: dict[str, Any] = {
            "@id": node_iri("file-facet", item_id),
            "@type": "uco-observable:FileFacet",
        }
        content: dict[str, Any] = {
            "@id": node_iri("content-data-facet", item_id),
            "@type": "uco-observable:ContentDataFacet",
        }
        if _text(item.get("name")):
            file_facet["uco-observable:fileName"] = item["name"]
        if _text(item.get("path")):
            file_facet["uco-observable:filePath"] = item["path"]
        if isinstance(size, int):
            file_facet["uco-observable:sizeInBytes"] = size
            content["uco-observable:sizeInBytes"] = size
        hashes = item.get("hashes") or {}
        content["uco-observable:hash"] = [
            {
                "@id": node_iri("hash", item_id, method),
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": HASH_METHODS[method],
                "uco-types:hashValue": {
                    "@type": "xsd:hexBinary",
                    "@value": str(hashes[method]).lower(),
                },
            }
            for method in HASH_METHODS
            if hashes.get(method)
        ]
        exhibit = _text(item.get("exhibit"))
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "uco-observable:File",
            "uco-core:name": str(item.get("name") or exhibit or item_id),
            "uco-core:hasFacet": [file_facet, content],
            "uco-core:externalReference": [self.external(ITEM_CONTEXT, item_id)],
        }
        if exhibit:
            payload = _text(item.get("payload"))
            where = f"; in the package at {payload}" if payload else ""
            node["uco-core:description"] = f"Evidence item, exhibit {exhibit}{where}"
        return self.graph.add(node)

    def event_references(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The event id and, when the ledger view carries it, the event's chain hash."""
        found = [self.external(EVENT_CONTEXT, str(event["event"]))]
        digest = _text(event.get("hash"))
        if digest:
            found.append(self.external(EVENT_HASH_CONTEXT, digest))
        return found

    def external(self, context: str, identifier: str) -> dict[str, Any]:
        return {
            "@id": node_iri("external-reference", context, identifier),
            "@type": "uco-core:ExternalReference",
            "uco-core:definingContext": context,
            "uco-core:externalIdentifier": identifier,
        }

    def device(self, item: dict[str, Any]) -> str | None:
        acquisition = item.get("acquisition") or {}
        device = {k: str(v) for k, v in (acquisition.get("device") or {}).items() if v}
        if not device:
            return None
        key = "|".join(f"{k}={device[k]}" for k in sorted(device))
        origin = str(item.get("origin_agency") or "").upper()
        seized = str(acquisition.get("seized_at") or "")
        ident = (origin, seized, key)
        kind = device.get("type", "").lower()
        cls = DEVICE_CLASSES.get(kind, "uco-observable:Device")
        if device.get("imei"):
            cls = "uco-observable:MobileDevice"
        iri = node_iri("device", *ident)
        facet: dict[str, Any] = {
            "@id": node_iri("device-facet", *ident),
            "@type": "uco-observable:DeviceFacet",
        }
        if kind:
            facet["uco-observable:deviceType"] = kind
        if device.get("model"):
            facet["uco-observable:model"] = device["model"]
        if device.get("serial"):
            facet["uco-observable:serialNumber"] = device["serial"]
        if device.get("make"):
            facet["uco-observable:manufacturer"] = _ref(self.manufacturer(device["make"]))
        facets: list[dict[str, Any]] = [facet]
        if device.get("imei"):
            facets.append(
                {
                    "@id": node_iri("mobile-device-facet", *ident),
                    "@type": "uco-observable:MobileDeviceFacet",
                    "uco-observable:IMEI": device["imei"],
                }
            )
        label = " ".join(device[k] for k in ("make", "model") if device.get(k))
        node: dict[str, Any] = {
            "@id": iri,
            "@type": cls,
            "uco-core:name": label or kind or "source device",
            "uco-core:hasFacet": facets,
        }
        details = [f"source device of exhibit {item.get('root_exhibit') or item.get('exhibit')}"]
        if device.get("colour"):
            details.append(f"colour {device['colour']}")
        if acquisition.get("seized_at"):
            zone = acquisition.get("timezone")
            details.append(f"seized {acquisition['seized_at']}" + (f" ({zone})" if zone else ""))
        if acquisition.get("place"):
            details.append(f"at {acquisition['place']}")
        node["uco-core:description"] = "; ".join(details)
        self.graph.add(node)
        for key, kind, type_name, value_property in _CONTAINED_IDENTIFIERS:
            if device.get(key):
                contained = self.graph.add(
                    {
                        "@id": node_iri(kind, *ident),
                        "@type": f"uco-observable:{type_name}",
                        "uco-core:hasFacet": [
                            {
                                "@id": node_iri(f"{kind}-facet", *ident),
                                "@type": f"uco-observable:{type_name}Facet",
                                value_property: device[key],
                            }
                        ],
                    }
                )
                self.observable_relationship(contained, "Contained_Within", iri)
        return iri

    def manufacturer(self, make: str) -> str:
        return self.graph.add(
            {
                "@id": node_iri("manufacturer", make.lower()),
                "@type": "uco-identity:Organization",
                "uco-core:name": make,
            }
        )

    def observable_relationship(self, source: str, kind: str, target: str) -> str:
        return self.graph.add(
            {
                "@id": node_iri("observable-relationship", source, kind, target),
                "@type": "uco-observable:ObservableRelationship",
                "uco-core:source": _ref(source),
                "uco-core:target": _ref(target),
                "uco-core:kindOfRelationship": kind,
                "uco-core:isDirectional": True,
            }
        )

    # -- custody -------------------------------------------------------------------------

    def chain(self, item: dict[str, Any], events: list[dict[str, Any]]) -> None:
        item_id = str(item["id"])
        file = self.file(item)
        device = self.device(item)
        acquisition = item.get("acquisition") or {}
        previous_action: str | None = None
        previous_record: str | None = None
        for event in events:
            event_id = str(event["event"])
            action = str(event.get("action") or "")
            agency = event.get("agency") or {"code": item.get("origin_agency") or ""}
            details = event.get("details") or {}
            iri = action_iri(event_id)
            record = record_iri(event_id)
            at = _datetime(event.get("at"))

            instruments = []
            fingerprint = _text(event.get("node"))
            if fingerprint:
                instruments.append(self.comity_node(fingerprint, agency))
            tool_name = _text(details.get("tool"))
            tool_version = _text(details.get("tool_version"))
            if action == "acquired" and not tool_name:
                tool_name = _text(acquisition.get("tool"))
                tool_version = _text(acquisition.get("tool_version"))
            if tool_name:
                instruments.append(self.tool(tool_name, tool_version))
            authority = _text(event.get("authority"))
            if authority:
                instruments.append(self.event_authority(authority))

            if previous_record is not None:
                objects = [previous_record, file]
            elif action == "acquired":
                objects = [device] if device else []
            else:
                objects = [file]
            results = [record, file] if action == "acquired" else [record]

            node: dict[str, Any] = {
                "@id": iri,
                "@type": ACTION_TYPE,
                "uco-core:name": action,
                "uco-core:description": self.describe(event, item),
                "uco-core:externalReference": self.event_references(event),
                "uco-action:object": _refs(objects),
                "uco-action:result": _refs(results),
            }
            if at:
                node["uco-action:startTime"] = at
            actor = event.get("actor") or {}
            if actor.get("username") or actor.get("name"):
                node["uco-action:performer"] = _ref(self.person(actor, agency))
            else:
                node["uco-action:performer"] = _ref(self.organization(agency))
            if instruments:
                node["uco-action:instrument"] = _refs(instruments)
            place = _text(event.get("place"))
            if place:
                node["uco-action:location"] = _ref(self.location(place))
            participants = self.participants(event, acquisition, agency)
            if participants:
                node["uco-action:participant"] = _refs(participants)
            if previous_action is not None:
                node["case-investigation:wasInformedBy"] = _ref(previous_action)
            self.graph.add(node)

            record_node: dict[str, Any] = {
                "@id": record,
                "@type": RECORD_TYPE,
                "uco-core:description": (
                    f"{item.get('name') or item_id} after custody event {event.get('seq')} "
                    f"({action})"
                ),
                "uco-core:object": _refs([file]),
            }
            exhibit = _text(event.get("exhibit")) or _text(item.get("exhibit"))
            if exhibit:
                record_node["case-investigation:exhibitNumber"] = exhibit
            root = _text(item.get("root_exhibit"))
            if root:
                record_node["case-investigation:rootExhibitNumber"] = root
            if at:
                record_node["uco-core:objectCreatedTime"] = at
            self.graph.add(record_node)
            previous_action, previous_record = iri, record

    def participants(
        self, event: dict[str, Any], acquisition: dict[str, Any], agency: dict[str, Any]
    ) -> list[str]:
        """The examiner named at acquisition (when not the actor) and the other agency."""
        details = event.get("details") or {}
        found: list[str] = []
        examiner = _text(details.get("examiner"))
        if event.get("action") == "acquired" and not examiner:
            examiner = _text(acquisition.get("examiner"))
        actor = event.get("actor") or {}
        if examiner and examiner.casefold() not in {
            str(actor.get("name") or "").strip().casefold(),
            str(actor.get("username") or "").strip().casefold(),
        }:
            found.append(self.examiner(examiner, str(agency.get("code") or "")))
        for key in ("recipient", "sender"):
            other = details.get(key)
            if isinstance(other, dict) and _text(other.get("code")):
                found.append(self.organization(other))
        return found

    @staticmethod
    def describe(event: dict[str, Any], item: dict[str, Any]) -> str:
        agency = event.get("agency") or {}
        actor = event.get("actor") or {}
        details = event.get("details") or {}
        parts = [
            f"custody event {event.get('seq')} of exhibit "
            f"{event.get('exhibit') or item.get('exhibit')}: {event.get('action')}"
        ]
        who = _text(actor.get("name")) or _text(actor.get("username"))
        if who:
            parts.append(f"by {who} ({agency.get('code', '')})")
        if event.get("local_time"):
            parts.append(f"local time {event['local_time']} ({event.get('timezone') or ''})")
        for label in ("purpose", "authority"):
            if _text(event.get(label)):
                parts.append(f"{label}: {event[label]}")
        if _text(details.get("package_id")):
            parts.append(f"evidence package {details['package_id']}")
        if _text(event.get("item_sha256")):
            parts.append(f"item SHA-256 {event['item_sha256']}")
        return "; ".join(parts)

    # -- whole graph ---------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        case = self.case
        authorizations = [
            self.authorization(_text(a.get("kind")), str(a.get("reference") or ""))
            for a in case.get("legal_authority") or []
            if _text(a.get("reference"))
        ]
        sender = self.package.get("sender") or {}
        recipient = self.package.get("recipient") or {}
        parties = [self.organization(p) for p in (sender, recipient) if p.get("code")]
        for code in case.get("agencies") or []:
            self.organization(str(code))
        for item in self.package.get("items") or []:
            self.chain(item, self.ledgers.get(str(item["id"]), []))
        authorizations = list(dict.fromkeys([*authorizations, *self.authorities.values()]))

        investigation = node_iri("investigation", self.case_id)
        inv: dict[str, Any] = {
            "@id": investigation,
            "@type": "case-investigation:Investigation",
            "case-investigation:investigationForm": "case",
        }
        if _text(case.get("reference")):
            inv["uco-core:name"] = case["reference"]
        description = " — ".join(
            t for t in (_text(case.get("title")), _text(case.get("summary"))) if t
        )
        if description:
            inv["uco-core:description"] = description
        focus = [
            f"{o.get('jurisdiction')}: {o.get('reference')}"
            for o in case.get("offences") or []
            if _text(o.get("reference"))
        ]
        if focus:
            inv["case-investigation:focus"] = focus
        tags = [f"jurisdiction:{j}" for j in case.get("jurisdictions") or []]
        if tags:
            inv["uco-core:tag"] = tags
        if authorizations:
            inv["case-investigation:relevantAuthorization"] = _refs(authorizations)
        inv["uco-core:object"] = _refs(self.graph.nodes)
        self.graph.nodes = {investigation: inv, **self.graph.nodes}

        package_id = str(self.package.get("package_id") or self.case_id)
        bundle: dict[str, Any] = {
            "@id": node_iri("package", package_id),
            "@type": "uco-core:Bundle",
            "uco-core:name": f"Comity evidence package {package_id}",
            "uco-core:object": [_ref(investigation)],
            "uco-core:externalReference": [self.external("comity:evidence-package", package_id)],
        }
        if sender.get("code") and recipient.get("code"):
            bundle["uco-core:description"] = (
                f"from {sender['code']} ({sender.get('country', '')}) "
                f"to {recipient['code']} ({recipient.get('country', '')})"
            )
        if parties:
            bundle["uco-core:createdBy"] = _ref(parties[0])
        created = _datetime(self.package.get("created"))
        if created:
            bundle["uco-core:objectCreatedTime"] = created
        return {"@context": dict(CONTEXT), "@graph": [bundle, *self.graph.nodes.values()]}


def build_graph(
    package: dict[str, Any], ledgers: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Build the CASE/UCO JSON-LD graph of an evidence package.

    ``package`` is the package's ``comity/package.json`` document; ``ledgers`` maps each item
    id to its custody event bodies in chain order. The result is a JSON-ready
    ``{"@context", "@graph"}`` document; the same input always gives the same graph.
    """
    return _Builder(package, ledgers).build()


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v["@id"]) for v in values if isinstance(v, dict) and "@id" in v]


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _event_id(node: dict[str, Any]) -> str | None:
    refs = node.get("uco-core:externalReference") or []
    for ref in refs if isinstance(refs, list) else [refs]:
        if isinstance(ref, dict) and ref.get("uco-core:definingContext") == EVENT_CONTEXT:
            return str(ref.get("uco-core:externalIdentifier"))
    return None


def actions_in_order(graph: dict[str, Any], item_id: str | None = None) -> list[tuple[str, str]]:
    """The custody actions of a graph as ``(event uuid, action name)``, in chain order.

    The order is read from the graph alone: each action's ``object`` names the
    ProvenanceRecord that the previous action produced. Chains are listed in the order their
    first action appears; ``item_id`` keeps only the actions on that item's File. An action
    without an event reference is listed by its IRI.
    """
    nodes = [n for n in graph.get("@graph", []) if isinstance(n, dict)]
    actions = [n for n in nodes if ACTION_TYPE in _types(n)]
    if item_id is not None:
        target = file_iri(item_id)
        actions = [
            a
            for a in actions
            if target in _ids(a.get("uco-action:object")) + _ids(a.get("uco-action:result"))
        ]
    records = {str(n["@id"]) for n in nodes if RECORD_TYPE in _types(n)}
    by_input: dict[str, dict[str, Any]] = {}
    for action in actions:
        for obj in _ids(action.get("uco-action:object")):
            if obj in records:
                by_input[obj] = action
    ordered: list[tuple[str, str]] = []
    seen: set[str] = set()
    for start in actions:
        if any(o in records for o in _ids(start.get("uco-action:object"))):
            continue
        current: dict[str, Any] | None = start
        while current is not None and str(current["@id"]) not in seen:
            seen.add(str(current["@id"]))
            ordered.append(
                (_event_id(current) or str(current["@id"]), str(current["uco-core:name"]))
            )
            following = [
                by_input[r] for r in _ids(current.get("uco-action:result")) if r in by_input
            ]
            current = following[0] if following else None
    return ordered
