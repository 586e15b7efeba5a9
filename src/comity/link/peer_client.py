"""Calling a peer's linkage routes: one signed match message out, one back.

Credentials go in the ``Authorization`` header only and are never logged. The peer's answer
is read up to :data:`MAX_ANSWER_BYTES`; errors become :mod:`comity.taxii.errors`' peer errors
(unreachable: exit 3; refused: exit 2), as for TAXII pulls.
"""

from __future__ import annotations

import ssl
from typing import Final
from urllib.parse import urljoin

import httpx

from comity.federation.outgoing import Credentials
from comity.taxii.errors import PeerAnswerInvalid, PeerRefused, PeerUnreachable

MAX_ANSWER_BYTES: Final = 1 << 30
TIMEOUT: Final = httpx.Timeout(30.0, read=900.0)
"""A match of a million identifiers keeps the peer busy for minutes."""


class MatchClient:
    """Posts match messages to one peer with one set of credentials."""

    def __init__(self, url: str, credentials: Credentials, *, verify: bool | str = True) -> None:
        if not url.startswith(("https://", "http://")):
            raise PeerAnswerInvalid(f"the peer URL {url[:200]!r} is not an http(s) URL")
        self.base = url if url.endswith("/") else url + "/"
        context: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._http = httpx.Client(
            headers={
                "Authorization": credentials.authorization(),
                "Content-Type": "application/json",
            },
            verify=context,
            timeout=TIMEOUT,
            follow_redirects=False,
        )

    def __enter__(self) -> MatchClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def post(self, path: str, message: str) -> str:
        """POST ``message`` (JSON text) to ``path``; the peer's JSON answer as text."""
        url = urljoin(self.base, path)
        try:
            with self._http.stream("POST", url, content=message.encode("utf-8")) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise PeerAnswerInvalid("the peer's answer is too large")
        except httpx.HTTPError as exc:
            raise PeerUnreachable(
                f"cannot reach the peer at {self.base}: {type(exc).__name__}", url=self.base
            ) from None
        status = response.status_code
        if status != 200:
            detail = body[:300].decode("utf-8", "replace")
            message_ = f"the peer answered {status} for {response.url.path}: {detail}"
            if status in (401, 403, 404, 400):
                raise PeerRefused(message_, status=status)
            raise PeerUnreachable(message_, status=status)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise PeerAnswerInvalid("the peer's answer is not UTF-8 text") from None
