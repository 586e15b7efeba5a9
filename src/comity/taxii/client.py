"""A small TAXII 2.1 client (httpx) for pulling a peer's collections.

    with TaxiiClient("https://fbi.example/", credentials, verify=True) as client:
        root = client.api_root_url()                  # from discovery: the default root
        for info in client.collections(root):         # collections resources
            page = client.objects(root, info["id"], added_after=None, limit=1000)
            page.objects, page.more, page.next, page.last_added

Every answer is checked: the TAXII media type, JSON of the expected shape, the size (at most
:data:`MAX_ANSWER_BYTES`). Failures become :class:`~comity.taxii.errors.PeerUnreachable`
(network errors and 5xx: try later), :class:`~comity.taxii.errors.PeerRefused` (401, 403,
404: credentials or agreement) or :class:`~comity.taxii.errors.PeerAnswerInvalid`.
Credentials are sent in the ``Authorization`` header only and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urljoin

import httpx

from comity.federation.outgoing import Credentials
from comity.federation.peer_http import PeerHttp, raise_for_status
from comity.intel.errors import IntelInputError
from comity.intel.stix import is_timestamp, load_json
from comity.taxii.errors import PeerAnswerInvalid
from comity.taxii.server import TAXII_MEDIA_TYPE

MAX_ANSWER_BYTES: Final = 512 << 20
"""A peer's answer larger than this is refused (a page of 10,000 objects is far smaller)."""

TIMEOUT: Final = httpx.Timeout(60.0, connect=15.0)


@dataclass(frozen=True)
class ObjectsPage:
    """One page of a peer's collection."""

    objects: list[Any]
    more: bool
    next: str | None
    last_added: str | None
    """``X-TAXII-Date-Added-Last``: where a later request may resume (``added_after``)."""


class TaxiiClient:
    """Calls one TAXII 2.1 server with one set of credentials."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        verify: bool | str = True,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        base = url if url.endswith("/") else url + "/"
        if not base.startswith(("https://", "http://")):
            raise IntelInputError(f"the peer URL {url[:200]!r} is not an http(s) URL")
        self.base = base
        self._http = PeerHttp(
            base,
            credentials,
            timeout=timeout,
            max_bytes=MAX_ANSWER_BYTES,
            verify=verify,
            headers={"Accept": TAXII_MEDIA_TYPE},
        )

    def __enter__(self) -> TaxiiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def api_root_url(self) -> str:
        """The default API root from discovery (else the only one listed)."""
        document, _ = self._get(urljoin(self.base, "taxii2/"))
        roots = document.get("api_roots") or []
        chosen = document.get("default") or (roots[0] if len(roots) == 1 else None)
        if not isinstance(chosen, str):
            raise PeerAnswerInvalid("the peer's TAXII discovery names no default API root")
        url = urljoin(self.base, chosen)
        return url if url.endswith("/") else url + "/"

    def collections(self, api_root: str) -> list[dict[str, Any]]:
        """The peer's collections resources this node can see."""
        document, _ = self._get(urljoin(api_root, "collections/"))
        found = document.get("collections", [])
        if not isinstance(found, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) for c in found
        ):
            raise PeerAnswerInvalid("the peer's collections resource is malformed")
        return found

    def objects(
        self,
        api_root: str,
        collection_id: str,
        *,
        added_after: str | None,
        limit: int,
        next_token: str | None = None,
    ) -> ObjectsPage:
        """One page of every version of every object (``match[version]=all``)."""
        params: dict[str, str | int] = {"limit": limit, "match[version]": "all"}
        if added_after is not None:
            params["added_after"] = added_after
        if next_token is not None:
            params["next"] = next_token
        url = urljoin(api_root, f"collections/{collection_id}/objects/")
        document, headers = self._get(url, params)
        objects = document.get("objects", [])
        more = document.get("more", False)
        token = document.get("next")
        last = headers.get("x-taxii-date-added-last")
        if not isinstance(objects, list) or not isinstance(more, bool):
            raise PeerAnswerInvalid("the peer's envelope is malformed")
        if objects and (last is None or not is_timestamp(last)):
            raise PeerAnswerInvalid("the peer's page has no valid X-TAXII-Date-Added-Last")
        return ObjectsPage(
            objects=objects,
            more=more,
            next=token if isinstance(token, str) and token else None,
            last_added=last,
        )

    def _get(
        self, url: str, params: dict[str, str | int] | None = None
    ) -> tuple[dict[str, Any], httpx.Headers]:
        response, body = self._http.exchange("GET", url, params=params)
        return self._checked(response, body), response.headers

    @staticmethod
    def _checked(response: httpx.Response, body: bytes) -> dict[str, Any]:
        reason = _error_description(body) or response.reason_phrase
        raise_for_status(
            response, f"the peer answered {response.status_code} for {response.url.path}: {reason}"
        )
        kind = response.headers.get("content-type", "").replace(" ", "").lower()
        if not kind.startswith("application/taxii+json") or "version=2.1" not in kind:
            raise PeerAnswerInvalid(f"the peer answered with {kind[:80]!r}, not TAXII 2.1")
        try:
            document = load_json(body, "the peer's answer")
        except IntelInputError as exc:
            raise PeerAnswerInvalid(exc.message) from None
        if not isinstance(document, dict):
            raise PeerAnswerInvalid("the peer's answer is not a JSON object")
        return document


def _error_description(body: bytes) -> str | None:
    """The ``description`` (else ``title``) of a TAXII error message, shortened."""
    try:
        document = load_json(body[:65536], "error")
    except IntelInputError:
        return None
    if not isinstance(document, dict):
        return None
    text = document.get("description") or document.get("title")
    return str(text)[:300] if text else None
