"""The STIX objects that hold what MISP said: indicator, observed-data, note, identity, location.

    indicator(attr.uuid, ["[phone-number:value = '+12243359185']"], attr, stamp)
    person(obj_uuid, attributes, stamp)        # identity--<object uuid>, individual

Each builder returns a new object keyed by the UUID MISP gave the attribute or object; the
caller adds it, with its level, to the import's
:class:`~comity.intel.misp.collector.Collector`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from comity.intel.misp.attributes import MispAttribute
from comity.intel.misp.fields import derived_uuid, uuid_text
from comity.intel.misp.tags import labels


def stix_object(obj_type: str, obj_id: str, stamp: str) -> dict[str, Any]:
    """A STIX 2.1 domain or relationship object's common properties, created at ``stamp``."""
    return {
        "type": obj_type,
        "spec_version": "2.1",
        "id": obj_id,
        "created": stamp,
        "modified": stamp,
    }


def indicator(
    obj_uuid: str,
    comparisons: list[str],
    attr: MispAttribute | None,
    stamp: str,
    *,
    name: str | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """An ``indicator`` whose pattern makes ``comparisons``: for ``attr``, or a MISP object."""
    made = stix_object("indicator", f"indicator--{obj_uuid}", stamp)
    made.update(
        pattern=_pattern(comparisons),
        pattern_type="stix",
        pattern_version="2.1",
        valid_from=(attr.first_seen if attr else None) or stamp,
    )
    if attr is not None:
        made["name"] = f"{attr.type}: {attr.value[:200]}"
        comment = attr.comment
        found = labels(attr.meta["Tag"])
        if found:
            made["labels"] = found
    elif name:
        made["name"] = f"MISP object {name}"
    if comment:
        made["description"] = comment
    return made


def _pattern(comparisons: list[str]) -> str:
    """One observation expression per object type, joined by AND."""
    by_type: dict[str, list[str]] = {}
    for comparison in comparisons:
        by_type.setdefault(comparison.split(":", 1)[0], []).append(comparison)
    return " AND ".join(f"[{' AND '.join(parts)}]" for parts in by_type.values())


def observed(
    obj_id: str,
    refs: list[str],
    attr: MispAttribute | None,
    stamp: str,
    first: str | None = None,
) -> dict[str, Any]:
    """``observed-data`` of the observables ``refs``, seen when ``attr`` (or ``first``) says."""
    made = stix_object("observed-data", obj_id, stamp)
    first = (attr.first_seen if attr else first) or stamp
    last = (attr.last_seen if attr else None) or first
    made.update(
        first_observed=first,
        last_observed=max(first, last),
        number_observed=1,
        object_refs=list(dict.fromkeys(refs)),
    )
    return made


def note(obj_id: str, content: str, kind: str, refs: list[str], stamp: str) -> dict[str, Any]:
    """A ``note`` holding ``content`` (free text, or what STIX has no place for)."""
    made = stix_object("note", obj_id, stamp)
    made.update(abstract=f"MISP {kind}"[:200], content=content, object_refs=refs)
    return made


def person(obj_uuid: str, attributes: list[MispAttribute], stamp: str) -> dict[str, Any]:
    """An individual's ``identity`` from a ``person`` object: names and roles."""
    by_relation = _by_relation(attributes)
    name = by_relation.get("full-name") or " ".join(
        by_relation[k] for k in ("first-name", "middle-name", "last-name") if k in by_relation
    )
    made = stix_object("identity", f"identity--{obj_uuid}", stamp)
    made.update(name=(name or "unnamed person")[:500], identity_class="individual")
    roles = [a.value.strip() for a in attributes if a.relation == "role" and a.value.strip()]
    if roles:
        made["roles"] = roles
    return made


def location(
    obj_uuid: str, attributes: list[MispAttribute], stamp: str, comment: str
) -> dict[str, Any]:
    """A ``location`` from a ``geolocation`` object: coordinates, country, region, city."""
    by_relation = _by_relation(attributes)
    made = stix_object("location", f"location--{obj_uuid}", stamp)
    try:
        latitude = float(by_relation["latitude"])
        longitude = float(by_relation["longitude"])
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            made.update(latitude=latitude, longitude=longitude)
    except (KeyError, ValueError):
        pass
    code = by_relation.get("countrycode", "")
    if len(code) == 2 and code.isalpha():
        made["country"] = code.upper()
    for relation, prop in (("country", "name"), ("region", "region"), ("city", "city")):
        if relation in by_relation and prop not in made:
            made[prop] = by_relation[relation][:200]
    if "latitude" not in made and "country" not in made and "region" not in made:
        made["region"] = "unknown"
    if comment:
        made["description"] = comment
    return made


def _by_relation(attributes: Iterable[MispAttribute]) -> dict[str, str]:
    """An object's values by their relation (``full-name``, ``latitude``…), blanks left out."""
    return {a.relation: a.value.strip() for a in attributes if a.value.strip()}


def organisation(org: Any, created: str) -> dict[str, Any] | None:
    """The ``identity`` of a MISP organisation (``Orgc``, a sighting's ``Organisation``).

    ``None`` when ``org`` is not an organisation with a name.
    """
    if not isinstance(org, dict):
        return None
    name = org.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    org_uuid = uuid_text(org.get("uuid")) or derived_uuid("organisation", name.strip())
    made = stix_object("identity", f"identity--{org_uuid}", created)
    made.update(name=name.strip()[:500], identity_class="organization")
    return made
