"""The TAXII 2.1 server's services: what each endpoint answers, without HTTP.

    page = objects_page(session, actor, "fraud-infra", filters, key)
    page.rows          # [(added_us, body)], the stored JSON of each object, in date_added order
    page.more, page.next

Access follows :mod:`comity.intel.services`: a person of this node reads every collection and
receives every object; a peer's account sees only the collections a sharing agreement lets it
read or write (any other is "not found", so it never learns the collection exists), reads only
with a read agreement (otherwise 403), and receives only what :mod:`comity.intel.policy`
releases to it, filtered in the query (see :mod:`comity.taxii.queries`).

Writes (``POST objects``) go through the one import pipeline (:func:`comity.intel.importing.
store`) with ``source_kind="taxii"`` and the writing peer, all or nothing. The import's record
is the TAXII status resource. Deletes need a contributor's role here or a write agreement (a
peer deletes only what it gave), and are recorded in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from comity.core.errors import NotFound, PermissionDenied
from comity.core.timeutil import isoformat
from comity.federation.models import Peer
from comity.identity import audit
from comity.identity.models import ROLES
from comity.identity.services import Actor, local_agency
from comity.intel.correlation import CorrelationPolicy, forget
from comity.intel.errors import IntelInputError
from comity.intel.importing import ImportRequest, store
from comity.intel.models import Collection, IntelImport, IntelObject
from comity.intel.policy import Recipient
from comity.intel.services import (
    agreement_for,
    list_collections,
    peer_of,
    readable_by,
    writable_by,
)
from comity.intel.stix import (
    ParsedObjects,
    check_objects,
    is_identifier,
    load_json,
    timestamp_of,
    version_of,
)
from comity.taxii.errors import InvalidEnvelope
from comity.taxii.filters import Filters
from comity.taxii.paging import Position, issue, redeem
from comity.taxii.queries import (
    MANIFEST_COLUMNS,
    OBJECT_COLUMNS,
    VERSION_COLUMNS,
    Scope,
    conditions,
    exists_query,
    page_query,
    page_rows,
    visible,
)

TAXII_MEDIA_TYPE: Final = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE: Final = "application/stix+json;version=2.1"
API_ROOT: Final = "comity"
"""The one API root's name: ``/taxii2/comity/``."""
PREFIX: Final = "/taxii2"
API_ROOT_PATH: Final = f"{PREFIX}/{API_ROOT}/"
MAX_STATUS_DETAILS: Final = 1000
"""A status lists each object added when there are at most this many; counts are always there."""


@dataclass(frozen=True)
class Page:
    """One page of an endpoint that pages: its rows and where the next page starts."""

    rows: list[Any]
    """Database rows, the first column ``added_us`` (see :mod:`comity.taxii.queries`)."""
    more: bool
    next: str | None

    @property
    def first_us(self) -> int | None:
        """``date_added`` of the first row (microseconds), for ``X-TAXII-Date-Added-First``."""
        return int(self.rows[0][0]) if self.rows else None

    @property
    def last_us(self) -> int | None:
        """``date_added`` of the last row, for ``X-TAXII-Date-Added-Last``."""
        return int(self.rows[-1][0]) if self.rows else None


def discovery(session: Session) -> dict[str, Any]:
    """The discovery resource: this node and its one API root."""
    agency = local_agency(session)
    return {
        "title": f"Comity node of {agency.name} ({agency.code})",
        "description": "TAXII 2.1 server of a Comity node: intelligence shared under TLP 2.0.",
        "contact": f"{agency.name}, {agency.country}",
        "default": API_ROOT_PATH,
        "api_roots": [API_ROOT_PATH],
    }


def api_root(max_content_length: int) -> dict[str, Any]:
    """The API root resource."""
    return {
        "title": "Comity intelligence",
        "description": "Collections of this node shared under sharing agreements and TLP 2.0.",
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": max_content_length,
    }


def collections(session: Session, actor: Actor) -> dict[str, Any]:
    """The collections resource: every collection ``actor`` may see."""
    found = [_collection_resource(c) for c in list_collections(session, actor)]
    return {"collections": found} if found else {}


def collection(session: Session, actor: Actor, ref: str) -> dict[str, Any]:
    """One collection resource (by id or name); :class:`NotFound` if ``actor`` may not see it."""
    _collection_ref(ref)
    for summary in list_collections(session, actor):
        if ref in (summary["id"], summary["name"]):
            return _collection_resource(summary)
    raise NotFound(f"no collection {ref[:100]!r}", collection=ref[:100])


def _collection_ref(ref: str) -> str:
    """``ref`` if it could name a collection; otherwise :class:`NotFound` before any query.

    (PostgreSQL refuses text with NUL characters: such a name must not reach it.)
    """
    if not ref or len(ref) > 200 or not ref.isprintable():
        raise NotFound(f"no collection {ref[:100]!r}", collection=ref[:100])
    return ref


def _object_ref(object_id: str | None) -> None:
    """Refuse (404) an object id that is no STIX identifier: no such object can be stored."""
    if object_id is not None and not is_identifier(object_id):
        raise NotFound(f"no object {object_id[:200]!r}", object=object_id[:200])


def _collection_resource(summary: dict[str, Any]) -> dict[str, Any]:
    resource = {
        "id": summary["id"],
        "title": summary["title"],
        "alias": summary["name"],
        "can_read": bool(summary["can_read"]),
        "can_write": bool(summary["can_write"]),
        "media_types": [STIX_MEDIA_TYPE],
    }
    if summary.get("description"):
        resource["description"] = summary["description"]
    return resource


def objects_page(session: Session, actor: Actor, ref: str, filters: Filters, key: bytes) -> Page:
    """A page of objects (``GET objects/`` and ``GET objects/{id}/``): ``(added_us, body)``."""
    collection, recipient = readable_by(session, actor, _collection_ref(ref))
    _object_ref(filters.object_id)
    page = _page(session, actor, collection, recipient, filters, key, OBJECT_COLUMNS)
    _require_object(session, collection, recipient, filters, page)
    return page


def manifest_page(session: Session, actor: Actor, ref: str, filters: Filters, key: bytes) -> Page:
    """A page of the manifest: ``(added_us, stix_id, version, spec_version)``."""
    collection, recipient = readable_by(session, actor, _collection_ref(ref))
    return _page(session, actor, collection, recipient, filters, key, MANIFEST_COLUMNS)


def versions_page(session: Session, actor: Actor, ref: str, filters: Filters, key: bytes) -> Page:
    """A page of one object's versions: ``(added_us, version)``; every version is listed."""
    collection, recipient = readable_by(session, actor, _collection_ref(ref))
    _object_ref(filters.object_id)
    page = _page(
        session, actor, collection, recipient, filters, key, VERSION_COLUMNS, versions=False
    )
    _require_object(session, collection, recipient, filters, page)
    return page


def version_text(version: str, added_us: int) -> str:
    """The TAXII version of a stored row: its ``modified``/``created``, else ``date_added``."""
    return version or timestamp_of(added_us)


def _page(
    session: Session,
    actor: Actor,
    collection: Collection,
    recipient: Recipient | None,
    filters: Filters,
    key: bytes,
    columns: tuple[Any, ...],
    *,
    versions: bool = True,
) -> Page:
    after_us = filters.added_after_us if filters.added_after_us is not None else -1
    if filters.next is not None:
        expected = Position(collection.id, actor.user.id, filters.query_hash, 0)
        after_us = redeem(key, filters.next, expected)
    query = page_query(
        collection.id,
        visible(recipient),
        filters,
        after_us=after_us,
        limit=filters.limit,
        columns=columns,
        versions=versions,
    )
    rows = page_rows(session, query)
    more = len(rows) > filters.limit
    del rows[filters.limit :]
    token = None
    if more:
        position = Position(collection.id, actor.user.id, filters.query_hash, int(rows[-1][0]))
        token = issue(key, position)
    return Page(rows, more, token)


def _require_object(
    session: Session,
    collection: Collection,
    recipient: Recipient | None,
    filters: Filters,
    page: Page,
) -> None:
    """On the single-object endpoints, an object the caller cannot see at all is 404."""
    if filters.object_id is None or page.rows:
        return
    if session.execute(exists_query(collection.id, recipient, filters.object_id)).first() is None:
        raise NotFound(
            f"no object {filters.object_id[:200]!r} in collection {collection.name!r}",
            object=filters.object_id[:200],
        )


def read_envelope(data: bytes) -> ParsedObjects:
    """A POSTed TAXII envelope's objects, each checked (``rejected`` lists those that fail)."""
    try:
        document = load_json(data, "the envelope")
    except IntelInputError as exc:
        raise InvalidEnvelope(exc.message, **exc.data) from None
    if not isinstance(document, dict):
        raise InvalidEnvelope("the envelope is not a JSON object")
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidEnvelope("the envelope's 'objects' is not a list")
    parsed = ParsedObjects()
    check_objects(objects, parsed)
    return parsed


def add_objects(
    session: Session,
    actor: Actor,
    ref: str,
    data: bytes,
    *,
    default_tlp: str,
    policy: CorrelationPolicy,
) -> dict[str, Any]:
    """Store an envelope's objects through the import pipeline; return the status resource.

    All or nothing: an envelope with an invalid object raises
    :class:`~comity.intel.importing.ImportRefused` (HTTP 400) naming each, and stores nothing.
    """
    collection, peer = writable_by(session, actor, _collection_ref(ref))
    parsed = read_envelope(data)
    request = ImportRequest(
        collection=collection.name,
        source=f"TAXII add objects by {actor.username}",
        format="stix",
        source_kind="taxii",
    )
    summary = store(
        session,
        actor,
        collection,
        parsed,
        request,
        fmt="stix",
        peer=peer,
        default_tlp=default_tlp,
        policy=policy,
    )
    record = session.get(IntelImport, uuid.UUID(summary["id"]))
    assert record is not None
    if record.added + record.unchanged <= MAX_STATUS_DETAILS:
        successes = _status_successes(session, record, parsed)
        record.details = {**(record.details or {}), "status_successes": successes}
        session.flush()
    return status_resource(record)


def _status_successes(
    session: Session, record: IntelImport, parsed: ParsedObjects
) -> list[dict[str, str]]:
    """Status details of every object of an import: those added, then those already there."""
    added = session.execute(
        select(IntelObject.stix_id, IntelObject.version, IntelObject.added_us)
        .where(IntelObject.import_id == record.id)
        .order_by(IntelObject.added_us)
    ).all()
    result = [
        {"id": stix_id, "version": version_text(version, added_us), "message": "added"}
        for stix_id, version, added_us in added
    ]
    stored = {(stix_id, version) for stix_id, version, _ in added}
    unversioned: list[str] = []
    for obj in parsed.objects:
        key = (obj["id"], version_of(obj))
        if key in stored:
            continue
        if key[1]:
            result.append({"id": key[0], "version": key[1], "message": "already present"})
        else:
            unversioned.append(key[0])
    if unversioned:
        for stix_id, added_us in session.execute(
            select(IntelObject.stix_id, IntelObject.added_us).where(
                IntelObject.collection_id == record.collection_id,
                IntelObject.stix_id.in_(unversioned),
                IntelObject.version == "",
            )
        ):
            result.append(
                {"id": stix_id, "version": timestamp_of(added_us), "message": "already present"}
            )
    return result


def status_resource(record: IntelImport) -> dict[str, Any]:
    """The TAXII status resource of an import (complete: imports run while the POST waits)."""
    details = record.details or {}
    succeeded = record.added + record.unchanged
    resource: dict[str, Any] = {
        "id": str(record.id),
        "status": "complete",
        "request_timestamp": isoformat(record.created_at),
        "total_count": succeeded + record.failed,
        "success_count": succeeded,
        "failure_count": record.failed,
        "pending_count": 0,
    }
    successes = details.get("status_successes")
    if isinstance(successes, list) and len(successes) == succeeded and successes:
        resource["successes"] = successes
    rejected = details.get("rejected")
    if record.failed and isinstance(rejected, list) and len(rejected) == record.failed:
        resource["failures"] = [
            {"id": r.get("id") or "", "version": "", "message": r.get("reason", "")}
            for r in rejected
        ]
    return resource


def status(session: Session, actor: Actor, status_id: str) -> dict[str, Any]:
    """The status of an import: people of this node see every one, a peer only its own."""
    try:
        wanted = uuid.UUID(status_id)
    except ValueError:
        raise NotFound(f"no status {status_id[:80]!r}", status=status_id[:80]) from None
    record = session.get(IntelImport, wanted)
    if record is not None and peer_of(session, actor) is None:
        actor.require(*ROLES)
    elif record is not None and record.requested_by != actor.username:
        record = None
    if record is None:
        raise NotFound(f"no status {status_id[:80]!r}", status=status_id[:80])
    return status_resource(record)


def delete_object(
    session: Session, actor: Actor, ref: str, object_id: str, filters: Filters
) -> dict[str, Any]:
    """Delete the versions of ``object_id`` that ``filters`` select (default: the last one).

    A person of this node needs a contributor's role; a peer needs a write agreement and
    deletes only versions it gave. The deletion is recorded in the audit log. When no version
    is left in the collection, the identifiers it named leave the observable index, with the
    correlations recorded for them, so a search no longer shows it.
    """
    collection, peer = writable_by(session, actor, _collection_ref(ref))
    _object_ref(object_id)
    scope = Scope() if peer is None else Scope(own=peer.id)
    where = conditions(collection.id, scope, replace(filters, object_id=object_id))
    rows = session.execute(
        select(IntelObject.seq, IntelObject.version, IntelObject.added_us).where(*where)
    ).all()
    if not rows:
        if peer is not None and _visible_to_peer(session, collection, peer, object_id):
            raise PermissionDenied(
                f"peer {peer.agency.code} may delete only objects it added",
                object=object_id[:200],
            )
        raise NotFound(
            f"no object {object_id[:200]!r} in collection {collection.name!r}",
            object=object_id[:200],
        )
    session.execute(delete(IntelObject).where(IntelObject.seq.in_([r.seq for r in rows])))
    deleted = [version_text(r.version, r.added_us) for r in rows]
    left = select(IntelObject.seq).where(
        IntelObject.collection_id == collection.id, IntelObject.stix_id == object_id
    )
    if session.execute(left.limit(1)).first() is None:  # no version left: out of the index too
        forget(session, "intel", object_id, collection.id)
    audit.record(
        session,
        actor.username,
        "intel.object.delete",
        "collection",
        str(collection.id),
        details={"object": object_id, "versions": deleted, "via": "taxii"},
    )
    return {"object": object_id, "deleted_versions": deleted}


def _visible_to_peer(session: Session, collection: Collection, peer: Peer, object_id: str) -> bool:
    agreement = agreement_for(session, collection, peer)
    if agreement is None or not agreement.can_read:
        return False
    recipient = Recipient.peer(peer.id, peer.agency.code, agreement.max_tlp)
    return session.execute(exists_query(collection.id, recipient, object_id)).first() is not None


__all__ = [
    "API_ROOT",
    "STIX_MEDIA_TYPE",
    "TAXII_MEDIA_TYPE",
    "Page",
    "add_objects",
    "api_root",
    "collection",
    "collections",
    "delete_object",
    "discovery",
    "manifest_page",
    "objects_page",
    "status",
    "versions_page",
    "visible",
]
