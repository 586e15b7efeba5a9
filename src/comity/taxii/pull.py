"""``comity intel pull PEER``: a peer's collections over TAXII, only what is new each time.

    result = pull(ctx, actor_name=None, peer_code="FBI", options=PullOptions(limit=1000))

For every collection the peer lets this node read (or only those named), pages of every
version of every object are asked for after a stored cursor (``intel_pull_cursors``: one per
peer and remote collection, the ``date_added`` of the last object stored). Each page goes
through the one import pipeline (:func:`comity.intel.importing.store`, ``source_kind="pull"``,
the peer as origin, so TLP rules know what came from whom) **in the same transaction as the
cursor's advance**: a pull interrupted at any moment has stored whole pages and their cursor,
and the next pull goes on from there, losing and repeating nothing. The peer's ``date_added``
is strictly increasing within a collection, so resuming with ``added_after`` skips nothing.

Objects go to a local collection: ``--into NAME``, else ``<peer>-<remote alias or id>``; it is
created when missing. Pulling a remote collection into another local collection than before
starts it again from the beginning (the new collection has none of it yet).

A peer may have added a marking definition after objects that refer to it, so a page can
bring an object whose marking is not known yet. Such an object waits (in memory) and goes with
each following page until its definition has arrived; what still waits when the collection is
done — or the pull stops — is stored as far as it can be: rejected and reported, like any
object with an unknown marking.

Nothing is held open while waiting for the network: each page is fetched first, then stored
in a short transaction that also checks, under a lock on the cursor, that no concurrent pull
advanced it meanwhile (if one did, the page is dropped and fetching resumes from there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.errors import InvalidInput, NotFound
from comity.core.timeutil import utcnow
from comity.federation.models import Peer
from comity.federation.outgoing import load_credentials
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor
from comity.intel.correlation import CorrelationPolicy
from comity.intel.importing import ImportRequest, store, undefined_markings
from comity.intel.models import Collection, PullCursor
from comity.intel.services import CONTRIBUTORS, CURATORS, create_collection, find_collection
from comity.intel.stix import ParsedObjects, check_objects
from comity.taxii.client import TaxiiClient
from comity.taxii.filters import DEFAULT_LIMIT, MAX_LIMIT

_NAME_CHARS: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PullOptions:
    """How to pull: where to, which remote collections, page size, URL and TLS overrides."""

    into: str | None = None
    collections: tuple[str, ...] = ()
    """Remote collections to pull (ids or aliases); empty: every readable one."""
    limit: int = DEFAULT_LIMIT
    url: str | None = None
    verify: bool | str = True
    """``True``: system CAs; a path: a CA bundle for the peer's certificate."""
    max_pages: int | None = None
    """Stop after this many pages in all (a later pull goes on)."""


@dataclass
class CollectionPull:
    """What one remote collection gave."""

    remote_id: str
    remote_alias: str | None
    local: str
    pages: int = 0
    received: int = 0
    added: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None
    complete: bool = False
    waiting: list[Any] = field(default_factory=list)
    """Objects whose marking definition has not arrived yet (see the module)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "remote_collection": self.remote_id,
            "remote_alias": self.remote_alias,
            "collection": self.local,
            "pages": self.pages,
            "received": self.received,
            "added": self.added,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "rejections": self.rejected[:100],
            "cursor": self.cursor,
            "complete": self.complete,
        }


Progress = Callable[[CollectionPull], None]


def pull(
    ctx: NodeContext,
    actor_name: str | None,
    peer_code: str,
    options: PullOptions,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Pull what is new in the peer's collections; return a summary per collection."""
    if not 1 <= options.limit <= MAX_LIMIT:
        raise InvalidInput(f"the page size must be between 1 and {MAX_LIMIT}", limit=options.limit)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*CONTRIBUTORS)
        peer = get_peer(session, peer_code)
        code, url = peer.agency.code, options.url or peer.url
    if not url:
        raise InvalidInput(
            f"peer {code} has no URL: give --url (or register the peer with one)", peer=code
        )
    credentials = load_credentials(ctx.settings, code)
    results: list[CollectionPull] = []
    pages_left = options.max_pages
    with TaxiiClient(url, credentials, verify=options.verify) as client:
        root = client.api_root_url()
        remote = [c for c in client.collections(root) if c.get("can_read")]
        chosen = _chosen(remote, options.collections, code)
        for info in chosen:
            state = _prepare(ctx, actor_name, code, info, options.into)
            results.append(state)
            pages_left = _pull_collection(
                ctx, actor_name, code, client, root, state, options, pages_left, progress
            )
            if state.waiting:
                _store_objects(ctx, actor_name, code, state, [], last=True)
            if pages_left == 0 and not state.complete:
                break
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        audit.record(
            session,
            actor.username,
            "intel.pull",
            "peer",
            code,
            details={"collections": [r.as_dict() | {"rejections": []} for r in results]},
        )
    return {
        "peer": code,
        "url": url,
        "collections": [r.as_dict() for r in results],
        "added": sum(r.added for r in results),
        "complete": all(r.complete for r in results) and len(results) == len(chosen),
    }


def _chosen(
    remote: list[dict[str, Any]], wanted: tuple[str, ...], code: str
) -> list[dict[str, Any]]:
    if not wanted:
        return remote
    chosen: list[dict[str, Any]] = []
    for name in wanted:
        match = [c for c in remote if name in (c.get("id"), c.get("alias"))]
        if not match:
            raise NotFound(f"peer {code} shares no readable collection {name!r}", collection=name)
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def local_name(code: str, info: dict[str, Any]) -> str:
    """The default local collection for a remote one: ``<peer>-<alias or id>``."""
    remote = info.get("alias") if isinstance(info.get("alias"), str) else info["id"]
    name = _NAME_CHARS.sub("-", f"{code.lower()}-{remote}").strip("-._")
    return name[:100] or code.lower()


def _prepare(
    ctx: NodeContext, actor_name: str | None, code: str, info: dict[str, Any], into: str | None
) -> CollectionPull:
    """The local collection (created if missing) and the cursor of one remote collection."""
    remote_id = str(info["id"])[:200]
    alias = info.get("alias") if isinstance(info.get("alias"), str) else None
    name = into or local_name(code, info)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        peer = get_peer(session, code)
        collection = _local_collection(session, actor, name)
        cursor = _cursor(session, peer, remote_id)
        if cursor is None:
            cursor = PullCursor(
                peer_id=peer.id,
                remote_collection=remote_id,
                collection_id=collection.id,
                added_after=None,
            )
            session.add(cursor)
        elif cursor.collection_id != collection.id:
            cursor.collection_id, cursor.added_after = collection.id, None
            cursor.updated_at = utcnow()
        session.flush()
        return CollectionPull(remote_id, alias, collection.name, cursor=cursor.added_after)


def _local_collection(session: Session, actor: Actor, name: str) -> Collection:
    try:
        return find_collection(session, name)
    except NotFound:
        actor.require(*CURATORS)
        return create_collection(
            session, actor, name, title=name, description="pulled over TAXII from a peer"
        )


def _cursor(
    session: Session, peer: Peer, remote_id: str, *, lock: bool = False
) -> PullCursor | None:
    query = select(PullCursor).where(
        PullCursor.peer_id == peer.id, PullCursor.remote_collection == remote_id
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _pull_collection(
    ctx: NodeContext,
    actor_name: str | None,
    code: str,
    client: TaxiiClient,
    root: str,
    state: CollectionPull,
    options: PullOptions,
    pages_left: int | None,
    progress: Progress | None,
) -> int | None:
    """Fetch and store pages until the peer has no more; return the pages still allowed."""
    next_token: str | None = None
    since = state.cursor  # a next token goes with the filters of the request that gave it
    while pages_left is None or pages_left > 0:
        page = client.objects(
            root,
            state.remote_id,
            added_after=since if next_token else state.cursor,
            limit=options.limit,
            next_token=next_token,
        )
        if not page.objects:
            state.complete = True
            break
        stored = _store_objects(ctx, actor_name, code, state, page.objects, page.last_added)
        if pages_left is not None:
            pages_left -= 1
        if progress is not None:
            progress(state)
        if not stored:  # another pull moved the cursor: ask again from where it is now
            next_token, since = None, state.cursor
            continue
        if not page.more:
            state.complete = True
            break
        if page.next is not None:
            next_token = page.next
        else:
            next_token, since = None, state.cursor
    return pages_left


def _store_objects(
    ctx: NodeContext,
    actor_name: str | None,
    code: str,
    state: CollectionPull,
    objects: list[Any],
    last_added: str | None = None,
    *,
    last: bool = False,
) -> bool:
    """Store one page, with the objects still waiting for their marking definitions, and
    advance the cursor to ``last_added`` in one transaction; ``False`` if it was stale.

    ``last``: nothing more will come, so objects still waiting are stored as far as they can
    be (rejected and reported); the cursor stays.
    """
    parsed = ParsedObjects()
    check_objects([*state.waiting, *objects], parsed)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        peer = get_peer(session, code)
        cursor = _cursor(session, peer, state.remote_id, lock=True)
        if cursor is None or cursor.added_after != state.cursor:
            # Another pull moved the cursor (or it was reset): go on from where it is now.
            state.cursor = cursor.added_after if cursor is not None else None
            return False
        still_waiting = [] if last else _hold_back(session, parsed)
        collection = session.get(Collection, cursor.collection_id)
        assert collection is not None
        request = ImportRequest(
            collection=collection.name,
            source=f"TAXII pull from {code}, collection {state.remote_id}",
            format="stix",
            skip_invalid=True,
            source_kind="pull",
        )
        summary = store(
            session,
            actor,
            collection,
            parsed,
            request,
            fmt="stix",
            peer=peer,
            default_tlp=ctx.settings.default_tlp,
            policy=CorrelationPolicy.for_settings(ctx.settings),
        )
        if not last:
            cursor.added_after = last_added
            cursor.updated_at = utcnow()
    state.waiting = still_waiting
    state.added += int(summary["added"])
    state.unchanged += int(summary["unchanged"])
    state.rejected.extend(summary["rejected"])
    if not last:
        state.cursor = last_added
        state.pages += 1
        state.received += len(objects)
    return True


def _hold_back(session: Session, parsed: ParsedObjects) -> list[Any]:
    """Take the objects whose marking definitions are unknown out of ``parsed``; return them."""
    undefined = undefined_markings(session, parsed)
    if not undefined:
        return []
    held: list[Any] = []
    kept_objects, kept_bodies = [], []
    for obj, body in zip(parsed.objects, parsed.bodies, strict=True):
        if undefined.intersection(obj.get("object_marking_refs") or ()):
            held.append(obj)
        else:
            kept_objects.append(obj)
            kept_bodies.append(body)
    parsed.objects, parsed.bodies = kept_objects, kept_bodies
    return held
