"""A real API server for the tests: uvicorn on a free loopback port, over a node of its own.

The shared ``node`` fixture lives in a rolled-back connection that another thread cannot see,
so the server gets a node in its own home and database: a SQLite file in a temporary folder,
or a PostgreSQL schema dropped afterwards. One server per test module and backend.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from comity.context import NodeContext
from comity.core.settings import Settings, load_settings
from comity.identity.services import init_node
from comity.web.app import create_app
from tests.conftest import CliNode, create_pg_schema, drop_pg_schema, pg_schema_url

LIMIT = 64 * 1024
PROBLEM = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, slug: str | None = None
) -> dict[str, Any]:
    """Check ``response`` is an RFC 9457 problem document with ``status``; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = response.json()
    assert doc["status"] == status
    assert doc["title"] and doc["type"]
    assert doc["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    if slug is not None:
        assert doc["type"] == f"urn:comity:problem:{slug}"
    return doc


def open_case(client: httpx.Client, title: str = "Fake call centre") -> dict[str, Any]:
    """Open a case over the API."""
    response = client.post(
        "/api/v1/cases",
        json={"title": title, "jurisdictions": ["IN", "US"], "offences": ["IN:BNS 318(4)"]},
    )
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


STARTUP_SECONDS = 30.0


@dataclass
class LiveServer:
    """A running API server and the node behind it."""

    url: str
    settings: Settings
    ctx: NodeContext
    admin_token: str

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client for the server, with a bearer token if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **kwargs)

    def admin(self) -> httpx.Client:
        """A client authenticated as the node's administrator."""
        return self.client(self.admin_token)


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peer_over_http(cbi: CliNode, fbi: CliNode, folder: Path) -> int:
    """Make initialized CLI nodes ``cbi`` and ``fbi`` peers, the FBI reaching the CBI's API on
    a free loopback port (returned; the caller starts the server there): descriptors exchanged,
    the FBI given its credentials for the CBI."""
    cbi.run("node", "export", "--out", str(folder / "cbi.json"), check=True)
    fbi.run("node", "export", "--out", str(folder / "fbi.json"), check=True)
    given = cbi.run("peer", "add", "--descriptor", str(folder / "fbi.json"), "--json", check=True)
    (folder / "given.json").write_text(given.out)
    port = free_port()
    fbi.run(
        "peer",
        "add",
        "--descriptor",
        str(folder / "cbi.json"),
        "--url",
        f"http://127.0.0.1:{port}",
        check=True,
    )
    fbi.run("peer", "credentials", "CBI", "--from", str(folder / "given.json"), check=True)
    return port


def start_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Run ``app`` under uvicorn in a thread on a loopback socket; return when it listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def stop_server(server: uvicorn.Server, thread: threading.Thread) -> None:
    """Ask the server to stop and wait for it (bounded)."""
    server.should_exit = True
    thread.join(timeout=STARTUP_SECONDS)


def new_node_settings(backend: str, home: Path, **overrides: Any) -> tuple[Settings, str | None]:
    """Settings for a node in ``home`` with its own database; returns the PG schema if any."""
    schema: str | None = None
    url: str | None = None
    if backend == "postgresql":
        schema = create_pg_schema()
        url = pg_schema_url(schema)
    return load_settings(home=home, database_url=url, **overrides), schema


@contextmanager
def running_node(
    backend: str,
    base: Path,
    *,
    code: str = "CBI",
    country: str = "IN",
    agency: str = "Central Bureau of Investigation",
    timezone: str = "Asia/Kolkata",
) -> Iterator[LiveServer]:
    """Initialize a node in ``base`` with its own database and serve it; clean up after."""
    settings, schema = new_node_settings(backend, base / code.lower(), max_request_bytes=LIMIT)
    ctx = NodeContext(settings)
    try:
        summary = init_node(ctx, agency=agency, code=code, country=country, timezone=timezone)
        server, thread, url = start_server(create_app(settings, ctx))
        try:
            yield LiveServer(url, settings, ctx, summary["admin"]["token"])
        finally:
            stop_server(server, thread)
    finally:
        ctx.dispose()
        if schema:
            drop_pg_schema(schema)


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """An initialized CBI (India) node served on 127.0.0.1, request limit 64 KiB."""
    with running_node(backend, tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="module")
def live_us(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second served node, the FBI's (US), with its own home and database."""
    with running_node(
        backend,
        tmp_path_factory.mktemp("live_us"),
        code="FBI",
        country="US",
        agency="Federal Bureau of Investigation",
        timezone="America/New_York",
    ) as server:
        yield server
