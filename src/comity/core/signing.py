"""Signatures as JWS (RFC 7515) compact serializations with EdDSA (Ed25519, RFC 8037).

The payload is the RFC 8785 canonical JSON of a document, so any party can rebuild the signed
bytes from the document itself::

    token = sign_document(keys.signing, {"count": 3}, kid=keys.signing_fingerprint)
    document = verify_document(token, public_key)   # raises SignatureInvalid if altered
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from comity.core.canonical import canonical_json
from comity.core.errors import CheckFailed, ComityError
from comity.core.keys import b64u_decode, b64u_encode


class SignatureInvalid(CheckFailed):
    """A signature is malformed or does not verify."""

    slug = "signature-invalid"
    title = "Signature invalid"


def sign_document(key: Ed25519PrivateKey, document: Any, kid: str) -> str:
    """Sign ``document`` (canonicalized) and return a JWS compact serialization."""
    header = b64u_encode(canonical_json({"alg": "EdDSA", "kid": kid}))
    payload = b64u_encode(canonical_json(document))
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{b64u_encode(key.sign(signing_input))}"


def jws_parts(token: str) -> tuple[dict[str, Any], Any]:
    """Return the header and the decoded payload of a JWS without verifying it."""
    try:
        header_b64, payload_b64, _sig = token.split(".")
        header = json.loads(b64u_decode(header_b64))
        payload = json.loads(b64u_decode(payload_b64))
    except (ValueError, TypeError, ComityError) as exc:
        raise SignatureInvalid("malformed signature (not a JWS compact serialization)") from exc
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise SignatureInvalid("unsupported signature algorithm (expected EdDSA)")
    return header, payload


def verify_document(token: str, key: Ed25519PublicKey) -> Any:
    """Verify a JWS made by :func:`sign_document` and return its payload document."""
    _header, payload = jws_parts(token)
    header_b64, payload_b64, sig_b64 = token.split(".")
    try:
        key.verify(b64u_decode(sig_b64), f"{header_b64}.{payload_b64}".encode("ascii"))
    except (InvalidSignature, ComityError, ValueError) as exc:
        raise SignatureInvalid("signature does not verify") from exc
    if canonical_json(payload) != b64u_decode(payload_b64):
        raise SignatureInvalid("signed payload is not canonical JSON")
    return payload
