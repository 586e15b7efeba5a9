"""Peers: register other agencies' nodes, their keys, and the credentials they call us with.

result = add_peer(session, actor, code="FBI", agency="Federal Bureau of Investigation",
                  country="US", signing_key="...", encryption_key="...")
result["credentials"]   # username, password, token the FBI node uses to call this node
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.core.errors import AlreadyExists, CheckFailed, InvalidInput, NotFound
from comity.core.keys import (
    NodeKeys,
    b64u_decode,
    fingerprint,
    load_ed25519_public,
    load_x25519_public,
)
from comity.core.signing import sign_document, verify_document
from comity.core.timeutil import isoformat, utcnow
from comity.federation.models import Peer
from comity.identity import audit
from comity.identity.models import ROLES, Agency, PublicKeyRecord
from comity.identity.services import (
    Actor,
    active_key,
    create_service_user,
    describe_node,
    normalize_code,
    normalize_country,
)

DESCRIPTOR_TYPE = "comity-node-descriptor"
MAX_DESCRIPTOR_BYTES = 64 * 1024


def export_descriptor(session: Session, keys: NodeKeys) -> dict[str, Any]:
    """Return this node's descriptor, self-signed (proof of key possession, not of identity)."""
    node = describe_node(session)
    document = {
        "type": DESCRIPTOR_TYPE,
        "version": 1,
        "agency": node["agency"],
        "url": node["url"],
        "keys": {
            "signing": node["keys"]["signing"]["public_key"],
            "encryption": node["keys"]["encryption"]["public_key"],
        },
        "created": isoformat(utcnow()),
    }
    return {
        **document,
        "signature": sign_document(keys.signing, document, keys.signing_fingerprint),
    }


def read_descriptor(path: Path) -> dict[str, Any]:
    """Read and check a descriptor file: well-formed, and signed by the key it carries."""
    try:
        if path.stat().st_size > MAX_DESCRIPTOR_BYTES:
            raise InvalidInput(f"{path.name} is too large for a node descriptor")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"no such file: {path}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name} is not a JSON node descriptor: {exc}") from exc
    return check_descriptor(data, path.name)


def check_descriptor(data: Any, source: str = "the descriptor") -> dict[str, Any]:
    """Check a parsed descriptor: well-formed, and signed by the key it carries."""
    if not isinstance(data, dict) or data.get("type") != DESCRIPTOR_TYPE:
        raise InvalidInput(f"{source} is not a Comity node descriptor")
    try:
        agency = data["agency"]
        signing = str(data["keys"]["signing"])
        encryption = str(data["keys"]["encryption"])
        signature = str(data["signature"])
        code, name, country = agency["code"], agency["name"], agency["country"]
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"{source} lacks the field {exc}") from exc
    signed = {k: v for k, v in data.items() if k != "signature"}
    if verify_document(signature, load_ed25519_public(signing)) != signed:
        raise CheckFailed(f"{source}: the signature does not cover this descriptor")
    return {
        "code": code,
        "agency": name,
        "country": country,
        "url": data.get("url"),
        "signing_key": signing,
        "encryption_key": encryption,
    }


def add_peer(
    session: Session,
    actor: Actor,
    *,
    code: str,
    agency: str,
    country: str,
    url: str | None = None,
    signing_key: str | None = None,
    encryption_key: str | None = None,
) -> dict[str, Any]:
    """Register a peer node; return its code, key fingerprint and the credentials it will use."""
    actor.require("administrator")
    code = normalize_code(code)
    country = normalize_country(country)
    if not agency.strip():
        raise InvalidInput("the peer's agency name is empty")
    if session.scalars(select(Agency).where(Agency.code == code)).first():
        raise AlreadyExists(f"an agency with code {code} is already registered", code=code)
    record = Agency(code=code, name=agency.strip(), country=country, is_local=False)
    session.add(record)
    session.flush()
    fp: str | None = None
    if signing_key:
        fp = _add_key(session, record, "signing", signing_key)
    if encryption_key:
        _add_key(session, record, "encryption", encryption_key)
    user, password, token = create_service_user(session, record, f"peer-{code.lower()}")
    session.add(Peer(agency_id=record.id, url=url, user_id=user.id))
    session.flush()
    audit.record(
        session, actor.username, "peer.add", "peer", code, details={"fingerprint": fp, "url": url}
    )
    return {
        "id": str(record.id),
        "code": code,
        "fingerprint": fp,
        "credentials": {"username": user.username, "password": password, "token": token},
    }


def _add_key(session: Session, agency: Agency, kind: str, value: str) -> str:
    text = value.strip()
    if kind == "signing":
        key = load_ed25519_public(text)
        from comity.core.keys import b64u_encode, raw_public

        text = b64u_encode(raw_public(key))
    else:
        load_x25519_public(text)
    fp = fingerprint(b64u_decode(text))
    session.add(PublicKeyRecord(agency_id=agency.id, kind=kind, public_key=text, fingerprint=fp))
    session.flush()
    session.refresh(agency)
    return fp


def get_peer(session: Session, code: str) -> Peer:
    """Return the peer with agency ``code``."""
    peer = session.scalars(
        select(Peer).join(Agency).where(Agency.code == normalize_code(code))
    ).first()
    if peer is None:
        raise NotFound(f"no peer {code!r}", code=code)
    return peer


def list_peers(session: Session) -> list[Peer]:
    """Return every peer, by code (for services; people use :func:`peers_for`)."""
    return list(session.scalars(select(Peer).join(Agency).order_by(Agency.code)))


def peers_for(session: Session, actor: Actor) -> list[Peer]:
    """Return every peer to a person of this node; peers' own accounts may not list them."""
    actor.require(*ROLES)
    return list_peers(session)


def peer_for(session: Session, actor: Actor, code: str) -> Peer:
    """Return one peer to a person of this node (not to another peer's account)."""
    actor.require(*ROLES)
    return get_peer(session, code)


def peer_summary(peer: Peer) -> dict[str, Any]:
    """A JSON-ready description of a peer with its keys and fingerprints."""
    return {
        "id": str(peer.agency.id),
        "code": peer.agency.code,
        "agency": peer.agency.name,
        "country": peer.agency.country,
        "url": peer.url,
        "status": peer.status,
        "username": peer.user.username,
        "keys": [
            {
                "kind": k.kind,
                "public_key": k.public_key,
                "fingerprint": k.fingerprint,
                "status": k.status,
                "created_at": isoformat(k.created_at),
                "reason": k.reason,
            }
            for k in peer.agency.keys
        ],
    }


def rotate_peer_key(
    session: Session, actor: Actor, code: str, kind: str, new_key: str, reason: str
) -> dict[str, Any]:
    """Retire the peer's active ``kind`` key and make ``new_key`` active."""
    actor.require("administrator")
    if kind not in ("signing", "encryption"):
        raise InvalidInput("key kind must be 'signing' or 'encryption'")
    peer = get_peer(session, code)
    for record in peer.agency.keys:
        if record.kind == kind and record.status == "active":
            record.status, record.status_changed_at, record.reason = "retired", utcnow(), reason
    fp = _add_key(session, peer.agency, kind, new_key)
    audit.record(
        session,
        actor.username,
        "peer.rotate_key",
        "peer",
        peer.agency.code,
        details={"kind": kind, "fingerprint": fp, "reason": reason},
    )
    return peer_summary(peer)


def revoke_peer_key(
    session: Session, actor: Actor, code: str, key_fingerprint: str, reason: str
) -> dict[str, Any]:
    """Revoke one of the peer's keys: nothing it signed is trusted from now on."""
    actor.require("administrator")
    peer = get_peer(session, code)
    matches = [k for k in peer.agency.keys if k.fingerprint.startswith(key_fingerprint.lower())]
    if len(matches) != 1:
        raise NotFound(f"no single key of {code} matches {key_fingerprint!r}")
    matches[0].status, matches[0].status_changed_at = "revoked", utcnow()
    matches[0].reason = reason
    audit.record(
        session,
        actor.username,
        "peer.revoke_key",
        "peer",
        peer.agency.code,
        details={"fingerprint": matches[0].fingerprint, "reason": reason},
    )
    return peer_summary(peer)


def trusted_signing_keys(agency: Agency) -> dict[str, str]:
    """Fingerprint → public key of the agency's signing keys that are not revoked."""
    return {
        k.fingerprint: k.public_key
        for k in agency.keys
        if k.kind == "signing" and k.status != "revoked"
    }


def peer_encryption_key(peer: Peer) -> str:
    """The peer's active encryption key (raises :class:`NotFound` when it has none)."""
    return active_key(peer.agency, "encryption").public_key
