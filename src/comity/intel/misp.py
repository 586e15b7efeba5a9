"""MISP events in and out: MISP's JSON format (events, attributes, objects) ⇄ STIX 2.1.

    parsed = read_misp(Path("event.json").read_bytes(), ReadOptions("event.json"))
    document, withheld = export_misp(session, actor, Recipient.file("amber"), "fraud-infra")

**Import** (registered as the importer ``misp``; ``comity intel import`` detects it): an event
becomes a STIX ``report`` whose id keeps the event's UUID (``report--<event uuid>``), named by
its ``info``, created by an ``identity`` for its creator organisation (``Orgc``), its tags as
``labels``. Each attribute becomes observables (SCOs with deterministic ids) and, keeping the
attribute's UUID, an ``indicator`` when ``to_ids`` is set (a STIX pattern), else an
``observed-data``; free text and types without a STIX equivalent become a ``note`` (the latter
with a warning naming the attribute). A MISP object becomes one such container keyed by the
object's UUID (``identity`` for a person, ``location`` for a geolocation), its attributes
merged where they describe one thing (a file's hashes and name; an account's IBAN, number,
BIC and IFSC); object references become ``relationship`` objects, sightings ``sighting``
objects. Every container carries what MISP said in ``x_misp_attribute`` / ``x_misp_object``
/ ``x_misp_event``, so an export gives the event back. See ``docs/intelligence.md`` for the
mapping table.

TLP: ``tlp:white|clear|green|amber|amber+strict|red`` tags of the event and of attributes
become TLP 2.0 markings; the most restrictive applies, and an attribute's tag overrides the
event's only to be more restrictive. An object shared by several attributes (an observable
seen twice) takes the most restrictive of their levels. Nothing in an object is visible
through a less restrictive one: a report only references objects at or below its own level.

Damaged input: a document that is not JSON or not a MISP event, or whose ``Attribute`` /
``Object`` / ``Tag`` is not a list, raises :class:`~comity.intel.errors.IntelInputError`; an
attribute or object that cannot be read (not an object, a value that is not text, an invalid
UUID, a duplicate) is rejected with its location, so an import is refused whole or, with
``skip_invalid``, keeps the rest; an identifier that does not validate is kept as reported and
flagged (``x_comity_invalid``) with a warning.

**Export** (:func:`export_misp`): what :func:`~comity.intel.exporting.select_for` lets the
recipient have (the TLP policy), as MISP events: one per report, the attributes and objects
rebuilt from what MISP said (UUIDs, values, tags, references, sightings), TLP tags from each
object's level on this node; objects that did not come from MISP become attributes of the
event whose report references them, or of one event for the rest of the collection.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from comity.intel.errors import IntelInputError
from comity.intel.importers import ReadOptions, register
from comity.intel.mapping import identifiers_in, sco_for
from comity.intel.stix import ParsedObjects, Rejection, check_objects, load_json, sco_id
from comity.intel.tlp import RANK, TLP2_IDS, most_restrictive, parse_level

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from comity.identity.services import Actor
    from comity.intel.models import IntelObject
    from comity.intel.policy import Recipient

MISP_NAMESPACE: Final = uuid.UUID("9c332771-9e60-4185-b227-abbd49bbdf71")
"""Namespace of the UUIDs Comity derives for MISP things that lack one (UUIDv5)."""

EPOCH: Final = "1970-01-01T00:00:00.000Z"

ATTRIBUTE_OBSERVABLES: Final[dict[str, str]] = {
    "ip-src": "ip",
    "ip-dst": "ip",
    "ip-src|port": "ip",
    "ip-dst|port": "ip",
    "domain": "domain-name",
    "hostname": "domain-name",
    "url": "url",
    "link": "url",
    "email": "email-addr",
    "email-src": "email-addr",
    "email-dst": "email-addr",
    "email-reply-to": "email-addr",
    "target-email": "email-addr",
    "whois-registrant-email": "email-addr",
    "md5": "file-md5",
    "sha1": "file-sha1",
    "sha256": "file-sha256",
    "phone-number": "phone-number",
    "whois-registrant-phone": "phone-number",
    "iban": "bank-account",
    "bank-account-nr": "bank-account",
    "btc": "cryptocurrency-wallet",
    "xmr": "cryptocurrency-wallet",
    "eth": "cryptocurrency-wallet",
}
"""MISP attribute types that name one identifier, and its observable type (``ip``: v4 or v6)."""

FILE_TYPES: Final = frozenset(
    {
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "filename",
        "size-in-bytes",
        "malware-sample",
        "filename|md5",
        "filename|sha1",
        "filename|sha256",
        "filename|sha512",
    }
)
"""Attribute types that describe a file; in one MISP object they merge into one ``file``."""

BANK_TYPES: Final = frozenset({"iban", "bank-account-nr", "bic"})
TEXT_TYPES: Final = frozenset({"text", "comment", "other"})
_HASH_NAMES: Final = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
_IFSC: Final = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
_UPI_HINT: Final = re.compile(r"\b(?:upi|vpa)\b", re.IGNORECASE)
_RELATIONSHIP: Final = re.compile(r"[^a-z0-9-]+")

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


# --------------------------------------------------------------------------------- detection


_EVENT_START: Final = re.compile(rb'\A\s*\[?\s*\{\s*"(?:Event|response)"\s*:')
_BARE_KEYS: Final = re.compile(rb'"(?:Attribute|Object|info|orgc_id|threat_level_id)"\s*:')


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


# --------------------------------------------------------------------------------- helpers


def _stix_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _from_epoch(value: Any) -> str | None:
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


def _from_iso(value: Any) -> str | None:
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


def _epoch_of(timestamp: str) -> str:
    """MISP's epoch seconds (as text) for a STIX timestamp."""
    moment = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return str(int(moment.timestamp()))


def _flag(value: Any) -> bool | None:
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


def _uuid_text(value: Any) -> str | None:
    """``value`` as a canonical lowercase UUID string, or ``None``."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def _scalars(raw: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The entries of ``raw`` named in ``keys`` whose values are text, numbers or flags."""
    return {
        key: raw[key]
        for key in keys
        if key in raw and (raw[key] is None or isinstance(raw[key], str | int | float | bool))
    }


def _derived_uuid(*parts: str) -> str:
    return str(uuid.uuid5(MISP_NAMESPACE, "/".join(parts)))


def _text(value: Any) -> str | None:
    """MISP values are text; numbers are accepted as written; anything else is not a value."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _literal(value: str) -> str:
    """A STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tlp_level_of_tag(name: str) -> str | None:
    """The TLP 2.0 level a MISP tag names (``tlp:white`` is CLEAR), or ``None``.

    Raises :class:`IntelInputError` for a ``tlp:`` tag that names no TLP level.
    """
    lowered = name.strip().lower()
    if not lowered.startswith("tlp:"):
        return None
    return parse_level(lowered)


def _tag_names(value: Any, where: str, warnings: list[str]) -> list[str]:
    """The names of a ``Tag`` list; raise for a ``Tag`` that is not a list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise IntelInputError(f"{where}: 'Tag' is not a list", location=where)
    names = []
    for index, tag in enumerate(value):
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip():
            names.append(name.strip()[:500])
        else:
            warnings.append(f"{where}.Tag[{index}]: a tag without a name, ignored")
    return names


def _levels_of(tags: list[str], where: str, warnings: list[str]) -> str | None:
    """The most restrictive TLP level among ``tags`` (unknown ``tlp:`` tags are reported)."""
    levels = []
    for name in tags:
        try:
            level = tlp_level_of_tag(name)
        except IntelInputError:
            warnings.append(f"{where}: tag {name[:60]!r} is not a TLP 2.0 level; ignored")
            continue
        if level is not None:
            levels.append(level)
    if len(set(levels)) > 1:
        warnings.append(
            f"{where}: several TLP tags ({', '.join(sorted(set(levels)))}); the most "
            "restrictive applies"
        )
    return most_restrictive(levels)


def _combine(levels: Iterable[str | None]) -> str | None:
    """The level of an object several attributes share: the most restrictive.

    ``None`` (no TLP tag: the import's default will apply) counts as AMBER, the node
    default, when mixed with explicit levels, so sharing never lowers a level.
    """
    found = list(levels)
    explicit = [level for level in found if level is not None]
    if not explicit:
        return None
    if len(explicit) < len(found):
        explicit.append("amber")
    return most_restrictive(explicit)


# --------------------------------------------------------------------------------- reading


@dataclass
class _Attribute:
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


class _Converter:
    """Turns MISP events into STIX objects; collects warnings and rejections as it goes."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.objects: dict[str, dict[str, Any]] = {}
        self.levels: dict[str, list[str | None]] = {}
        self.event_of: dict[str, str] = {}
        self.warnings: list[str] = []
        self.rejected: list[Rejection] = []
        self.position = 0
        self.seen_uuids: set[str] = set()
        self.container_of: dict[str, str] = {}

    # ----------------------------------------------------------------------- bookkeeping

    def _add(self, obj: dict[str, Any], level: str | None, event_id: str) -> str:
        """Add ``obj`` (or merge levels into the one with its id); return its id."""
        obj_id: str = obj["id"]
        if obj_id not in self.objects:
            self.objects[obj_id] = obj
            self.levels[obj_id] = []
            self.event_of[obj_id] = event_id
        self.levels[obj_id].append(level)
        return obj_id

    def _reject(self, where: str, ident: str | None, reason: str) -> None:
        self.rejected.append(Rejection(self.position, ident, f"{where}: {reason}"))

    def _warn(self, message: str) -> None:
        self.warnings.append(f"{self.options.source}: {message}")

    # ----------------------------------------------------------------------- events

    def event(self, raw: Any, where: str) -> None:
        """Convert one event (the object inside ``{"Event": …}``)."""
        if not isinstance(raw, dict):
            raise IntelInputError(f"{where} is not a JSON object (a MISP event)", location=where)
        for key in ("Attribute", "Object", "EventReport"):
            if raw.get(key) is not None and not isinstance(raw[key], list):
                raise IntelInputError(f"{where}: '{key}' is not a list", location=where)
        event_uuid = _uuid_text(raw.get("uuid"))
        if event_uuid is None:
            if raw.get("uuid") not in (None, ""):
                raise IntelInputError(
                    f"{where}: 'uuid' {str(raw.get('uuid'))[:60]!r} is not a UUID",
                    location=where,
                )
            event_uuid = _derived_uuid("event", json.dumps(raw.get("info")), str(raw.get("date")))
            self._warn(f"{where} has no uuid; derived {event_uuid}")
        info = raw.get("info")
        if not isinstance(info, str) or not info.strip():
            self._warn(f"{where} has no 'info'; named after its uuid")
            info = f"MISP event {event_uuid}"
        here = f"{self.options.source}: {where}"
        tags = _tag_names(raw.get("Tag"), here, self.warnings)
        level = _levels_of(tags, here, self.warnings)
        created, modified, published = self._event_times(raw, where)
        report_id = f"report--{event_uuid}"
        creator = self._organisation(raw.get("Orgc"), created, level, report_id)
        meta = _scalars(raw, _EVENT_KEYS)
        if isinstance(raw.get("x_comity_provenance"), dict):
            meta["x_comity_provenance"] = raw["x_comity_provenance"]
        for org_key in ("Orgc", "Org"):
            org = raw.get(org_key)
            if isinstance(org, dict):
                meta[org_key] = {k: org[k] for k in ("name", "uuid") if isinstance(org.get(k), str)}
        meta["uuid"], meta["info"], meta["Tag"] = event_uuid, info, tags

        for index, attribute in enumerate(raw.get("Attribute") or []):
            self.position += 1
            parsed = self._attribute(attribute, f"{where}.Attribute[{index}]", level)
            if parsed is not None:
                self._standalone(parsed, report_id, event_uuid)
        for index, obj in enumerate(raw.get("Object") or []):
            self.position += 1
            self._object(obj, f"{where}.Object[{index}]", report_id, event_uuid, level)
        self._references(raw, report_id, where)
        for index, note in enumerate(raw.get("EventReport") or []):
            self._event_report(note, f"{where}.EventReport[{index}]", report_id, level)
        for key, why in _NOT_IMPORTED.items():
            items = raw.get(key)
            if isinstance(items, list) and items:
                self._warn(f"{where}: {len(items)} {key} entries are not imported ({why})")
        report: dict[str, Any] = {
            "type": "report",
            "spec_version": "2.1",
            "id": report_id,
            "created": created,
            "modified": modified,
            "published": published,
            "name": info[:1000],
            "report_types": ["threat-report"],
            "object_refs": [],
            "x_misp_event": meta,
        }
        labels = [t for t in tags if not t.lower().startswith("tlp:")]
        if labels:
            report["labels"] = labels
        if creator is not None:
            report["created_by_ref"] = creator
        self._add(report, level, report_id)

    def _event_times(self, raw: dict[str, Any], where: str) -> tuple[str, str, str]:
        date = _from_iso(raw.get("date")) if raw.get("date") else None
        stamp = _from_epoch(raw.get("timestamp"))
        if raw.get("date") and date is None:
            self._warn(f"{where}: 'date' {str(raw.get('date'))[:40]!r} is not a date")
        if raw.get("timestamp") not in (None, "") and stamp is None:
            self._warn(f"{where}: 'timestamp' {str(raw.get('timestamp'))[:40]!r} is not epoch")
        created = date or stamp or EPOCH
        modified = max(stamp or created, created)
        published = created
        if _flag(raw.get("published")):
            published = _from_epoch(raw.get("publish_timestamp")) or modified
        return created, modified, published

    def _organisation(self, org: Any, created: str, level: str | None, event_id: str) -> str | None:
        """The identity of a MISP organisation (``Orgc``, a sighting's ``Organisation``)."""
        if not isinstance(org, dict):
            return None
        name = org.get("name")
        if not isinstance(name, str) or not name.strip():
            return None
        org_uuid = _uuid_text(org.get("uuid")) or _derived_uuid("organisation", name.strip())
        identity = {
            "type": "identity",
            "spec_version": "2.1",
            "id": f"identity--{org_uuid}",
            "created": created,
            "modified": created,
            "name": name.strip()[:500],
            "identity_class": "organization",
        }
        return self._add(identity, level, event_id)

    # ----------------------------------------------------------------------- attributes

    def _attribute(self, raw: Any, where: str, event_level: str | None) -> _Attribute | None:
        """Check one attribute; ``None`` (rejected or skipped, with the reason) if unusable."""
        if not isinstance(raw, dict):
            self._reject(where, None, "not a JSON object (a MISP attribute)")
            return None
        ident = raw.get("uuid")
        attr_uuid = _uuid_text(ident)
        label = attr_uuid or (str(ident)[:60] if ident is not None else None)
        if ident is not None and attr_uuid is None:
            self._reject(where, label, f"'uuid' {str(ident)[:60]!r} is not a UUID")
            return None
        kind = raw.get("type")
        if not isinstance(kind, str) or not kind.strip():
            self._reject(where, label, "no attribute 'type'")
            return None
        value = _text(raw.get("value"))
        if value is None:
            self._reject(where, label, f"the value of a {kind[:40]} attribute is not text")
            return None
        if _flag(raw.get("deleted")):
            self._warn(f"{where} ({label}): deleted in MISP; not imported")
            return None
        if attr_uuid is None:
            attr_uuid = _derived_uuid("attribute", where, kind, value)
            self._warn(f"{where}: attribute without uuid; derived {attr_uuid}")
        if attr_uuid in self.seen_uuids:
            self._reject(where, attr_uuid, "duplicate: another attribute has this uuid")
            return None
        self.seen_uuids.add(attr_uuid)
        to_ids = _flag(raw.get("to_ids"))
        if to_ids is None:
            self._warn(
                f"{where} ({attr_uuid}): to_ids {str(raw.get('to_ids'))[:20]!r} read as false"
            )
            to_ids = False
        here = f"{self.options.source}: {where}"
        tags = _tag_names(raw.get("Tag"), here, self.warnings)
        own = _levels_of(tags, here, self.warnings)
        level = event_level
        if own is not None:
            if event_level is not None and RANK[own] < RANK[event_level]:
                self._warn(
                    f"{where} ({attr_uuid}): tlp:{own} is less restrictive than the event's "
                    f"tlp:{event_level}; the event's applies"
                )
            else:
                level = own
        meta = _scalars(raw, _ATTRIBUTE_KEYS)
        meta["uuid"], meta["type"], meta["value"], meta["to_ids"] = attr_uuid, kind, value, to_ids
        meta["Tag"] = tags
        sightings = raw.get("Sighting")
        if sightings is not None and not isinstance(sightings, list):
            raise IntelInputError(f"{where}: 'Sighting' is not a list", location=where)
        relation = raw.get("object_relation")
        comment = raw.get("comment")
        category = raw.get("category")
        stamp = _from_epoch(raw.get("timestamp"))
        return _Attribute(
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
            timestamp=stamp,
            first_seen=_from_iso(raw.get("first_seen")),
            last_seen=_from_iso(raw.get("last_seen")),
        )

    def _observable_type(self, attr: _Attribute) -> str | None:
        """The observable type an attribute names (``None``: not an identifier)."""
        kind = ATTRIBUTE_OBSERVABLES.get(attr.type)
        if kind == "ip":
            address = attr.value.split("|", 1)[0].strip()
            return "ipv6-addr" if address.count(":") > 1 else "ipv4-addr"
        if kind == "email-addr":
            return "upi-id" if self._is_upi(attr.value, email_first=True) else kind
        if kind is None and attr.type in TEXT_TYPES:
            hint = f"{attr.relation} {attr.comment}"
            looks = attr.value.strip().lower().startswith("upi://") or _UPI_HINT.search(hint)
            if looks and self._is_upi(attr.value, email_first=False):
                return "upi-id"
        return kind

    def _is_upi(self, value: str, *, email_first: bool) -> bool:
        from comity.intel.observables import normalize

        if email_first and normalize("email-addr", value).valid:
            return False
        return normalize("upi-id", value).valid

    def _sco(self, obs_type: str, raw: str, where: str) -> dict[str, Any]:
        """The STIX observable for an identifier; invalid ones are kept, flagged and reported."""
        from comity.intel.observables import normalize

        observable = normalize(obs_type, raw, country=self.options.country)
        if not observable.valid:
            self._warn(f"{where}: {obs_type} {raw[:80]!r} kept as reported: {observable.reason}")
        obj = sco_for(observable)
        if obs_type == "domain-name" and observable.valid:
            host = _host_of(raw)
            if host and host != obj["value"]:
                obj = {**obj, "value": host, "id": sco_id("domain-name", {"value": host})}
        return obj

    def _scos_of(self, attr: _Attribute) -> list[tuple[dict[str, Any], list[str]]]:
        """The observables an attribute names, each with the pattern comparisons it makes."""
        value = attr.value
        found: list[tuple[dict[str, Any], list[str]]] = []
        if attr.type == "domain|ip" and "|" in value:
            domain, address = value.split("|", 1)
            for part_type, part in (
                ("domain-name", domain),
                ("ipv6-addr" if address.count(":") > 1 else "ipv4-addr", address),
            ):
                sco = self._sco(part_type, part, attr.where)
                found.append((sco, [f"{sco['type']}:value = {_literal(sco['value'])}"]))
            return found
        if attr.type in FILE_TYPES:
            made = self._file([attr])
            return [(made, _file_comparisons(made))] if made is not None else []
        obs_type = self._observable_type(attr)
        if obs_type is None:
            return self._other_sco(attr)
        text = value.split("|", 1)[0] if attr.type.endswith("|port") else value
        if obs_type == "cryptocurrency-wallet" and attr.type in ("btc", "eth"):
            text = text if ":" in text else f"{attr.type}:{text.strip()}"
        sco = self._sco(obs_type, text, attr.where)
        return [(sco, _value_comparisons(sco))]

    def _other_sco(self, attr: _Attribute) -> list[tuple[dict[str, Any], list[str]]]:
        """Observables STIX has but Comity does not normalize (registry keys, AS, MAC)."""
        value = attr.value.strip()
        if attr.type in ("regkey", "regkey|value") and value:
            key, _, data = value.partition("|")
            props: dict[str, Any] = {"key": key.strip()}
            if attr.type == "regkey|value" and data:
                props["values"] = [{"name": "", "data": data}]
            obj = _observable("windows-registry-key", props)
            return [(obj, [f"windows-registry-key:key = {_literal(props['key'])}"])]
        if attr.type == "AS":
            number = value.upper().removeprefix("AS")
            if number.isdigit() and int(number) < 1 << 32:
                obj = _observable("autonomous-system", {"number": int(number)})
                return [(obj, [f"autonomous-system:number = {int(number)}"])]
        if attr.type == "mac-address" and value:
            obj = _observable("mac-addr", {"value": value.lower()})
            return [(obj, [f"mac-addr:value = {_literal(value.lower())}"])]
        return []

    def _standalone(self, attr: _Attribute, report_id: str, event_uuid: str) -> None:
        """An attribute outside any object: observables plus an indicator, observed-data or note."""
        scos = self._scos_of(attr)
        sco_ids = [self._add(sco, attr.level, report_id) for sco, _ in scos]
        comparisons = [c for _, cs in scos for c in cs]
        extra = {"x_misp_attribute": attr.meta, "x_misp_event_uuid": event_uuid}
        stamp = attr.timestamp or EPOCH
        if scos and attr.to_ids and comparisons:
            container = _indicator(attr.uuid, comparisons, attr, stamp)
        elif scos:
            container = _observed(f"observed-data--{attr.uuid}", sco_ids, attr, stamp)
        else:
            if attr.type not in TEXT_TYPES:
                self._warn(
                    f"{attr.where} ({attr.uuid}): MISP type {attr.type[:40]!r} has no STIX "
                    "mapping; kept as a note"
                )
            container = _note(f"note--{attr.uuid}", attr.value, attr.type, [report_id], stamp)
        if scos and container["type"] == "indicator":
            container["x_misp_observables"] = list(dict.fromkeys(sco_ids))
        container.update(extra)
        container_id = self._add(container, attr.level, report_id)
        self.container_of[attr.uuid] = container_id
        self._sightings(attr, container_id, report_id)

    # ----------------------------------------------------------------------- objects

    def _object(
        self, raw: Any, where: str, report_id: str, event_uuid: str, event_level: str | None
    ) -> None:
        if not isinstance(raw, dict):
            self._reject(where, None, "not a JSON object (a MISP object)")
            return
        obj_uuid = _uuid_text(raw.get("uuid"))
        name = raw.get("name")
        if raw.get("uuid") is not None and obj_uuid is None:
            self._reject(where, str(raw.get("uuid"))[:60], "'uuid' is not a UUID")
            return
        if not isinstance(name, str) or not name.strip():
            self._reject(where, obj_uuid, "a MISP object without a 'name'")
            return
        if _flag(raw.get("deleted")):
            self._warn(f"{where} ({obj_uuid}): deleted in MISP; not imported")
            return
        attributes_raw = raw.get("Attribute") or []
        references = raw.get("ObjectReference") or []
        if not isinstance(attributes_raw, list) or not isinstance(references, list):
            raise IntelInputError(
                f"{where}: 'Attribute' and 'ObjectReference' must be lists", location=where
            )
        if obj_uuid is None:
            obj_uuid = _derived_uuid("object", where, name)
            self._warn(f"{where}: object without uuid; derived {obj_uuid}")
        if obj_uuid in self.seen_uuids:
            self._reject(where, obj_uuid, "duplicate: another object has this uuid")
            return
        attributes: list[_Attribute] = []
        for index, item in enumerate(attributes_raw):
            parsed = self._attribute(item, f"{where}.Attribute[{index}]", event_level)
            if parsed is not None:
                attributes.append(parsed)
        if len(attributes) < len([a for a in attributes_raw if not _is_deleted(a)]):
            self._reject(where, obj_uuid, "not imported: an attribute of it is invalid (above)")
            return
        self.seen_uuids.add(obj_uuid)
        name = name.strip()
        level = _combine([a.level for a in attributes] or [event_level])
        meta = _scalars(raw, _OBJECT_KEYS)
        meta["uuid"], meta["name"] = obj_uuid, name
        meta["Attribute"] = [a.meta for a in attributes]
        meta["ObjectReference"] = [
            _scalars(ref, _REFERENCE_KEYS) for ref in references if isinstance(ref, dict)
        ]
        stamp = _from_epoch(raw.get("timestamp")) or max(
            (a.timestamp for a in attributes if a.timestamp), default=EPOCH
        )
        scos, comparisons = self._object_scos(name, attributes, report_id)
        extra = {"x_misp_object": meta, "x_misp_event_uuid": event_uuid}
        comment = raw["comment"] if isinstance(raw.get("comment"), str) else ""
        container: dict[str, Any]
        if name == "person":
            container = _person(obj_uuid, attributes, stamp)
        elif name == "geolocation":
            container = _location(obj_uuid, attributes, stamp, comment)
        elif comparisons:
            container = _indicator(obj_uuid, comparisons, None, stamp, name=name, comment=comment)
        elif scos:
            first = min((a.first_seen for a in attributes if a.first_seen), default=None)
            container = _observed(f"observed-data--{obj_uuid}", scos, None, stamp, first)
        else:
            if name != "transaction":
                self._warn(
                    f"{where} ({obj_uuid}): MISP object {name[:40]!r} has no STIX mapping; "
                    "kept as a note"
                )
            content = "\n".join(f"{a.relation or a.type}: {a.value}" for a in attributes)
            container = _note(f"note--{obj_uuid}", content, name, [report_id], stamp)
        if scos and container["type"] in ("identity", "location", "indicator"):
            container["x_misp_observables"] = scos
        container.update(extra)
        container_id = self._add(container, level, report_id)
        self.container_of[obj_uuid] = container_id
        for attr in attributes:
            self.container_of.setdefault(attr.uuid, container_id)
            self._sightings(attr, container_id, report_id)

    def _object_scos(
        self, name: str, attributes: list[_Attribute], report_id: str
    ) -> tuple[list[str], list[str]]:
        """The observables of an object's attributes, merged, and the ``to_ids`` comparisons."""
        sco_ids: list[str] = []
        comparisons: list[str] = []
        rest = list(attributes)
        files = [a for a in rest if a.type in FILE_TYPES]
        if files:
            sco = self._file(files)
            if sco is not None:
                rest = [a for a in rest if all(a is not f for f in files)]
                sco_ids.append(self._add(sco, _combine(a.level for a in files), report_id))
                if any(a.to_ids for a in files):
                    comparisons.extend(_file_comparisons(sco))
        bank = [a for a in rest if a.type in BANK_TYPES or self._ifsc_of(a)]
        if any(a.type in ("iban", "bank-account-nr") for a in bank):
            rest = [a for a in rest if all(a is not b for b in bank)]
            sco = self._bank_sco(bank, rest)
            sco_ids.append(self._add(sco, _combine(a.level for a in bank), report_id))
            if any(a.to_ids for a in bank):
                comparisons.extend(_value_comparisons(sco))
        symbol = next((a.value.strip().lower() for a in rest if a.relation == "symbol"), None)
        for attr in rest:
            if name == "coin-address" and attr.relation == "address" and symbol:
                attr = _with_value(attr, f"{symbol}:{attr.value.strip()}", "btc")
            elif name == "asn" and attr.relation == "asn":
                attr = _with_value(attr, attr.value, "AS")
            for sco, found in self._scos_of(attr):
                sco_ids.append(self._add(sco, attr.level, report_id))
                if attr.to_ids:
                    comparisons.extend(found)
        return list(dict.fromkeys(sco_ids)), comparisons

    def _file(self, files: list[_Attribute]) -> dict[str, Any] | None:
        """:func:`_file_sco`, reporting hashes that do not validate."""
        sco = _file_sco(files)
        if sco is not None and "x_comity_invalid" in sco:
            self._warn(f"{files[0].where}: file kept as reported: {sco['x_comity_invalid']}")
        return sco

    def _ifsc_of(self, attr: _Attribute) -> str | None:
        if attr.relation in ("ifsc", "institution-code", "branch", "swift") or attr.type == "bic":
            candidate = attr.value.strip().upper()
            if _IFSC.fullmatch(candidate):
                return candidate
        return None

    def _bank_sco(self, bank: list[_Attribute], others: list[_Attribute]) -> dict[str, Any]:
        """One ``bank-account`` from an object's IBAN, account number, BIC and IFSC."""
        iban = next((a for a in bank if a.type == "iban"), None)
        account = next((a for a in bank if a.type == "bank-account-nr"), None)
        ifsc = next((c for a in bank if (c := self._ifsc_of(a))), None)
        bic = next((a.value.strip() for a in bank if a.type == "bic"), None)
        if ifsc and account is not None:
            raw = f"{ifsc} {account.value}"
        elif iban is not None:
            raw = iban.value
        else:
            raw = account.value if account is not None else bank[0].value
        where = (iban or account or bank[0]).where
        sco = self._sco("bank-account", raw, where)
        extras: dict[str, Any] = {}
        if iban is not None:
            extras["iban"] = iban.value.strip()
        if account is not None:
            extras["account_number"] = account.value.strip()
        if ifsc:
            extras["ifsc"] = ifsc
        if bic and bic.upper() != ifsc:
            extras["bic"] = bic
        for attr in others:
            if attr.relation == "currency-code":
                extras["currency"] = attr.value.strip()[:10]
            elif attr.relation == "institution-name":
                extras["institution_name"] = attr.value.strip()[:200]
        return {**sco, **extras}

    # ----------------------------------------------------------------------- the rest

    def _sightings(self, attr: _Attribute, container_id: str, report_id: str) -> None:
        kept = []
        for index, raw in enumerate(attr.sightings):
            kind = str(raw.get("type", "0"))
            when = _from_epoch(raw.get("date_sighting"))
            if kind != "0" or when is None:
                kept.append(_scalars(raw, _SIGHTING_KEYS))
                reason = (
                    "a false-positive or expiration sighting has no STIX equivalent"
                    if kind != "0"
                    else "no valid date_sighting"
                )
                self._warn(f"{attr.where}.Sighting[{index}]: {reason}; kept in x_misp_attribute")
                continue
            sighting_uuid = _uuid_text(raw.get("uuid")) or _derived_uuid(
                "sighting", attr.uuid, str(index), when
            )
            sighting: dict[str, Any] = {
                "type": "sighting",
                "spec_version": "2.1",
                "id": f"sighting--{sighting_uuid}",
                "created": when,
                "modified": when,
                "first_seen": when,
                "last_seen": when,
                "count": 1,
                "sighting_of_ref": container_id,
                "x_misp_attribute_uuid": attr.uuid,
            }
            source = raw.get("source")
            if isinstance(source, str) and source:
                sighting["x_misp_source"] = source[:500]
            org = self._organisation(raw.get("Organisation"), when, attr.level, report_id)
            if org is not None:
                sighting["where_sighted_refs"] = [org]
            self._add(sighting, attr.level, report_id)
        if kept:
            attr.meta["Sighting"] = kept

    def _references(self, raw: dict[str, Any], report_id: str, where: str) -> None:
        """``ObjectReference`` → ``relationship`` between the containers it links."""
        containers = self.container_of
        for o_index, obj in enumerate(raw.get("Object") or []):
            if not isinstance(obj, dict):
                continue
            source = containers.get(_uuid_text(obj.get("uuid")) or "")
            references = obj.get("ObjectReference")
            if source is None or not isinstance(references, list):
                continue
            for r_index, ref in enumerate(references):
                here = f"{where}.Object[{o_index}].ObjectReference[{r_index}]"
                if not isinstance(ref, dict):
                    self._warn(f"{here}: not a JSON object; ignored")
                    continue
                target = containers.get(_uuid_text(ref.get("referenced_uuid")) or "")
                kind = _RELATIONSHIP.sub("-", str(ref.get("relationship_type", "")).lower())
                kind = kind.strip("-")[:100] or "related-to"
                if target is None:
                    self._warn(
                        f"{here}: refers to {str(ref.get('referenced_uuid'))[:60]!r}, not in "
                        "this event (or not imported); no relationship made"
                    )
                    continue
                ref_uuid = _uuid_text(ref.get("uuid")) or _derived_uuid("ref", source, target, kind)
                stamp = _from_epoch(ref.get("timestamp")) or EPOCH
                relationship = {
                    "type": "relationship",
                    "spec_version": "2.1",
                    "id": f"relationship--{ref_uuid}",
                    "created": stamp,
                    "modified": stamp,
                    "relationship_type": kind,
                    "source_ref": source,
                    "target_ref": target,
                }
                level = _combine([*self.levels[source], *self.levels[target]])
                self._add(relationship, level, report_id)

    def _event_report(self, raw: Any, where: str, report_id: str, level: str | None) -> None:
        if not isinstance(raw, dict) or _flag(raw.get("deleted")):
            return
        note_uuid = _uuid_text(raw.get("uuid"))
        content = _text(raw.get("content"))
        if note_uuid is None or content is None:
            self._warn(f"{where}: an event report without uuid or content; not imported")
            return
        stamp = _from_epoch(raw.get("timestamp")) or EPOCH
        name = raw.get("name") if isinstance(raw.get("name"), str) else "event report"
        note = _note(f"note--{note_uuid}", content, "event report", [report_id], stamp)
        note["abstract"] = str(name)[:500]
        note["x_misp_event_report"] = _scalars(raw, ("uuid", "name", "timestamp", "distribution"))
        self._add(note, level, report_id)

    # ----------------------------------------------------------------------- result

    def result(self) -> ParsedObjects:
        """The STIX objects, each marked with its level; reports reference what they may."""
        marked: list[dict[str, Any]] = []
        final = {obj_id: _combine(levels) for obj_id, levels in self.levels.items()}
        refs: dict[str, list[str]] = {}
        for obj_id in self.objects:
            report = self.event_of[obj_id]
            if obj_id != report and _visible_from(final[obj_id], final.get(report)):
                refs.setdefault(report, []).append(obj_id)
        for obj_id, obj in self.objects.items():
            level = final[obj_id]
            out = dict(obj)
            if out["type"] == "report":
                out["object_refs"] = refs.get(obj_id) or [obj_id]
            if level is not None:
                out["object_marking_refs"] = [TLP2_IDS[level]]
            marked.append(out)
        parsed = ParsedObjects(warnings=list(self.warnings))
        check_objects(marked, parsed)
        parsed.rejected = self.rejected + parsed.rejected
        return parsed


_NOT_IMPORTED: Final = {
    "ShadowAttribute": "proposals awaiting the event owner's decision",
    "CryptographicKey": "no STIX equivalent",
    "RelatedEvent": "references to events on the source MISP instance",
}
"""Event parts not imported, and why (galaxies are kept: their tags become labels)."""

_REFERENCE_KEYS: Final = ("uuid", "referenced_uuid", "relationship_type", "comment", "timestamp")
_SIGHTING_KEYS: Final = ("uuid", "type", "date_sighting", "source")


def _is_deleted(raw: Any) -> bool:
    return isinstance(raw, dict) and bool(_flag(raw.get("deleted")))


def _visible_from(level: str | None, report_level: str | None) -> bool:
    """Whether a report at ``report_level`` may reference an object at ``level``."""
    if level is None or level == "clear":
        return True
    return report_level is not None and RANK[level] <= RANK[report_level]


def _host_of(raw: str) -> str | None:
    from comity.intel.observables.net import host_to_ascii
    from comity.intel.observables.text import clean, refang

    host, reason = host_to_ascii(refang(clean(raw)))
    return host if reason is None else None


def _observable(obj_type: str, props: dict[str, Any]) -> dict[str, Any]:
    obj = {"type": obj_type, "spec_version": "2.1", **props}
    obj["id"] = sco_id(obj_type, obj)
    return obj


def _file_sco(files: list[_Attribute]) -> dict[str, Any] | None:
    """One ``file`` observable from hash, name, size and ``filename|hash`` attributes.

    ``None`` when they name no hash nor name, or disagree (two different MD5s: two files).
    """
    from comity.intel.observables import normalize

    hashes: dict[str, str] = {}
    props: dict[str, Any] = {}
    invalid: list[str] = []
    seen: dict[str, set[str]] = {}
    for attr in files:
        kind, value = attr.type, attr.value.strip()
        if kind == "malware-sample":
            kind = "filename|md5"
        if "|" in kind:
            name, _, value = value.partition("|")
            props["name"] = name.strip()[:500]
            kind = kind.split("|", 1)[1]
            value = value.strip()
        if kind in _HASH_NAMES:
            if kind != "sha512":
                observable = normalize(f"file-{kind}", value)
                value = observable.value
                if not observable.valid:
                    invalid.append(f"{kind} {value[:80]!r}: {observable.reason}")
            hashes[_HASH_NAMES[kind]] = value.lower()
            seen.setdefault(kind, set()).add(value.lower())
        elif kind == "filename":
            props["name"] = value[:500]
        elif kind == "size-in-bytes" and value.isdigit() and len(value) < 19:
            props["size"] = int(value)
        if "name" in props:
            seen.setdefault("name", set()).add(props["name"])
    if any(len(values) > 1 for values in seen.values()):
        return None
    if hashes:
        props["hashes"] = hashes
    if "hashes" not in props and "name" not in props:
        return None
    obj = _observable("file", props)
    if invalid:
        obj["x_comity_invalid"] = "; ".join(invalid)
    return obj


def _file_comparisons(sco: dict[str, Any]) -> list[str]:
    found = [
        f"file:hashes.{algorithm if algorithm == 'MD5' else repr(algorithm)} = {_literal(v)}"
        for algorithm, v in sco.get("hashes", {}).items()
    ]
    if not found and "name" in sco:
        found.append(f"file:name = {_literal(sco['name'])}")
    return found


def _value_comparisons(sco: dict[str, Any]) -> list[str]:
    if sco["type"] == "file":
        return _file_comparisons(sco)
    if isinstance(sco.get("value"), str):
        return [f"{sco['type']}:value = {_literal(sco['value'])}"]
    return []


def _with_value(attr: _Attribute, value: str, kind: str) -> _Attribute:
    return _Attribute(**{**attr.__dict__, "value": value, "type": kind})


def _pattern(comparisons: list[str]) -> str:
    """One observation expression per object type, joined by AND."""
    by_type: dict[str, list[str]] = {}
    for comparison in comparisons:
        by_type.setdefault(comparison.split(":", 1)[0], []).append(comparison)
    return " AND ".join(f"[{' AND '.join(parts)}]" for parts in by_type.values())


def _base(obj_type: str, obj_id: str, stamp: str) -> dict[str, Any]:
    return {
        "type": obj_type,
        "spec_version": "2.1",
        "id": obj_id,
        "created": stamp,
        "modified": stamp,
    }


def _indicator(
    obj_uuid: str,
    comparisons: list[str],
    attr: _Attribute | None,
    stamp: str,
    *,
    name: str | None = None,
    comment: str = "",
) -> dict[str, Any]:
    indicator = _base("indicator", f"indicator--{obj_uuid}", stamp)
    indicator.update(
        pattern=_pattern(comparisons),
        pattern_type="stix",
        pattern_version="2.1",
        valid_from=(attr.first_seen if attr else None) or stamp,
    )
    if attr is not None:
        indicator["name"] = f"{attr.type}: {attr.value[:200]}"
        comment = attr.comment
        labels = [t for t in attr.meta["Tag"] if not t.lower().startswith("tlp:")]
        if labels:
            indicator["labels"] = labels
    elif name:
        indicator["name"] = f"MISP object {name}"
    if comment:
        indicator["description"] = comment
    return indicator


def _observed(
    obj_id: str,
    refs: list[str],
    attr: _Attribute | None,
    stamp: str,
    first: str | None = None,
) -> dict[str, Any]:
    observed = _base("observed-data", obj_id, stamp)
    first = (attr.first_seen if attr else first) or stamp
    last = (attr.last_seen if attr else None) or first
    observed.update(
        first_observed=first,
        last_observed=max(first, last),
        number_observed=1,
        object_refs=list(dict.fromkeys(refs)),
    )
    return observed


def _note(obj_id: str, content: str, kind: str, refs: list[str], stamp: str) -> dict[str, Any]:
    note = _base("note", obj_id, stamp)
    note.update(abstract=f"MISP {kind}"[:200], content=content, object_refs=refs)
    return note


def _person(obj_uuid: str, attributes: list[_Attribute], stamp: str) -> dict[str, Any]:
    by_relation = {a.relation: a.value.strip() for a in attributes if a.value.strip()}
    name = by_relation.get("full-name") or " ".join(
        by_relation[k] for k in ("first-name", "middle-name", "last-name") if k in by_relation
    )
    identity = _base("identity", f"identity--{obj_uuid}", stamp)
    identity.update(name=(name or "unnamed person")[:500], identity_class="individual")
    roles = [a.value.strip() for a in attributes if a.relation == "role" and a.value.strip()]
    if roles:
        identity["roles"] = roles
    return identity


def _location(
    obj_uuid: str, attributes: list[_Attribute], stamp: str, comment: str
) -> dict[str, Any]:
    by_relation = {a.relation: a.value.strip() for a in attributes if a.value.strip()}
    location = _base("location", f"location--{obj_uuid}", stamp)
    try:
        latitude = float(by_relation["latitude"])
        longitude = float(by_relation["longitude"])
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            location.update(latitude=latitude, longitude=longitude)
    except (KeyError, ValueError):
        pass
    code = by_relation.get("countrycode", "")
    if len(code) == 2 and code.isalpha():
        location["country"] = code.upper()
    for relation, prop in (("country", "name"), ("region", "region"), ("city", "city")):
        if relation in by_relation and prop not in location:
            location[prop] = by_relation[relation][:200]
    if "latitude" not in location and "country" not in location and "region" not in location:
        location["region"] = "unknown"
    if comment:
        location["description"] = comment
    return location


# --------------------------------------------------------------------------------- the reader


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
    """MISP events (parsed JSON) as checked STIX objects; see the module's description."""
    converter = _Converter(options)
    for where, event in events_in(document):
        converter.event(event, where)
    return converter.result()


@register("misp", detect=looks_like_misp)
def read_misp(data: bytes, options: ReadOptions) -> ParsedObjects:
    """A MISP event (MISP's JSON export) as STIX 2.1 objects."""
    return convert(load_json(data, options.source), options)


# --------------------------------------------------------------------------------- export

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


def _tlp_tags(original: list[str], level: str, parent: str | None) -> list[dict[str, str]]:
    """An attribute's or event's tags: the non-TLP ones, then the TLP tag its level needs."""
    tags = [{"name": t} for t in original if not t.lower().startswith("tlp:")]
    if parent is not None and level == parent:
        kept = [t for t in original if _safe_level(t) == level]
        tags.extend({"name": t} for t in kept[:1])
        return tags
    name = next((t for t in original if _safe_level(t) == level), f"tlp:{level}")
    tags.append({"name": name})
    return tags


def _safe_level(tag: str) -> str | None:
    try:
        return tlp_level_of_tag(tag)
    except IntelInputError:
        return None


def export_misp(
    session: Session, actor: Actor, recipient: Recipient, collection: str | None = None
) -> tuple[dict[str, Any] | list[dict[str, Any]], list[dict[str, Any]]]:
    """MISP events of what ``recipient`` may receive, and what was withheld and why.

    One event per report (its UUID kept); objects no report covers form one event for the
    collection. Returns ``{"Event": …}`` for one event, a list of those for several.
    """
    from comity.intel.exporting import _audit, select_for

    selection = select_for(session, actor, recipient, collection)
    rows = [(row, json.loads(row.body)) for row in selection.rows]
    not_mapped: Counter[str] = Counter()
    events = _assemble(rows, selection.origins, actor, collection, not_mapped)
    for obj_type, count in not_mapped.items():
        selection.withheld[f"no MISP equivalent ({obj_type})"] += count
    documents = [{"Event": event} for event in events]
    _audit(session, actor, "misp", recipient, collection, len(selection.rows), selection)
    document: dict[str, Any] | list[dict[str, Any]] = (
        documents[0] if len(documents) == 1 else documents
    )
    return document, selection.withheld_list()


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
    rest = _EventOut(
        uuid=_derived_uuid("export", actor.agency.code, collection or "*"),
        level=None,
        body=_generic_event(actor, collection),
    )

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
    _attach_sightings(sightings, [*events.values(), rest])
    return [
        _finish(out)
        for out in [*events.values(), rest]
        if out is not rest or rest.attributes or rest.objects
    ]


def _event_skeleton(
    row: IntelObject,
    obj: dict[str, Any],
    by_id: Mapping[str, tuple[IntelObject, dict[str, Any]]],
    origins: Mapping[uuid.UUID, str],
    actor: Actor,
) -> _EventOut:
    from comity.intel.stix import timestamp_of

    meta = dict(obj.get("x_misp_event") or {})
    event_uuid = obj["id"].split("--", 1)[1]
    creator = by_id.get(obj.get("created_by_ref") or "")
    own = {"name": actor.agency.name, "uuid": _derived_uuid("agency", actor.agency.code)}
    orgc = meta.get("Orgc") or (
        {"name": creator[1].get("name"), "uuid": creator[1]["id"].split("--", 1)[1]}
        if creator
        else own
    )
    published = obj.get("published") or obj.get("created") or EPOCH
    origin = origins.get(row.origin_peer_id) if row.origin_peer_id else None
    provenance: dict[str, Any] = {
        "source": row.source,
        "source_kind": row.source_kind,
        "from_agency": origin or actor.agency.code,
        "added_by": row.added_by,
        "date_added": timestamp_of(row.added_us),
    }
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
        "timestamp": meta.get("timestamp") or _epoch_of(obj.get("modified") or published),
        "Orgc": orgc,
        "Org": meta.get("Org") or own,
        "Tag": _tlp_tags([str(t) for t in tags], row.tlp, None),
        "x_comity_provenance": provenance,
    }
    for key in ("publish_timestamp", "extends_uuid"):
        if key in meta:
            body[key] = meta[key]
    return _EventOut(uuid=event_uuid, level=row.tlp, body=body)


def _generic_event(actor: Actor, collection: str | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    own = {"name": actor.agency.name, "uuid": _derived_uuid("agency", actor.agency.code)}
    return {
        "uuid": _derived_uuid("export", actor.agency.code, collection or "*"),
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
    attribute["Tag"] = _tlp_tags(tags, level, event.level)
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
    base_uuid = obj["id"].split("--", 1)[1]
    stamp = obj.get("modified") or obj.get("created")
    for index, (misp_type, category, value, comment) in enumerate(pairs):
        meta = {
            "uuid": base_uuid if index == 0 else _derived_uuid(obj["id"], str(index)),
            "type": misp_type,
            "category": category,
            "value": value,
            "to_ids": to_ids,
            "comment": comment or str(obj.get("description") or "")[:1000],
            "distribution": "5",
            "timestamp": _epoch_of(stamp) if isinstance(stamp, str) else "0",
            "Tag": [],
        }
        event.attributes.append(_attribute_out(meta, level, event))
    return len(pairs)


def _attach_sightings(sightings: list[dict[str, Any]], events: list[_EventOut]) -> None:
    """Put each exported sighting under the attribute it was of (MISP's ``Sighting``)."""
    attributes = {str(a.get("uuid")): a for out in events for a in _all_attributes(out)}
    for obj in sightings:
        target = attributes.get(str(obj.get("x_misp_attribute_uuid")))
        seen = obj.get("first_seen") or obj.get("created")
        if target is None or not isinstance(seen, str):
            continue
        sighting: dict[str, Any] = {
            "uuid": obj["id"].split("--", 1)[1],
            "type": "0",
            "date_sighting": _epoch_of(seen),
        }
        if isinstance(obj.get("x_misp_source"), str):
            sighting["source"] = obj["x_misp_source"]
        target["Sighting"].append(sighting)


def _all_attributes(out: _EventOut) -> Iterator[dict[str, Any]]:
    yield from out.attributes
    for obj in out.objects:
        yield from obj["Attribute"]


def _finish(out: _EventOut) -> dict[str, Any]:
    """The event's JSON: its TLP tag, attributes, objects (references kept inside), reports."""
    body = dict(out.body)
    if out.level is None:  # the collection's event: the least restrictive level inside it
        least = min(out.levels, key=RANK.__getitem__) if out.levels else "clear"
        body["Tag"] = [*body["Tag"], {"name": f"tlp:{least}"}]
    uuids = {str(a.get("uuid")) for a in _all_attributes(out)}
    uuids |= {str(o.get("uuid")) for o in out.objects}
    for obj in out.objects:
        obj["ObjectReference"] = [
            ref for ref in obj["ObjectReference"] if str(ref.get("referenced_uuid")) in uuids
        ]
    body["Attribute"] = out.attributes
    body["Object"] = out.objects
    if out.reports:
        body["EventReport"] = out.reports
    return body
