"""Writing intelligence out: STIX 2.1 bundles (MISP events in :mod:`comity.intel.misp`).

    document, withheld = export_stix(session, actor, collection="fraud-infra",
                                     recipient=Recipient.file("amber"))

Every object leaves through :mod:`comity.intel.policy`: what may not go to the recipient is
withheld and counted by reason, never silently dropped. The bundle carries the objects as
they were received (identifiers, markings, ``created_by_ref``), the TLP 2.0 marking
definitions they reference, Comity's extension definitions for the new observable types, and
each object's provenance on this node in ``x_comity_provenance``.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.core.timeutil import utcnow
from comity.federation.models import Peer
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.models import Agency
from comity.identity.services import Actor
from comity.intel.errors import IntelInputError
from comity.intel.mapping import COMITY_IDENTITY, EXTENSION_CREATED, EXTENSIONS
from comity.intel.models import IntelObject
from comity.intel.policy import Recipient, refusal
from comity.intel.services import agreement_for, find_collection
from comity.intel.stix import timestamp_of
from comity.intel.tlp import RANK, TLP2_IDS, marking_definition, parse_level


@dataclass
class Selection:
    """The latest version of every releasable object, and what was withheld and why."""

    rows: list[IntelObject] = field(default_factory=list)
    withheld: Counter[str] = field(default_factory=Counter)
    origins: dict[uuid.UUID, str] = field(default_factory=dict)

    def withheld_list(self) -> list[dict[str, Any]]:
        """``[{"reason", "objects"}]``, most frequent first."""
        return [{"reason": r, "objects": n} for r, n in self.withheld.most_common()]


def select_for(
    session: Session, actor: Actor, recipient: Recipient, collection: str | None = None
) -> Selection:
    """The objects ``recipient`` may receive (latest version of each), checked one by one."""
    actor.require("administrator", "supervisor", "analyst", "investigator")
    query = select(IntelObject).order_by(IntelObject.collection_id, IntelObject.added_us)
    if collection is not None:
        query = query.where(IntelObject.collection_id == find_collection(session, collection).id)
    selection = Selection()
    latest: dict[tuple[uuid.UUID, str], IntelObject] = {}
    for row in session.scalars(query):
        key = (row.collection_id, row.stix_id)
        if key not in latest or row.version >= latest[key].version:
            latest[key] = row
    seen: set[str] = set()
    for row in latest.values():
        reason = refusal(row.tlp, row.origin_peer_id, recipient)
        if reason is not None:
            selection.withheld[reason] += 1
        elif row.stix_id not in seen:
            seen.add(row.stix_id)
            selection.rows.append(row)
    selection.origins = dict(
        session.execute(
            select(Peer.id, Agency.code).join(Agency, Peer.agency_id == Agency.id)
        ).all()
    )
    return selection


def export_stix(
    session: Session, actor: Actor, recipient: Recipient, collection: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A STIX 2.1 bundle of what ``recipient`` may receive, and what was withheld."""
    selection = select_for(session, actor, recipient, collection)
    objects = list(_objects(selection, actor))
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    audit_export(session, actor, "stix", recipient, collection, len(selection.rows), selection)
    return bundle, selection.withheld_list()


@dataclass
class Export:
    """An export's document, how many objects it holds, and what was withheld and why.

    ``objects`` counts a bundle's STIX objects, or MISP events' attributes (those inside MISP
    objects too).
    """

    format: str
    document: dict[str, Any] | list[dict[str, Any]]
    objects: int
    withheld: list[dict[str, Any]]


def recipient_for(
    session: Session,
    max_tlp: str,
    for_peer: str | None = None,
    collection: str | None = None,
) -> Recipient:
    """The recipient of an export: a file up to ``max_tlp``, or a peer under its agreement.

    For a peer the lower of ``max_tlp`` and its agreement's ceiling applies; a peer without a
    read agreement for ``collection`` gets nothing (:class:`IntelInputError`).
    """
    ceiling = parse_level(max_tlp)
    if for_peer is None:
        return Recipient.file(ceiling)
    if collection is None:
        raise IntelInputError(
            "an export for a peer needs a collection: agreements are per collection"
        )
    peer = get_peer(session, for_peer)
    agreement = agreement_for(session, find_collection(session, collection), peer)
    if agreement is None or not agreement.can_read:
        raise IntelInputError(
            f"{peer.agency.code} has no read agreement for {collection!r}", peer=peer.agency.code
        )
    lower = min(ceiling, agreement.max_tlp, key=RANK.__getitem__)
    return Recipient.peer(peer.id, peer.agency.code, lower)


def export(
    session: Session,
    actor: Actor,
    fmt: str,
    recipient: Recipient,
    collection: str | None = None,
) -> Export:
    """Export in ``fmt`` (``stix`` or ``misp``) what ``recipient`` may receive."""
    if fmt == "stix":
        document, withheld = export_stix(session, actor, recipient, collection)
        return Export(fmt, document, len(document["objects"]), withheld)
    if fmt == "misp":
        from comity.intel.misp import attributes_of, export_misp  # misp imports this module

        events, withheld = export_misp(session, actor, recipient, collection)
        listed = events if isinstance(events, list) else [events]
        count = sum(1 for e in listed for _ in attributes_of(e.get("Event", {})))
        return Export(fmt, events, count, withheld)
    raise IntelInputError(f"unknown format {fmt!r}: use stix or misp", format=fmt)


def _objects(selection: Selection, actor: Actor) -> Iterator[dict[str, Any]]:
    stored = {row.stix_id for row in selection.rows}
    markings: set[str] = set()
    new_types: set[str] = set()
    for row in selection.rows:
        obj = json.loads(row.body)
        markings.update(obj.get("object_marking_refs") or ())
        if obj["type"] in EXTENSIONS:
            new_types.add(obj["type"])
        obj["x_comity_provenance"] = provenance_of(row, selection.origins, actor)
        yield obj
    for level, marking_id in TLP2_IDS.items():
        if marking_id in markings and marking_id not in stored:
            yield marking_definition(level)
    if new_types:
        yield {
            "type": "identity",
            "spec_version": "2.1",
            "id": COMITY_IDENTITY,
            "created": EXTENSION_CREATED,
            "modified": EXTENSION_CREATED,
            "name": "Comity",
            "identity_class": "system",
        }
        for obj_type in sorted(new_types):
            yield EXTENSIONS[obj_type]


def provenance_of(
    row: IntelObject, origins: Mapping[uuid.UUID, str], actor: Actor
) -> dict[str, Any]:
    """Where an object was on this node (``x_comity_provenance``): source, peer, user, date.

    ``origins`` maps peer ids to agency codes (:attr:`Selection.origins`); an object no peer
    sent is from this node's agency.
    """
    origin = origins.get(row.origin_peer_id) if row.origin_peer_id else None
    return {
        "source": row.source,
        "source_kind": row.source_kind,
        "from_agency": origin or actor.agency.code,
        "added_by": row.added_by,
        "date_added": timestamp_of(row.added_us),
    }


def audit_export(
    session: Session,
    actor: Actor,
    fmt: str,
    recipient: Recipient,
    collection: str | None,
    count: int,
    selection: Selection,
) -> None:
    """Record an export in the audit log: format, recipient, ceiling, counts, what was withheld."""
    audit.record(
        session,
        actor.username,
        "intel.export",
        "collection",
        collection,
        details={
            "format": fmt,
            "recipient": recipient.label,
            "max_tlp": recipient.max_tlp,
            "objects": count,
            "withheld": dict(selection.withheld),
            "at": utcnow().isoformat(),
        },
    )
