"""Finding what two agencies' complaints share, privately: the file-based match.

    request = request_match(ctx, None, "CBI")              # on the FBI's node → to the CBI
    answer = respond_match(ctx, None, request)             # on the CBI's node → back
    result = finish_match(ctx, None, answer)               # on the FBI's node: shared found
    finish_match(ctx, None, result["document"])            # on the CBI's node: recorded too

Each message is a JSON document signed by its sender's node key (JWS, Ed25519), so a file
carried between two nodes that are not connected cannot be altered or forged. The protocol
is ECDH private set intersection (:mod:`comity.link.psi`): the requester learns which of its
identifiers the responder holds, the responder how many were asked — then the requester
sends the shared identifiers back, signed, and the responder checks each is one it holds
before recording it. Both sides end with the same list and nothing else.

**What enters.** Only identifiers the peer may learn this node holds, and that are evidence
(:mod:`comity.link.evidence`; helplines and brands stay out): the valid identifiers of the
node's complaints, when a sharing agreement lets the peer read the collection named
``complaints`` at a TLP that reaches ``link_match_tlp`` (AMBER by default; RED never); and the
identifiers of the intelligence in every other collection shared with the peer, each as the
one TLP policy allows (:func:`comity.intel.policy.refusal`: RED never, nothing above the
agreement, a third peer's AMBER never). No agreement, no match: the command says so.

**What a peer may ask.** At most ``link_match_max_request`` identifiers at a time and
``link_match_daily_budget`` in any 24 hours, so the responder cannot be used to test every
possible phone number; every request, answered or refused, is in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.errors import CheckFailed, InvalidInput, PermissionDenied
from comity.core.files import write_secret
from comity.core.settings import Settings
from comity.core.timeutil import isoformat, utcnow
from comity.federation.messages import open_sealed, seal
from comity.federation.models import Peer
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.models import PEER_ROLE
from comity.identity.services import resolve_actor
from comity.intel.tlp import RANK, parse_level
from comity.link import psi
from comity.link.errors import LinkInputError
from comity.link.evidence import evidence_rule
from comity.link.models import ComplaintIdentifier, LinkMatch

COLLECTION: Final = "complaints"
"""The collection whose sharing agreement says what a peer may match against."""

MATCHERS: Final = ("administrator", "supervisor", "analyst")
KINDS: Final = ("comity-match-request", "comity-match-answer", "comity-match-result")
SECRETS_DIR: Final = "matches"
_SEPARATOR: Final = "\t"


class MatchInvalid(CheckFailed):
    """A match message whose signature or addressing does not hold (exit 1): altered, forged,
    or not for this node."""


class MatchRefused(PermissionDenied):
    """A match this node will not take part in (exit 2): no agreement, a request too large."""


def eligible(session: Session, settings: Settings, peer: Peer) -> list[str]:
    """The identifiers ``peer`` may learn this node holds, as PSI items (``type\tvalue``).

    The node's complaints, under an agreement on the ``complaints`` collection reaching
    ``link_match_tlp``; and the identifiers of every other collection shared with the peer,
    each only if :func:`comity.intel.policy.refusal` lets it go to the peer (RED never; above
    the agreement's TLP never; a third peer's AMBER never). Warning-listed values never.
    """
    from comity.intel.warninglists import for_settings

    refused = _complaints_refusal(session, settings, peer)
    keys = _intel_keys(session, peer)
    if refused is not None and keys is None:
        raise MatchRefused(refused, peer=peer.agency.code)
    found = set(keys or ())
    if refused is None:
        found.update(
            (str(t), str(v))
            for t, v in session.execute(
                select(ComplaintIdentifier.obs_type, ComplaintIdentifier.value)
                .where(ComplaintIdentifier.valid.is_(True))
                .distinct()
            )
        )
    not_evidence = evidence_rule(for_settings(settings))
    return sorted(f"{t}{_SEPARATOR}{v}" for t, v in found if not_evidence(t, v) is None)


def _complaints_refusal(session: Session, settings: Settings, peer: Peer) -> str | None:
    """Why the node's complaints may not enter a match with ``peer`` (``None``: they may)."""
    from comity.intel.models import Collection, SharingAgreement

    level = parse_level(settings.link_match_tlp)
    agreement = session.scalars(
        select(SharingAgreement)
        .join(Collection, Collection.id == SharingAgreement.collection_id)
        .where(Collection.name == COLLECTION, SharingAgreement.peer_id == peer.id)
    ).first()
    if level == "red" or agreement is None or not agreement.can_read:
        return (
            f"no agreement lets {peer.agency.code} match against this node's complaints: "
            f"share the '{COLLECTION}' collection with it (comity share --collection "
            f"{COLLECTION} --peer {peer.agency.code} --read --max-tlp {level})"
        )
    if RANK[level] > RANK[agreement.max_tlp]:
        return (
            f"the agreement with {peer.agency.code} reaches TLP:{agreement.max_tlp.upper()}; "
            f"matches are TLP:{level.upper()} (link_match_tlp)"
        )
    return None


def _intel_keys(session: Session, peer: Peer) -> set[tuple[str, str]] | None:
    """The identifiers of the intelligence shared with ``peer`` that it may receive; ``None``
    when no collection besides ``complaints`` is shared with it."""
    from comity.intel.models import Collection, ObservableRef, SharingAgreement
    from comity.intel.policy import Recipient, refusal

    agreements = session.execute(
        select(SharingAgreement.collection_id, SharingAgreement.max_tlp)
        .join(Collection, Collection.id == SharingAgreement.collection_id)
        .where(
            SharingAgreement.peer_id == peer.id,
            SharingAgreement.can_read.is_(True),
            Collection.name != COLLECTION,
        )
    ).all()
    if not agreements:
        return None
    found: set[tuple[str, str]] = set()
    for collection_id, max_tlp in agreements:
        recipient = Recipient.peer(peer.id, peer.agency.code, str(max_tlp))
        for obs_type, value, tlp, origin in session.execute(
            select(
                ObservableRef.obs_type,
                ObservableRef.value,
                ObservableRef.tlp,
                ObservableRef.origin_peer_id,
            ).where(ObservableRef.kind == "intel", ObservableRef.collection_id == collection_id)
        ):
            if refusal(str(tlp or "red"), origin, recipient) is None:
                found.add((str(obs_type), str(value)))
    return found


def request_match(ctx: NodeContext, actor_name: str | None, peer_code: str) -> str:
    """Start a match with ``peer_code``: return the signed request to send it (JSON text)."""
    match_id = uuid.uuid4()
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*MATCHERS)
        peer = get_peer(session, peer_code)
        items = eligible(session, ctx.settings, peer)
        if not items:
            raise InvalidInput("this node holds no identifier to match (ingest complaints)")
        secret, requests = psi.start(items)
        path = _secret_path(ctx, match_id)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_secret(path, orjson.dumps(secret.as_dict()))
        session.add(
            LinkMatch(
                id=match_id,
                role="requester",
                peer_id=peer.id,
                status="requested",
                asked=len(items),
                offered=len(items),
                shared=[],
            )
        )
        own = _own_code(session)
        audit.record(
            session,
            actor.username,
            "link.match.request",
            "peer",
            peer.agency.code,
            details={"match": str(match_id), "identifiers": len(items)},
        )
        document = {
            "kind": KINDS[0],
            "version": 1,
            "match": str(match_id),
            "from": own,
            "to": peer.agency.code,
            "created_at": isoformat(utcnow()),
            "count": len(items),
            "requests": [psi.encode(part) for part in requests],
        }
        return _signed(ctx, document)


def respond_match(ctx: NodeContext, actor_name: str | None, text: str) -> str:
    """Answer a peer's request (checked: signature, addressing, size, budget); return the
    signed answer to send back (JSON text). A refused request is audited all the same."""
    try:
        return _respond(ctx, actor_name, text)
    except MatchRefused as refused:
        with ctx.transaction() as session:
            actor = resolve_actor(session, actor_name)
            audit.record(
                session,
                actor.username,
                "link.match.refused",
                "peer",
                str(refused.data.get("peer", "?")),
                details={"reason": str(refused), "asked": refused.data.get("asked")},
            )
        raise


def _may_act(actor: Any, peer: Peer) -> None:
    """A person of this node with a matching role, or the sending peer's own service account
    (a match over the network: ``POST /api/v1/link/match/...``)."""
    if actor.user.has_role(PEER_ROLE):
        if actor.agency.code != peer.agency.code:
            raise PermissionDenied(
                f"peer {actor.agency.code} may not act for {peer.agency.code}",
                peer=actor.agency.code,
            )
        return
    actor.require(*MATCHERS)


def _respond(ctx: NodeContext, actor_name: str | None, text: str) -> str:
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        document, peer = _verified(session, text, KINDS[0])
        _may_act(actor, peer)
        requests = [psi.decode(part) for part in _strings(document.get("requests"))]
        asked = psi.request_size(requests)
        match_id = _match_id(document)
        if session.get(LinkMatch, (match_id, "responder")) is not None:
            raise MatchInvalid(f"match {match_id} was answered already", match=str(match_id))
        _check_budget(session, ctx.settings, peer, asked)
        items = eligible(session, ctx.settings, peer)
        answer = psi.respond(requests, items)
        session.add(
            LinkMatch(
                id=match_id,
                role="responder",
                peer_id=peer.id,
                status="answered",
                asked=asked,
                offered=len(items),
                shared=[],
            )
        )
        audit.record(
            session,
            actor.username,
            "link.match.respond",
            "peer",
            peer.agency.code,
            details={"match": str(match_id), "asked": asked, "offered": len(items)},
        )
        reply = {
            "kind": KINDS[1],
            "version": 1,
            "match": str(match_id),
            "from": _own_code(session),
            "to": peer.agency.code,
            "created_at": isoformat(utcnow()),
            "setup": psi.encode(answer.setup),
            "responses": [psi.encode(part) for part in answer.responses],
        }
        return _signed(ctx, reply)


def finish_match(ctx: NodeContext, actor_name: str | None, text: str) -> dict[str, Any]:
    """Finish a match: with the peer's answer (requester), find and record what is shared and
    return the signed result for the peer (``document``); with the peer's result
    (responder), check and record it. Returns ``{"match", "peer", "shared": [...], …}``."""
    kind = message_kind(text)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        document, peer = _verified(session, text, kind)
        if kind == KINDS[1]:
            actor.require(*MATCHERS)  # the requester's own people finish with an answer
        else:
            _may_act(actor, peer)
        match_id = _match_id(document)
        role = "requester" if kind == KINDS[1] else "responder"
        record = session.get(LinkMatch, (match_id, role))
        expected = "requested" if role == "requester" else "answered"
        if record is None or record.peer_id != peer.id or record.status != expected:
            raise MatchInvalid(
                f"match {match_id} is not one this node is waiting for from {peer.agency.code}",
                match=str(match_id),
            )
        if role == "requester":
            path = _secret_path(ctx, match_id)
            secret = psi.Secret.from_dict(orjson.loads(path.read_bytes()))
            answer = psi.Answer(
                psi.decode(str(document.get("setup", ""))),
                [psi.decode(part) for part in _strings(document.get("responses"))],
            )
            shared_items = psi.finish(secret, answer)
        else:
            shared_items = [f"{t}{_SEPARATOR}{v}" for t, v in _pairs(document.get("shared"))]
            held = set(eligible(session, ctx.settings, peer))
            foreign = [item for item in shared_items if item not in held]
            if foreign:
                raise MatchInvalid(
                    f"the result names {len(foreign)} identifiers this node did not offer",
                    match=str(match_id),
                )
        shared = [item.split(_SEPARATOR, 1) for item in shared_items]
        record.shared, record.status, record.completed_at = shared, "complete", utcnow()
        audit.record(
            session,
            actor.username,
            f"link.match.{role}-finish",
            "peer",
            peer.agency.code,
            details={"match": str(match_id), "shared": len(shared)},
        )
        result: dict[str, Any] = {
            "match": str(match_id),
            "peer": peer.agency.code,
            "role": role,
            "asked": record.asked,
            "shared": [{"type": t, "value": v} for t, v in shared],
        }
        if role == "requester":
            result["document"] = _signed(
                ctx,
                {
                    "kind": KINDS[2],
                    "version": 1,
                    "match": str(match_id),
                    "from": _own_code(session),
                    "to": peer.agency.code,
                    "created_at": isoformat(utcnow()),
                    "shared": shared,
                },
            )
    if role == "requester":
        _secret_path(ctx, match_id).unlink(missing_ok=True)
    return result


def shared_with_peers(session: Session) -> dict[tuple[str, str], list[str]]:
    """``(type, value) → [peer codes]`` for every identifier a completed match found shared."""
    found: dict[tuple[str, str], set[str]] = {}
    for record in session.scalars(select(LinkMatch).where(LinkMatch.status == "complete")):
        code = session.get_one(Peer, record.peer_id).agency.code
        for obs_type, value in record.shared:
            found.setdefault((obs_type, value), set()).add(code)
    return {key: sorted(codes) for key, codes in found.items()}


def _check_budget(session: Session, settings: Settings, peer: Peer, asked: int) -> None:
    since = utcnow() - timedelta(hours=24)
    spent = (
        session.scalar(
            select(func.coalesce(func.sum(LinkMatch.asked), 0)).where(
                LinkMatch.peer_id == peer.id,
                LinkMatch.role == "responder",
                LinkMatch.created_at >= since,
            )
        )
        or 0
    )
    reason = None
    if asked > settings.link_match_max_request:
        most = settings.link_match_max_request
        reason = f"asks about {asked} identifiers (the most at once is {most})"
    elif spent + asked > settings.link_match_daily_budget:
        reason = (
            f"asks about {asked} identifiers after {spent} in the last 24 hours "
            f"(the most is {settings.link_match_daily_budget})"
        )
    if reason is not None:
        raise MatchRefused(
            f"{peer.agency.code}'s request {reason}", peer=peer.agency.code, asked=asked
        )


def _verified(session: Session, text: str, kind: str) -> tuple[dict[str, Any], Peer]:
    """The document of a signed message of ``kind`` and the peer that signed it."""
    return open_sealed(
        session, text, kind, malformed=LinkInputError, invalid=MatchInvalid, what="match message"
    )


def message_kind(text: str) -> str:
    """The kind of a match message that ``match-finish`` takes (an answer or a result)."""
    try:
        kind = orjson.loads(text)["document"]["kind"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise LinkInputError("not a Comity match message") from None
    if kind not in KINDS[1:]:
        raise LinkInputError(f"match-finish takes an answer or a result, not {str(kind)[:40]!r}")
    return str(kind)


def _match_id(document: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(document.get("match")))
    except ValueError:
        raise LinkInputError("the message has no valid match id") from None


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LinkInputError("the message's parts are not a list of strings")
    return value


def _pairs(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise LinkInputError("the result's shared identifiers are not [type, value] pairs")
    return [(p[0], p[1]) for p in value]


def _signed(ctx: NodeContext, document: dict[str, Any]) -> str:
    return seal(ctx.keys, document)


def _own_code(session: Session) -> str:
    from comity.identity.services import local_agency

    return local_agency(session).code


def _secret_path(ctx: NodeContext, match_id: uuid.UUID) -> Path:
    return ctx.settings.home / "keys" / SECRETS_DIR / f"{match_id}.json"


def match_over_network(
    ctx: NodeContext,
    actor_name: str | None,
    peer_code: str,
    *,
    url: str | None = None,
    verify: bool | str = True,
) -> dict[str, Any]:
    """The whole match with a peer over its API, with this node's credentials for it: the
    request, the peer's answer, the result sent back. Returns what :func:`finish_match` does."""
    from comity.federation.outgoing import load_credentials
    from comity.link.peer_client import MatchClient

    with ctx.transaction() as session:
        peer = get_peer(session, peer_code)
        code, base = peer.agency.code, url or peer.url
    if not base:
        raise InvalidInput(f"peer {code} has no URL: give --url", peer=code)
    credentials = load_credentials(ctx.settings, code)
    request = request_match(ctx, actor_name, code)
    with MatchClient(base, credentials, verify=verify) as client:
        answer = client.post("api/v1/link/match/answer", request)
        result = finish_match(ctx, actor_name, answer)
        document = result.pop("document")
        client.post("api/v1/link/match/result", document)
    return result
