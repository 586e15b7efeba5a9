"""Private set intersection: which identifiers two agencies both hold, and nothing more.

ECDH-based PSI from OpenMined's maintained library (``openmined.psi``; no cryptography of our
own): the **requester** blinds each of its identifiers with a secret key of its own; the
**responder** blinds them again with its key and sends them back, with its own identifiers
blinded once (sent whole, sorted: no false positives); the requester removes its blinding
and looks its items up in that set. The requester learns which of *its* identifiers the
responder holds; the responder learns only how many the requester asked about. Neither sees
the other's other identifiers.

    secret, requests = start(["phone-number:+919876543210", …])    # requester
    answer = respond(requests, ["upi-id:fraud.kyc@okaxis", …])      # responder
    shared = finish(secret, answer)                                 # requester: the common ones

Large sets are cut into chunks of :data:`CHUNK` identifiers, and each party spreads its
elliptic-curve work over worker processes (one per core, up to four).

A keyed hash of identifiers would not do: whoever holds the key hashes every Indian mobile
number (a few billion) in hours and reads the other side's set. Here each blinding needs the
other party's cooperation, so the responder bounds what can be asked (``comity.link.match``
caps and audits the size of every request).
"""

from __future__ import annotations

import base64
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from comity.link.errors import LinkInputError

FALSE_POSITIVE_RATE: Final = 1e-9
"""Asked of the library when it builds a blinded set; the set is sent whole (``RAW``), which
has no false positives."""

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
    """The responder's reply: its blinded set, and each request chunk blinded again."""

    setup: bytes
    responses: list[bytes]


PARALLEL_MIN: Final = 20_000
"""Sets smaller than this are done in one process (starting workers costs more)."""

CHUNK: Final = 50_000
"""Identifiers per request chunk: the unit of work spread over processes."""


def _psi() -> Any:
    import private_set_intersection.python as psi

    return psi


def _workers(count: int, workers: int | None) -> int:
    if workers is not None:
        return max(workers, 1)
    return min(os.cpu_count() or 1, 4) if count >= PARALLEL_MIN else 1


def _map(function: Any, jobs: list[tuple[Any, ...]], workers: int) -> list[Any]:
    """``function(*job)`` for every job, over ``workers`` processes (in order)."""
    if workers <= 1 or len(jobs) <= 1:
        return [function(*job) for job in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(function, *zip(*jobs, strict=True)))


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)] or [[]]


def start(items: list[str], workers: int | None = None) -> tuple[Secret, list[bytes]]:
    """The requester's first step: a fresh key, and the request (in chunks) to send."""
    psi = _psi()
    key = bytes(psi.client.CreateWithNewKey(True).GetPrivateKeyBytes())
    jobs = [(key, chunk) for chunk in _chunks(list(items))]
    requests = _map(_client_request, jobs, _workers(len(items), workers))
    return Secret(key, list(items)), requests


def request_size(requests: list[bytes]) -> int:
    """How many identifiers a request asks about (what the responder learns)."""
    return sum(len(_parse_request(request).encrypted_elements) for request in requests)


def respond(requests: list[bytes], items: list[str], workers: int | None = None) -> Answer:
    """The responder's step: its own items, blinded, and every request chunk, blinded again.

    The blinded set is sent whole (no false positives; 33 bytes per identifier), built in
    chunks over the worker processes with one key.
    """
    psi = _psi()
    for request in requests:
        _parse_request(request)  # refuse damaged input before any work
    key = bytes(psi.server.CreateWithNewKey(True).GetPrivateKeyBytes())
    count = _workers(len(items) + request_size(requests), workers)
    parts = _map(_server_blind, [(key, chunk) for chunk in _chunks(list(items))], count)
    setup = psi.ServerSetup()
    setup.raw.encrypted_elements.extend(sorted(e for part in parts for e in part))
    responses = _map(_server_process, [(key, request) for request in requests], count)
    return Answer(setup.SerializeToString(), responses)


def finish(secret: Secret, answer: Answer, workers: int | None = None) -> list[str]:
    """The requester's last step: which of its items the responder holds (in its order)."""
    chunks = _chunks(secret.items)
    if len(answer.responses) != len(chunks):
        raise MatchMessageError(
            f"the answer has {len(answer.responses)} parts for a request of {len(chunks)}"
        )
    jobs = [(secret.key, answer.setup, response) for response in answer.responses]
    found = _map(_client_intersect, jobs, _workers(len(secret.items), workers))
    shared: list[str] = []
    for number, indexes in enumerate(found):
        if isinstance(indexes, str):
            raise MatchMessageError(f"the answer cannot be read: {indexes}")
        offset = number * CHUNK
        shared.extend(secret.items[offset + i] for i in sorted(indexes))
    return shared


def _client_request(key: bytes, items: list[str]) -> bytes:
    client = _psi().client.CreateFromKey(key, True)
    return bytes(client.CreateRequest(items).SerializeToString())


def _server_blind(key: bytes, items: list[str]) -> list[bytes]:
    psi = _psi()
    server = psi.server.CreateFromKey(key, True)
    setup = server.CreateSetupMessage(FALSE_POSITIVE_RATE, 1, items, psi.DataStructure.RAW)
    return list(setup.raw.encrypted_elements)


def _server_process(key: bytes, request: bytes) -> bytes:
    server = _psi().server.CreateFromKey(key, True)
    return bytes(server.ProcessRequest(_parse_request(request)).SerializeToString())


def _client_intersect(key: bytes, setup_bytes: bytes, response_bytes: bytes) -> list[int] | str:
    psi = _psi()
    client = psi.client.CreateFromKey(key, True)
    setup, response = psi.ServerSetup(), psi.Response()
    try:
        setup.ParseFromString(setup_bytes)
        response.ParseFromString(response_bytes)
        return list(client.GetIntersection(setup, response))
    except Exception as exc:  # the library raises plain errors on damaged input
        return str(exc)[:200]


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
