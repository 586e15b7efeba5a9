"""Collections and sharing agreements: which peer may read or write what, up to which TLP.

    collection = create_collection(session, actor, "fraud-infra", title="Fraud infrastructure")
    share(session, actor, "fraud-infra", "FBI", read=True, write=False, max_tlp="amber")

People of this node (every role) see every collection; a peer's account sees only the
collections an agreement lets it read or write.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.core.errors import AlreadyExists, NotFound, PermissionDenied
from comity.federation.models import Peer
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.models import PEER_ROLE, ROLES
from comity.identity.services import Actor
from comity.intel.errors import IntelInputError
from comity.intel.models import Collection, IntelObject, SharingAgreement
from comity.intel.policy import Recipient
from comity.intel.tlp import parse_level

CURATORS = ("administrator", "supervisor", "analyst")
"""Roles that create collections and make sharing agreements."""

CONTRIBUTORS = ("administrator", "supervisor", "analyst", "investigator")
"""Roles that import intelligence."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")


def peer_of(session: Session, actor: Actor) -> Peer | None:
    """The peer whose service account ``actor`` is, or ``None`` for a person of this node."""
    if not actor.user.has_role(PEER_ROLE):
        return None
    return session.scalars(select(Peer).where(Peer.user_id == actor.user.id)).first()


def create_collection(
    session: Session,
    actor: Actor,
    name: str,
    *,
    title: str | None = None,
    description: str | None = None,
) -> Collection:
    """Create a collection; its name is unique (letters, digits, ``.``, ``_``, ``-``)."""
    actor.require(*CURATORS)
    if not _NAME.match(name):
        raise IntelInputError(
            f"invalid collection name {name!r}: letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 100",
            field="name",
        )
    if session.scalars(select(Collection).where(Collection.name == name)).first():
        raise AlreadyExists(f"collection {name!r} exists", name=name)
    collection = Collection(
        name=name,
        title=(title or name)[:200],
        description=description,
        created_by=actor.username,
    )
    session.add(collection)
    session.flush()
    audit.record(
        session,
        actor.username,
        "intel.collection.create",
        "collection",
        str(collection.id),
        details={"name": name},
    )
    return collection


DEFAULT_COLLECTION = "local"
"""Where imports go when no collection is named; made on first use."""


def ensure_collection(session: Session, actor: Actor, name: str, *, title: str) -> Collection:
    """The collection ``name``, created first if it does not exist."""
    existing = session.scalars(select(Collection).where(Collection.name == name)).first()
    return existing or create_collection(session, actor, name, title=title)


def find_collection(session: Session, ref: str) -> Collection:
    """The collection named ``ref`` or with id ``ref``; :class:`NotFound` otherwise.

    A ``ref`` that can be neither (a NUL byte, a path, 10,000 characters) is not looked up.
    """
    if not _NAME.match(ref) and not _is_uuid(ref):
        raise NotFound(f"no collection {ref[:100]!r}", collection=ref[:100])
    query = select(Collection).where(Collection.name == ref)
    with contextlib.suppress(ValueError):
        query = select(Collection).where(
            (Collection.name == ref) | (Collection.id == uuid.UUID(ref))
        )
    collection = session.scalars(query).first()
    if collection is None:
        raise NotFound(f"no collection {ref!r}", collection=ref)
    return collection


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def agreement_for(session: Session, collection: Collection, peer: Peer) -> SharingAgreement | None:
    """The agreement between ``collection`` and ``peer``, if there is one."""
    return session.scalars(
        select(SharingAgreement).where(
            SharingAgreement.collection_id == collection.id, SharingAgreement.peer_id == peer.id
        )
    ).first()


def readable_by(session: Session, actor: Actor, ref: str) -> tuple[Collection, Recipient | None]:
    """A collection ``actor`` may read, and the TLP recipient it is (``None``: a person here).

    A peer without a read agreement gets :class:`NotFound`, as if the collection did not exist.
    """
    collection = _visible(session, actor, ref, "read")
    peer = peer_of(session, actor)
    if peer is None:
        return collection, None
    agreement = agreement_for(session, collection, peer)
    assert agreement is not None
    return collection, Recipient.peer(peer.id, peer.agency.code, agreement.max_tlp)


def writable_by(session: Session, actor: Actor, ref: str) -> tuple[Collection, Peer | None]:
    """A collection ``actor`` may add to, and the peer writing (``None``: a person here)."""
    collection = _visible(session, actor, ref, "write")
    return collection, peer_of(session, actor)


def _visible(session: Session, actor: Actor, ref: str, access: str) -> Collection:
    peer = peer_of(session, actor)
    if peer is None:
        actor.require(*(CONTRIBUTORS if access == "write" else ROLES))
        return find_collection(session, ref)
    try:
        collection = find_collection(session, ref)
    except NotFound:
        raise NotFound(f"no collection {ref!r}", collection=ref) from None
    agreement = agreement_for(session, collection, peer)
    if agreement is None or not (agreement.can_read or agreement.can_write):
        raise NotFound(f"no collection {ref!r}", collection=ref)
    allowed = agreement.can_read if access == "read" else agreement.can_write
    if not allowed:
        raise PermissionDenied(
            f"peer {peer.agency.code} may not {access} collection {collection.name!r}",
            collection=collection.name,
            access=access,
        )
    return collection


def list_collections(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every collection ``actor`` can see, with its access and object count."""
    peer = peer_of(session, actor)
    counts = dict(
        session.execute(
            select(IntelObject.collection_id, func.count()).group_by(IntelObject.collection_id)
        ).all()
    )
    result = []
    for collection in session.scalars(select(Collection).order_by(Collection.name)):
        summary = collection_summary(collection, counts.get(collection.id, 0))
        if peer is not None:
            agreement = agreement_for(session, collection, peer)
            if agreement is None or not (agreement.can_read or agreement.can_write):
                continue
            summary.update(can_read=agreement.can_read, can_write=agreement.can_write)
        else:
            summary.update(can_read=True, can_write=actor.user.has_role(*CONTRIBUTORS))
            summary["shared_with"] = [
                agreement_summary(a) for a in agreements_of(session, collection)
            ]
        result.append(summary)
    return result


def agreements_of(session: Session, collection: Collection) -> list[SharingAgreement]:
    """The sharing agreements of ``collection``, by peer code."""
    return list(
        session.scalars(
            select(SharingAgreement).where(SharingAgreement.collection_id == collection.id)
        )
    )


def share(
    session: Session,
    actor: Actor,
    collection_ref: str,
    peer_code: str,
    *,
    read: bool,
    write: bool,
    max_tlp: str,
    revoke: bool = False,
) -> dict[str, Any]:
    """Make, change or end the agreement letting ``peer_code`` read/write a collection.

    ``max_tlp`` is the highest level the peer may receive; RED is refused (it never leaves
    the node). Saying neither ``read`` nor ``write`` is an error unless ``revoke``.
    """
    actor.require(*CURATORS)
    collection = find_collection(session, collection_ref)
    peer = get_peer(session, peer_code)
    existing = agreement_for(session, collection, peer)
    if revoke:
        if existing is None:
            raise NotFound(
                f"collection {collection.name!r} is not shared with {peer.agency.code}",
                collection=collection.name,
                peer=peer.agency.code,
            )
        session.delete(existing)
        session.flush()
        audit.record(
            session,
            actor.username,
            "intel.share.revoke",
            "collection",
            str(collection.id),
            details={"peer": peer.agency.code},
        )
        return {"collection": collection.name, "peer": peer.agency.code, "revoked": True}
    if not (read or write):
        raise IntelInputError("say --read, --write or both (or --revoke to end the agreement)")
    level = parse_level(max_tlp)
    if level == "red":
        raise IntelInputError("TLP:RED never leaves this node: the highest ceiling is amber+strict")
    agreement = existing or SharingAgreement(collection_id=collection.id, peer_id=peer.id)
    agreement.can_read, agreement.can_write, agreement.max_tlp = read, write, level
    agreement.updated_by = actor.username
    if existing is None:
        session.add(agreement)
    session.flush()
    session.refresh(agreement)
    summary = {"collection": collection.name, **agreement_summary(agreement)}
    audit.record(
        session,
        actor.username,
        "intel.share",
        "collection",
        str(collection.id),
        details=summary,
    )
    return summary


def collection_summary(collection: Collection, objects: int | None = None) -> dict[str, Any]:
    """JSON form of a collection."""
    summary: dict[str, Any] = {
        "id": str(collection.id),
        "name": collection.name,
        "title": collection.title,
        "description": collection.description,
        "created_at": collection.created_at.isoformat(),
        "created_by": collection.created_by,
    }
    if objects is not None:
        summary["objects"] = objects
    return summary


def agreement_summary(agreement: SharingAgreement) -> dict[str, Any]:
    """JSON form of a sharing agreement."""
    return {
        "peer": agreement.peer.agency.code,
        "read": agreement.can_read,
        "write": agreement.can_write,
        "max_tlp": agreement.max_tlp,
        "updated_at": agreement.updated_at.isoformat(),
        "updated_by": agreement.updated_by,
    }
