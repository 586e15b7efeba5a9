"""HTTP routes for peers: register, list, show, rotate and revoke their keys.

``POST /api/v1/peers`` takes either the peer's fields and keys, or its signed node descriptor
(what ``GET /api/v1/node/descriptor`` returns on the peer's node); its answer holds the
credentials that peer will use to call this node, shown this once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from comity.core.errors import InvalidInput
from comity.federation.services import (
    add_peer,
    check_descriptor,
    peer_for,
    peer_summary,
    peers_for,
    revoke_peer_key,
    rotate_peer_key,
)
from comity.web.auth import ActorDep
from comity.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/peers", tags=["peers"])


class PeerCreate(BaseModel):
    """A peer to register: its descriptor, or its fields and keys."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, max_length=32, description="The agency's code, e.g. FBI.")
    agency: str | None = Field(None, max_length=200, description="The agency's full name.")
    country: str | None = Field(None, max_length=8, description="ISO 3166-1 alpha-2 code.")
    url: str | None = Field(None, max_length=500, description="The peer node's URL.")
    signing_key: str | None = Field(None, max_length=1000, description="Ed25519 public key.")
    encryption_key: str | None = Field(
        None, max_length=1000, description="X25519 public key (base64url)."
    )
    descriptor: dict[str, Any] | None = Field(
        None, description="The peer's signed node descriptor; its fields fill the others."
    )


class KeyRotation(BaseModel):
    """A peer's new public key."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=1000)
    kind: str = Field("signing", description="signing or encryption")
    reason: str = Field("rotation announced by the peer", max_length=500)


class KeyRevocation(BaseModel):
    """Why a peer's key is revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="e.g. key compromised")


@router.post("", status_code=201)
def register_peer(body: PeerCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Register a peer; the answer carries the credentials it will call this node with."""
    if body.descriptor is not None:
        info = check_descriptor(body.descriptor, "the descriptor")
        if body.code and body.code.upper() != str(info["code"]).upper():
            raise InvalidInput(f"the descriptor is for {info['code']}, not {body.code}")
        values: dict[str, Any] = {
            "code": info["code"],
            "agency": body.agency or info["agency"],
            "country": body.country or info["country"],
            "url": body.url or info["url"],
            "signing_key": info["signing_key"],
            "encryption_key": info["encryption_key"],
        }
    else:
        if not (body.code and body.agency and body.country):
            raise InvalidInput("give code, agency and country, or a descriptor")
        values = {
            "code": body.code,
            "agency": body.agency,
            "country": body.country,
            "url": body.url,
            "signing_key": body.signing_key,
            "encryption_key": body.encryption_key,
        }
    return add_peer(session, actor, **values)


@router.get("")
def peers(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """List the registered peers."""
    return {"peers": [peer_summary(p) for p in peers_for(session, actor)]}


@router.get("/{code}")
def show_peer(code: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Show a peer with its keys and fingerprints."""
    return peer_summary(peer_for(session, actor, code))


@router.post("/{code}/keys/rotate")
def rotate_key(
    code: str, body: KeyRotation, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Replace a peer's key; the old one is retired (still verifies what it signed before)."""
    return rotate_peer_key(session, actor, code, body.kind, body.key, body.reason)


@router.post("/{code}/keys/{fingerprint}/revoke")
def revoke_key(
    code: str, fingerprint: str, body: KeyRevocation, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Revoke a peer's key (by fingerprint or a unique prefix of it)."""
    return revoke_peer_key(session, actor, code, fingerprint.replace(" ", ""), body.reason)
