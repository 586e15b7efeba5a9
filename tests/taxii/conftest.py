"""A real TAXII server for the tests: a node served by uvicorn on a loopback port.

One server per test module and backend (SQLite file, or a PostgreSQL schema of its own). Tests
set up what they need through the node's services (collections, peers, agreements, objects)
and talk to the server over HTTP, with the OASIS client library ``taxii2-client`` or httpx.
Each test uses collections and peers of its own, so tests do not see each other's data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from comity.context import NodeContext
from comity.federation.services import add_peer
from comity.identity.services import init_node, resolve_actor
from comity.intel.correlation import CorrelationPolicy
from comity.intel.importing import ImportRequest, import_data
from comity.intel.services import create_collection, share
from comity.intel.tlp import TLP2_IDS
from tests.conftest import drop_pg_schema
from tests.web.conftest import new_node_settings, start_server, stop_server

TAXII = "application/taxii+json;version=2.1"
REQUEST_LIMIT = 1 << 20
"""The served node's request-body limit (1 MiB), so the huge-body test stays small."""


@dataclass
class Peer:
    """A peer registered on the served node, with the credentials it calls us with."""

    code: str
    username: str
    password: str
    token: str


@dataclass
class TaxiiServer:
    """A served node: its URL, context and administrator token."""

    url: str
    ctx: NodeContext
    admin_token: str

    @property
    def root(self) -> str:
        """The API root URL."""
        return f"{self.url}/taxii2/comity/"

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client with the TAXII ``Accept`` header and a bearer token if given."""
        headers = {"Accept": TAXII}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(kwargs.pop("headers", {}))
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **kwargs)

    def admin(self) -> httpx.Client:
        """A client authenticated as the administrator."""
        return self.client(self.admin_token)

    def collection(self, prefix: str = "c") -> str:
        """Create a collection with a fresh name; return its name."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        with self.ctx.transaction() as session:
            create_collection(session, resolve_actor(session, None), name, title=f"Title {name}")
        return name

    def collection_id(self, name: str) -> str:
        """The id of a collection."""
        from comity.intel.services import find_collection

        with self.ctx.transaction() as session:
            return str(find_collection(session, name).id)

    def peer(self) -> Peer:
        """Register a new peer; return its credentials."""
        code = f"P{uuid.uuid4().hex[:8].upper()}"
        with self.ctx.transaction() as session:
            result = add_peer(
                session,
                resolve_actor(session, None),
                code=code,
                agency=f"Agency {code}",
                country="US",
            )
        creds = result["credentials"]
        return Peer(code, creds["username"], creds["password"], creds["token"])

    def share(
        self, name: str, peer: Peer, *, read: bool = True, write: bool = False, tlp: str = "amber"
    ) -> None:
        """Make a sharing agreement."""
        with self.ctx.transaction() as session:
            share(
                session,
                resolve_actor(session, None),
                name,
                peer.code,
                read=read,
                write=write,
                max_tlp=tlp,
            )

    def seed(self, name: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
        """Import objects into a collection as the administrator (the import pipeline)."""
        data = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
        with self.ctx.transaction() as session:
            return import_data(
                session,
                resolve_actor(session, None),
                data.encode(),
                ImportRequest(collection=name, source="test.json", format="stix"),
                policy=CorrelationPolicy.for_settings(self.ctx.settings),
            )


def indicator(
    tlp: str | None = "green",
    *,
    modified: str = "2026-01-01T00:00:00.000Z",
    created: str = "2026-01-01T00:00:00.000Z",
    stix_id: str | None = None,
    name: str = "scam domain",
) -> dict[str, Any]:
    """A STIX 2.1 indicator marked ``tlp`` (``None``: unmarked)."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "created": created,
        "modified": modified,
        "name": name,
        "pattern": "[domain-name:value = 'scam.example']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [TLP2_IDS[tlp]]
    return obj


def envelope(objects: list[dict[str, Any]]) -> bytes:
    """A TAXII envelope's JSON."""
    return json.dumps({"objects": objects}).encode()


def assert_taxii_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Check ``response`` is a TAXII error message with ``status``; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII
    doc: dict[str, Any] = response.json()
    assert doc["http_status"] == str(status)
    assert doc["title"]
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    return doc


@pytest.fixture(scope="module")
def taxii(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaxiiServer]:
    """A CBI node served on 127.0.0.1 (request bodies up to 1 MiB)."""
    base = tmp_path_factory.mktemp("taxii")
    settings, schema = new_node_settings(backend, base / "cbi", max_request_bytes=REQUEST_LIMIT)
    ctx = NodeContext(settings)
    try:
        summary = init_node(ctx, agency="Central Bureau of Investigation", code="CBI", country="IN")
        from comity.web.app import create_app

        server, thread, url = start_server(create_app(settings, ctx))
        try:
            yield TaxiiServer(url, ctx, summary["admin"]["token"])
        finally:
            stop_server(server, thread)
    finally:
        ctx.dispose()
        if schema:
            drop_pg_schema(schema)
