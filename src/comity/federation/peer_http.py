"""HTTP to a peer node: one client per peer and set of credentials, answers read with a bound.

    with PeerHttp(base, credentials, timeout=TIMEOUT, max_bytes=1 << 20) as http:
        response, body = http.exchange("GET", url)
        if response.status_code != 200:
            raise_for_status(response, f"… {response.status_code} …")

Shared by the TAXII client (pulling intelligence) and the match client (private matching).
Credentials go in the ``Authorization`` header only and are never logged; redirects are not
followed (a peer's answer comes from the URL the agreement names). Transport failures become
:class:`~comity.taxii.errors.PeerUnreachable` (exit 3: try later), an answer over the bound
:class:`~comity.taxii.errors.PeerAnswerInvalid`.
"""

from __future__ import annotations

import ssl
from collections.abc import Collection
from typing import Any

import httpx

from comity.federation.outgoing import Credentials
from comity.taxii.errors import PeerAnswerInvalid, PeerRefused, PeerUnreachable

REFUSED = frozenset({401, 403, 404})
"""Statuses that mean the peer refused us (credentials, agreement): exit 2."""


class PeerHttp:
    """An HTTP client for one peer (see the module)."""

    def __init__(
        self,
        base: str,
        credentials: Credentials,
        *,
        timeout: httpx.Timeout,
        max_bytes: int,
        verify: bool | str = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base = base
        self.max_bytes = max_bytes
        context: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._http = httpx.Client(
            headers={**(headers or {}), "Authorization": credentials.authorization()},
            verify=context,
            timeout=timeout,
            follow_redirects=False,
        )

    def __enter__(self) -> PeerHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def exchange(self, method: str, url: str, **options: Any) -> tuple[httpx.Response, bytes]:
        """Send one request (``options`` as httpx takes them); the response and its body, read
        up to :attr:`max_bytes`."""
        try:
            with self._http.stream(method, url, **options) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PeerAnswerInvalid(
                            f"the peer's answer is larger than {self.max_bytes} bytes"
                        )
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise PeerUnreachable(
                f"cannot reach the peer at {self.base}: {type(exc).__name__}", url=self.base
            ) from None
        return response, b"".join(chunks)


def raise_for_status(
    response: httpx.Response, message: str, *, refused: Collection[int] = REFUSED
) -> None:
    """Nothing for a 200; else the peer error the status means, with ``message``: refused
    (``refused`` statuses: exit 2), unreachable (5xx, 429: try later) or an invalid answer."""
    status = response.status_code
    if status == 200:
        return
    if status in refused:
        raise PeerRefused(message, status=status)
    if status >= 500 or status == 429:
        raise PeerUnreachable(message, status=status)
    raise PeerAnswerInvalid(message, status=status)
