"""Calling a peer's linkage routes: one signed match message out, one back.

Credentials go in the ``Authorization`` header only and are never logged. The peer's answer
is read up to :data:`MAX_ANSWER_BYTES` (no longer grown a chunk at a time by copying);
errors become :mod:`comity.taxii.errors`' peer errors (unreachable: exit 3; refused: exit 2),
through the same :mod:`comity.federation.peer_http` as TAXII pulls.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urljoin

import httpx

from comity.federation.outgoing import Credentials
from comity.federation.peer_http import REFUSED, PeerHttp, raise_for_status
from comity.taxii.errors import PeerAnswerInvalid

MAX_ANSWER_BYTES: Final = 1 << 30
TIMEOUT: Final = httpx.Timeout(30.0, read=900.0)
"""A match of a million identifiers keeps the peer busy for minutes."""


class MatchClient:
    """Posts match messages to one peer with one set of credentials."""

    def __init__(self, url: str, credentials: Credentials, *, verify: bool | str = True) -> None:
        if not url.startswith(("https://", "http://")):
            raise PeerAnswerInvalid(f"the peer URL {url[:200]!r} is not an http(s) URL")
        self.base = url if url.endswith("/") else url + "/"
        self._http = PeerHttp(
            self.base,
            credentials,
            timeout=TIMEOUT,
            max_bytes=MAX_ANSWER_BYTES,
            verify=verify,
            headers={"Content-Type": "application/json"},
        )

    def __enter__(self) -> MatchClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def post(self, path: str, message: str) -> str:
        """POST ``message`` (JSON text) to ``path``; the peer's JSON answer as text."""
        response, body = self._http.exchange(
            "POST", urljoin(self.base, path), content=message.encode("utf-8")
        )
        detail = body[:300].decode("utf-8", "replace")
        raise_for_status(
            response,
            f"the peer answered {response.status_code} for {response.url.path}: {detail}",
            refused=REFUSED | {400},  # a match the peer will not answer: its caps, its checks
        )
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise PeerAnswerInvalid("the peer's answer is not UTF-8 text") from None
