"""Private set intersection: which identifiers two agencies both hold, and nothing more.

ECDH-based PSI from OpenMined's maintained library (``openmined.psi``; no cryptography of our
own): the **requester** blinds each of its identifiers with a secret key of its own; the
**responder** blinds them again with its key and sends them back, with its own identifiers
blinded once and packed into a compressed set (a Golomb-compressed set with a false-positive
rate of 10⁻⁹ per query); the requester removes its blinding and looks its items up in that
set. The requester learns which of *its* identifiers the responder holds; the responder
learns only how many the requester asked about. Neither sees the other's other identifiers.

    secret, request = start(["phone-number:+919876543210", …])     # requester
    answer = respond(request, ["upi-id:fraud.kyc@okaxis", …])       # responder
    shared = finish(secret, answer)                                 # requester: the common ones

A keyed hash of identifiers would not do: whoever holds the key hashes every Indian mobile
number (a few billion) in hours and reads the other side's set. Here each blinding needs the
other party's cooperation, so the responder bounds what can be asked (``comity.link.match``
caps and audits the size of every request).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

from comity.link.errors import LinkInputError

FALSE_POSITIVE_RATE: Final = 1e-9
"""Per query: the chance that an identifier the responder does not hold is reported shared."""

MAX_MESSAGE_BYTES: Final = 512 << 20


class MatchMessageError(LinkInputError):
    """A PSI message that cannot be read (damaged, truncated, not from this protocol)."""


@dataclass(frozen=True)
class Secret:
    """What the requester keeps until the answer comes: its key and its items, in order."""

    key: bytes
    items: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form (stored 0600 on the requester's node)."""
        return {"key": _b64(self.key), "items": self.items}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Secret:
        """Read what :meth:`as_dict` wrote."""
        return cls(_unb64(str(data["key"])), [str(item) for item in data["items"]])


@dataclass(frozen=True)
class Answer:
    """The responder's reply: its blinded set and the requester's items blinded again."""

    setup: bytes
    response: bytes


def _psi() -> Any:
    import private_set_intersection.python as psi

    return psi


def start(items: list[str]) -> tuple[Secret, bytes]:
    """The requester's first step: a fresh key, and the request to send (serialized)."""
    psi = _psi()
    client = psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(items)
    return Secret(bytes(client.GetPrivateKeyBytes()), list(items)), request.SerializeToString()


def request_size(request: bytes) -> int:
    """How many identifiers a serialized request asks about (what the responder learns)."""
    return len(_parse_request(request).encrypted_elements)


def respond(request: bytes, items: list[str]) -> Answer:
    """The responder's step: its own items, blinded, and the request's, blinded again."""
    psi = _psi()
    parsed = _parse_request(request)
    server = psi.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(
        FALSE_POSITIVE_RATE,
        max(len(parsed.encrypted_elements), 1),
        items,
        psi.DataStructure.GCS,
    )
    response = server.ProcessRequest(parsed)
    return Answer(setup.SerializeToString(), response.SerializeToString())


def finish(secret: Secret, answer: Answer) -> list[str]:
    """The requester's last step: which of its items the responder holds (in its order)."""
    psi = _psi()
    client = psi.client.CreateFromKey(secret.key, True)
    setup = psi.ServerSetup()
    response = psi.Response()
    try:
        setup.ParseFromString(answer.setup)
        response.ParseFromString(answer.response)
        indexes = client.GetIntersection(setup, response)
    except Exception as exc:  # the library raises plain errors on damaged input
        raise MatchMessageError(f"the answer cannot be read: {exc}") from None
    return [secret.items[i] for i in sorted(indexes)]


def _parse_request(data: bytes) -> Any:
    psi = _psi()
    if len(data) > MAX_MESSAGE_BYTES:
        raise MatchMessageError(f"a request larger than {MAX_MESSAGE_BYTES} bytes")
    request = psi.Request()
    try:
        request.ParseFromString(data)
    except Exception as exc:
        raise MatchMessageError(f"the request cannot be read: {exc}") from None
    return request


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise MatchMessageError("a message field is not base64") from None


encode = _b64
decode = _unb64
