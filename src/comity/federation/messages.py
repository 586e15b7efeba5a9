"""Signed messages between nodes carried as files: a document and the sender's JWS over it.

    text = seal(ctx.keys, {"kind": "legal-request", "from": "CBI", "to": "FBI", ...})
    document, peer = open_sealed(session, text, "legal-request",
                                 malformed=LegalInputError, invalid=RequestFileInvalid)

A message is ``{"document": {...}, "signature": "<JWS>"}``; the JWS signs the RFC 8785 form of
the document with the sender's node key. Opening checks, in order: the message's form and
``kind``, that it is addressed to this node (``to``), that ``from`` is a registered peer, that
the key named in the JWS is one of that peer's trusted (not revoked) signing keys, that the
signature verifies, and that the signed document is the one carried — each failure raised as the
caller's ``invalid`` error naming what failed.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.orm import Session

from comity.core.errors import ComityError, InvalidInput, NotFound
from comity.core.keys import NodeKeys, load_ed25519_public
from comity.core.signing import SignatureInvalid, jws_parts, sign_document, verify_document
from comity.federation.models import Peer
from comity.federation.services import get_peer, trusted_signing_keys
from comity.identity.services import local_agency


def seal(keys: NodeKeys, document: dict[str, Any]) -> str:
    """The message carrying ``document`` signed with this node's signing key."""
    signature = sign_document(keys.signing, document, keys.signing_fingerprint)
    return orjson.dumps({"document": document, "signature": signature}).decode("utf-8")


def open_sealed(
    session: Session,
    text: str,
    kind: str,
    *,
    malformed: type[ComityError],
    invalid: type[ComityError],
    what: str = "message",
) -> tuple[dict[str, Any], Peer]:
    """The document of a message of ``kind`` addressed to this node, and the peer that sent it.

    ``malformed`` is raised when ``text`` is not such a message at all (bad input), ``invalid``
    when it is one that fails a check (not for us, unknown sender, altered, bad signature).
    """
    try:
        wrapper = orjson.loads(text)
        document, signature = wrapper["document"], str(wrapper["signature"])
        header, _payload = jws_parts(signature)
    except (orjson.JSONDecodeError, KeyError, TypeError, SignatureInvalid):
        raise malformed(f"not a Comity {what}") from None
    if not isinstance(document, dict) or document.get("kind") != kind:
        got = str(document.get("kind") if isinstance(document, dict) else None)[:40]
        raise malformed(f"expected a {kind}, got {got!r}")
    own = local_agency(session).code
    if document.get("to") != own:
        raise invalid(
            f"the {what} is addressed to {str(document.get('to'))[:20]}, not {own}",
            expected=own,
            actual=str(document.get("to"))[:20],
        )
    sender = str(document.get("from", ""))[:32]
    try:
        peer = get_peer(session, sender)
    except (NotFound, InvalidInput):
        raise invalid(
            f"the {what} comes from an agency that is not a peer ({sender!r})", sender=sender
        ) from None
    key_text = trusted_signing_keys(peer.agency).get(str(header.get("kid")))
    if key_text is None:
        raise invalid(
            f"the {what} is not signed by a trusted key of {peer.agency.code}",
            sender=peer.agency.code,
            kid=str(header.get("kid"))[:80],
        )
    try:
        signed = verify_document(signature, load_ed25519_public(key_text))
    except SignatureInvalid:
        raise invalid(f"the {what}'s signature does not verify", sender=peer.agency.code) from None
    if signed != document:
        raise invalid(f"the {what} was altered after it was signed", sender=peer.agency.code)
    return document, peer
