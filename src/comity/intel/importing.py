"""Storing intelligence: one pipeline for files, TAXII writes and pulls from peers.

    result = import_data(session, actor, data, ImportRequest(collection="fraud-infra",
                         source="advisory.json", tlp="green"),
                         policy=CorrelationPolicy.for_settings(ctx.settings))

Stages, one way: read (an importer turns bytes into checked STIX objects) → refuse or skip
the invalid → mark (objects without a TLP marking get the default) → drop duplicates (same id,
same version) → store with strictly increasing ``date_added`` → index identifiers and record
correlations → audit. All in the caller's transaction: an import is atomic unless
``skip_invalid`` asks to keep the valid objects of a damaged file.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.core.collector import paused_collection
from comity.db.bulk import insert_many
from comity.federation.models import Peer
from comity.identity import audit
from comity.identity.services import Actor
from comity.intel import importers
from comity.intel.correlation import CorrelationPolicy, NewRef, index
from comity.intel.errors import IntelInputError
from comity.intel.mapping import identifiers_in
from comity.intel.models import Collection, IntelImport, IntelObject
from comity.intel.stix import ParsedObjects, Rejection, dumps, timestamp_of, version_of
from comity.intel.tlp import DEFAULT_LEVEL, MARKING_LEVELS, TLP2_IDS, level_of, marking_level

REPORTED: Final = 100
"""At most this many rejections and warnings are kept in an import's record and error."""

_LOOKUP_CHUNK: Final = 500


_OBJECT_COLUMNS: Final = (
    "collection_id",
    "stix_id",
    "stix_type",
    "spec_version",
    "version",
    "added_us",
    "tlp",
    "body",
    "source_kind",
    "source",
    "origin_peer_id",
    "added_by",
    "import_id",
)


class ImportRefused(IntelInputError):
    """Invalid objects in an all-or-nothing import: nothing was stored (``data["rejected"]``)."""


@dataclass(frozen=True)
class ImportRequest:
    """Where the data goes and how to treat it."""

    collection: str
    source: str
    format: str = "auto"
    tlp: str | None = None
    skip_invalid: bool = False
    country: str | None = None
    source_kind: str = "file"


@paused_collection()
def import_data(
    session: Session,
    actor: Actor,
    data: bytes,
    request: ImportRequest,
    *,
    collection: Collection | None = None,
    peer: Peer | None = None,
    default_tlp: str = DEFAULT_LEVEL,
    policy: CorrelationPolicy,
) -> dict[str, Any]:
    """Read ``data`` with an importer and store it; see :func:`store`.

    The cyclic garbage collector waits meanwhile (:func:`paused_collection`): the parsed
    objects are trees, and its passes over them cost more than the database writes.
    """
    fmt, parsed = importers.read(
        request.format, data, importers.ReadOptions(request.source, request.country)
    )
    if collection is None:
        from comity.intel.services import DEFAULT_COLLECTION, ensure_collection, writable_by

        if request.collection == DEFAULT_COLLECTION:
            ensure_collection(session, actor, DEFAULT_COLLECTION, title="Local intelligence")
        collection, peer = writable_by(session, actor, request.collection)
    return store(
        session,
        actor,
        collection,
        parsed,
        request,
        fmt=fmt,
        peer=peer,
        default_tlp=request.tlp or default_tlp,
        policy=policy,
    )


@paused_collection()
def store(
    session: Session,
    actor: Actor,
    collection: Collection,
    parsed: ParsedObjects,
    request: ImportRequest,
    *,
    fmt: str,
    peer: Peer | None,
    default_tlp: str,
    policy: CorrelationPolicy,
) -> dict[str, Any]:
    """Store checked objects in ``collection``; return the import's summary.

    ``policy`` is the node's correlation policy (its warning lists and cap), from
    ``CorrelationPolicy.for_settings(ctx.settings)``.

    Raises :class:`ImportRefused` (nothing stored) when objects were rejected and
    ``request.skip_invalid`` is false.
    """
    total = len(parsed.objects) + len(parsed.rejected)
    _reject_unknown_markings(session, parsed)
    if parsed.rejected and not request.skip_invalid:
        first = parsed.rejected[0]
        raise ImportRefused(
            f"{len(parsed.rejected)} of {total} objects are invalid, so nothing was imported "
            f"(first: object {first.index}"
            + (f" {first.id}" if first.id else "")
            + f": {first.reason}); fix them or use --skip-invalid",
            rejected=[r.as_dict() for r in parsed.rejected[:REPORTED]],
        )
    record = IntelImport(
        collection_id=collection.id,
        format=fmt,
        source_kind=request.source_kind,
        source=request.source[:500],
        peer_id=peer.id if peer else None,
        requested_by=actor.username,
        status="complete",
        total=total,
    )
    session.add(record)
    session.flush()
    locked = session.scalars(
        select(Collection).where(Collection.id == collection.id).with_for_update()
    ).one()
    existing = _existing_versions(session, locked, parsed)
    markings = {**MARKING_LEVELS, **_bundle_markings(parsed)}
    next_us = max(time.time_ns() // 1000, locked.last_added_us + 1)
    rows: list[tuple[Any, ...]] = []
    successes: list[dict[str, str]] = []
    named: list[tuple[str, str, str, str]] = []  # (type, raw, STIX id, TLP) for the index
    unchanged = 0
    source = request.source[:500]
    origin = peer.id if peer else None
    collection_id, import_id, username = locked.id, record.id, actor.username
    for obj, body in zip(parsed.objects, parsed.bodies, strict=True):
        key = (obj["id"], version_of(obj))
        if key in existing:
            unchanged += 1
            continue
        existing.add(key)
        level = level_of(obj, markings)
        if obj["type"] == "marking-definition":
            level = "clear"
        elif level is None:
            level = default_tlp
            refs_now = [TLP2_IDS[level], *obj.get("object_marking_refs", [])]
            obj = {**obj, "object_marking_refs": refs_now}
            body = dumps(obj)
        rows.append(
            (
                collection_id,
                obj["id"],
                obj["type"],
                str(obj.get("spec_version", "2.1")),
                key[1],
                next_us,
                level,
                body,
                request.source_kind,
                source,
                origin,
                username,
                import_id,
            )
        )
        if len(successes) < REPORTED:
            successes.append({"id": obj["id"], "version": key[1] or timestamp_of(next_us)})
        named.extend((kind, raw, obj["id"], level) for kind, raw in identifiers_in(obj))
        next_us += 1
    if rows:
        insert_many(session, IntelObject, rows, columns=_OBJECT_COLUMNS)
        locked.last_added_us = next_us - 1
    from comity.intel.records import index_node_records

    index_node_records(session, policy=policy)  # evidence and cases first: new ids match them
    agency = peer.agency.code if peer is not None else actor.agency.code
    refs = _references(named, request.country, agency, locked.id, origin)
    matches = index(session, refs, policy)
    record.added, record.unchanged, record.failed = len(rows), unchanged, len(parsed.rejected)
    record.details = {
        "warnings": parsed.warnings[:REPORTED],
        "rejected": [r.as_dict() for r in parsed.rejected[:REPORTED]],
        "successes": successes,
        "correlations": matches,
    }
    session.flush()
    audit.record(
        session,
        actor.username,
        "intel.import",
        "collection",
        str(locked.id),
        details={
            "import": str(record.id),
            "format": fmt,
            "source": request.source[:200],
            "added": len(rows),
            "unchanged": unchanged,
            "rejected": len(parsed.rejected),
        },
    )
    return import_summary(record, locked)


def import_summary(record: IntelImport, collection: Collection) -> dict[str, Any]:
    """JSON form of an import."""
    details = record.details or {}
    return {
        "id": str(record.id),
        "collection": collection.name,
        "format": record.format,
        "source": record.source,
        "total": record.total,
        "added": record.added,
        "unchanged": record.unchanged,
        "rejected": details.get("rejected", []),
        "warnings": details.get("warnings", []),
        "correlations": details.get("correlations", 0),
    }


def _bundle_markings(parsed: ParsedObjects) -> dict[str, str]:
    """TLP levels stated by marking definitions inside the bundle itself."""
    found: dict[str, str] = {}
    for obj in parsed.objects:
        if obj["type"] == "marking-definition":
            level = marking_level(obj)
            if level is not None:
                found[obj["id"]] = level
    return found


def undefined_markings(session: Session, parsed: ParsedObjects) -> set[str]:
    """The marking-definition ids ``parsed`` objects refer to that neither they, TLP, nor any
    collection of this node define."""
    defined = set(MARKING_LEVELS) | {
        o["id"] for o in parsed.objects if o["type"] == "marking-definition"
    }
    wanted = {
        ref
        for obj in parsed.objects
        for ref in obj.get("object_marking_refs") or ()
        if ref not in defined
    }
    asked = sorted(wanted)
    for start in range(0, len(asked), _LOOKUP_CHUNK):
        chunk = asked[start : start + _LOOKUP_CHUNK]
        wanted -= set(
            session.scalars(select(IntelObject.stix_id).where(IntelObject.stix_id.in_(chunk)))
        )
    return wanted


def _reject_unknown_markings(session: Session, parsed: ParsedObjects) -> None:
    """Move objects that reference markings nobody defined into ``parsed.rejected``."""
    undefined = undefined_markings(session, parsed)
    if not undefined:
        return
    kept_objects, kept_bodies = [], []
    for index_, (obj, body) in enumerate(zip(parsed.objects, parsed.bodies, strict=True)):
        unknown = [r for r in obj.get("object_marking_refs") or () if r in undefined]
        if unknown:
            parsed.rejected.append(
                Rejection(index_, obj["id"], f"unknown marking reference {unknown[0]}")
            )
        else:
            kept_objects.append(obj)
            kept_bodies.append(body)
    parsed.objects, parsed.bodies = kept_objects, kept_bodies
    parsed.rejected.sort(key=lambda r: r.index)


def _existing_versions(
    session: Session, collection: Collection, parsed: ParsedObjects
) -> set[tuple[str, str]]:
    if collection.last_added_us == 0:
        return set()
    ids = sorted({o["id"] for o in parsed.objects})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        found.update(
            (stix_id, version)
            for stix_id, version in session.execute(
                select(IntelObject.stix_id, IntelObject.version).where(
                    IntelObject.collection_id == collection.id, IntelObject.stix_id.in_(chunk)
                )
            )
        )
    return found


def _references(
    named: list[tuple[str, str, str, str]],
    country: str | None,
    agency: str,
    collection_id: uuid.UUID,
    origin: uuid.UUID | None,
) -> list[NewRef]:
    """Index entries for the identifiers objects name: normalized, invalid ones left out."""
    if not named:
        return []
    from comity.intel.observables import normalize

    refs = []
    for kind, raw, stix_id, level in named:
        observable = normalize(kind, raw, country=country)
        if observable.valid:
            refs.append(
                NewRef(
                    observable.type,
                    observable.value,
                    "intel",
                    stix_id,
                    agency,
                    collection_id,
                    None,
                    level,
                    origin,
                )
            )
    return refs
