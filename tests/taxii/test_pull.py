"""``comity intel pull`` between two real nodes (two homes, two databases, real processes).

The CBI's node serves its API (``comity serve``); the FBI's node pulls with the credentials
the CBI's ``comity peer add`` printed. Pulling again fetches nothing new; a pull killed in the
middle loses and repeats nothing when run again; what came from the CBI under AMBER is never
served on by the FBI. ``next`` tokens keep working across server processes and restarts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from comity.context import NodeContext
from comity.core.errors import NotFound
from comity.core.settings import load_settings
from comity.intel.models import IntelObject, PullCursor
from comity.intel.services import find_collection
from comity.intel.stix import micros_of
from comity.intel.tlp import TLP2_IDS
from tests.conftest import CliNode
from tests.taxii.conftest import TAXII, indicator
from tests.web.conftest import free_port, peer_over_http
from tests.web.test_serve import self_signed

STARTUP_SECONDS = 60.0
LEVELS = ("clear", "green", "amber", "amber+strict", "red")


@dataclass
class Served:
    """A ``comity serve`` process and its URL."""

    proc: subprocess.Popen[str]
    url: str


class Servers:
    """Starts ``comity serve`` processes and stops them all at the end."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[str]] = []

    def start(self, node: CliNode, port: int | None = None, *tls: str) -> Served:
        """Serve ``node`` on a loopback port (``tls``: serve's TLS options); return once up."""
        port = port or free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "comity.cli.main", "serve", "--port", str(port), *tls],
            env=node.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.running.append(proc)
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"comity serve exited: {proc.communicate()[1]}")
            try:
                httpx.get(f"{url}/openapi.json", timeout=5, verify=False)
                return Served(proc, url)
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("comity serve did not answer")

    @staticmethod
    def stop(served: Served) -> None:
        """Stop one server (bounded)."""
        served.proc.terminate()
        try:
            served.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            served.proc.communicate(timeout=20)

    def stop_all(self) -> None:
        """Stop every server still running."""
        for proc in self.running:
            if proc.poll() is None:
                self.stop(Served(proc, ""))


@pytest.fixture
def servers() -> Iterator[Servers]:
    """``comity serve`` processes, stopped after the test."""
    started = Servers()
    yield started
    started.stop_all()


def node_ctx(node: CliNode) -> NodeContext:
    """A context on a CLI node's database, to look at what it stored."""
    return NodeContext(
        load_settings(home=node.home, database_url=node.env.get("COMITY_DATABASE_URL"))
    )


def stored(node: CliNode, collection: str) -> list[tuple[str, str]]:
    """``(stix_id, version)`` of every object version in ``collection`` on ``node``."""
    ctx = node_ctx(node)
    try:
        with ctx.transaction() as session:
            try:
                found = find_collection(session, collection)
            except NotFound:
                return []
            rows = session.execute(
                select(IntelObject.stix_id, IntelObject.version)
                .where(IntelObject.collection_id == found.id)
                .order_by(IntelObject.added_us)
            ).all()
            return [(r[0], r[1]) for r in rows]
    finally:
        ctx.dispose()


def count(node: CliNode, collection: str) -> int:
    """How many object versions ``collection`` holds on ``node`` (0 if it does not exist)."""
    ctx = node_ctx(node)
    try:
        with ctx.transaction() as session:
            try:
                found = find_collection(session, collection)
            except NotFound:
                return 0
            return int(
                session.scalar(select(func.count()).where(IntelObject.collection_id == found.id))
                or 0
            )
    finally:
        ctx.dispose()


def write_bundle(path: Path, objects: list[dict[str, Any]]) -> Path:
    """Write a STIX bundle file."""
    path.write_text(
        json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
    )
    return path


def objects_of_every_level(n: int) -> list[dict[str, Any]]:
    """``n`` indicators, cycling through the five TLP levels."""
    return [indicator(LEVELS[i % len(LEVELS)], name=f"indicator {i}") for i in range(n)]


@dataclass
class Pair:
    """The CBI's node (serving) and the FBI's node (pulling), peers of each other."""

    cbi: CliNode
    fbi: CliNode
    cbi_url: str
    served: Served
    folder: Path


@pytest.fixture
def pair(cli_node_factory: Any, servers: Servers, tmp_path: Path) -> Pair:
    """Two initialized nodes, registered as peers; the CBI's served, sharing 'fraud-infra'."""
    cbi: CliNode = cli_node_factory("cbi")
    fbi: CliNode = cli_node_factory("fbi")
    cbi.run(
        "init",
        "--agency",
        "Central Bureau of Investigation",
        "--agency-code",
        "CBI",
        "--country",
        "IN",
        check=True,
    )
    fbi.run(
        "init",
        "--agency",
        "Federal Bureau of Investigation",
        "--agency-code",
        "FBI",
        "--country",
        "US",
        check=True,
    )
    port = peer_over_http(cbi, fbi, tmp_path)
    cbi.run("collection", "create", "fraud-infra", check=True)
    cbi.run(
        "share",
        "--collection",
        "fraud-infra",
        "--peer",
        "FBI",
        "--read",
        "--max-tlp",
        "amber",
        check=True,
    )
    served = servers.start(cbi, port)
    return Pair(cbi, fbi, served.url, served, tmp_path)


def pull(pair: Pair, *args: str) -> dict[str, Any]:
    """Run ``comity intel pull CBI ARGS --json`` on the FBI's node; return its summary."""
    result = pair.fbi.run("intel", "pull", "CBI", *args, "--json", check=True)
    summary: dict[str, Any] = result.json()
    return summary


def test_pull_then_pull_again_fetches_only_what_is_new(pair: Pair) -> None:
    first = objects_of_every_level(60)
    path = write_bundle(pair.folder / "first.json", first)
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    releasable = [
        o
        for o in first
        if o["object_marking_refs"][0] in {TLP2_IDS[level] for level in ("clear", "green", "amber")}
    ]

    summary = pull(pair, "--limit", "7")
    (collection,) = summary["collections"]
    assert collection["collection"] == "cbi-fraud-infra"
    assert collection["added"] == len(releasable) == 36
    assert collection["complete"] and collection["pages"] == 6
    assert stored(pair.fbi, "cbi-fraud-infra") == [(o["id"], o["modified"]) for o in releasable]

    again = pull(pair)
    assert again["collections"][0]["received"] == 0 and again["added"] == 0

    second = objects_of_every_level(10)
    path = write_bundle(pair.folder / "second.json", second)
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    third = pull(pair, "--limit", "4")
    assert third["collections"][0]["received"] == third["added"] == 6
    assert count(pair.fbi, "cbi-fraud-infra") == 42

    # What was pulled records its origin: the CBI's peer, through a pull.
    ctx = node_ctx(pair.fbi)
    try:
        with ctx.transaction() as session:
            rows = session.execute(
                select(IntelObject.source_kind, IntelObject.origin_peer_id).distinct()
            ).all()
            cursor = session.scalars(select(PullCursor)).one()
    finally:
        ctx.dispose()
    assert len(rows) == 1 and rows[0][0] == "pull" and rows[0][1] is not None
    assert cursor.added_after == third["collections"][0]["cursor"]


def test_pull_into_a_named_collection_and_errors(pair: Pair) -> None:
    path = write_bundle(pair.folder / "b.json", objects_of_every_level(5))
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    summary = pull(pair, "--into", "from-cbi", "--collection", "fraud-infra")
    assert summary["collections"][0]["collection"] == "from-cbi"
    assert count(pair.fbi, "from-cbi") == 3
    missing = pair.fbi.run("intel", "pull", "CBI", "--collection", "nothing-here")
    assert missing.code == 2 and "nothing-here" in missing.err
    unknown = pair.fbi.run("intel", "pull", "NOPEER")
    assert unknown.code == 2
    down = pair.fbi.run("intel", "pull", "CBI", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.code == 3 and "cannot reach" in down.err
    # Wrong credentials: refused by the peer, exit 2, and the secret is not printed.
    bad = pair.folder / "bad.json"
    bad.write_text(json.dumps({"credentials": {"token": "wrong-token-value"}}))
    pair.fbi.run("peer", "credentials", "CBI", "--from", str(bad), check=True)
    refused = pair.fbi.run("intel", "pull", "CBI")
    assert refused.code == 2 and "401" in refused.err
    assert "wrong-token-value" not in refused.err + refused.out
    shown = pair.fbi.run("peer", "credentials", "CBI", "--json", check=True).json()
    assert shown == {"peer": "CBI", "username": None, "password": False, "token": True}
    mode = (pair.fbi.home / "keys" / "peers" / "CBI.json").stat().st_mode & 0o777
    assert mode == 0o600


def test_interrupted_pull_loses_and_repeats_nothing(pair: Pair) -> None:
    objects = [indicator("green", name=f"bulk {i}") for i in range(2500)]
    path = write_bundle(pair.folder / "bulk.json", objects)
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "comity.cli.main", "intel", "pull", "CBI", "--limit", "10"],
        env=pair.fbi.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while count(pair.fbi, "cbi-fraud-infra") < 200 and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    partial = stored(pair.fbi, "cbi-fraud-infra")
    assert 0 < len(partial) < len(objects), "the pull was not interrupted in the middle"
    # Whole pages only, in order, and the cursor is where the stored pages end.
    assert partial == [(o["id"], o["modified"]) for o in objects[: len(partial)]]
    assert len(partial) % 10 == 0
    ctx = node_ctx(pair.fbi)
    try:
        with ctx.transaction() as session:
            cursor = session.scalars(select(PullCursor)).one().added_after
    finally:
        ctx.dispose()
    assert cursor is not None

    resumed = pull(pair, "--limit", "500")
    assert resumed["collections"][0]["received"] == len(objects) - len(partial)
    everything = stored(pair.fbi, "cbi-fraud-infra")
    assert everything == [(o["id"], o["modified"]) for o in objects]
    assert micros_of(resumed["collections"][0]["cursor"]) > micros_of(cursor)


def test_amber_pulled_from_a_peer_is_never_served_on(pair: Pair, servers: Servers) -> None:
    path = write_bundle(pair.folder / "tlp.json", objects_of_every_level(10))
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    pull(pair)
    # The FBI shares what it pulled with a third agency, up to AMBER+STRICT.
    hsi = pair.fbi.run(
        "peer",
        "add",
        "HSI",
        "--agency",
        "HSI Cyber Crimes Center",
        "--country",
        "US",
        "--json",
        check=True,
    ).json()
    pair.fbi.run(
        "share",
        "--collection",
        "cbi-fraud-infra",
        "--peer",
        "HSI",
        "--read",
        "--max-tlp",
        "amber+strict",
        check=True,
    )
    own = write_bundle(pair.folder / "own.json", [indicator("amber", name="FBI's own")])
    pair.fbi.run("intel", "import", str(own), "--collection", "cbi-fraud-infra", check=True)
    fbi_server = servers.start(pair.fbi)
    headers = {"Authorization": f"Bearer {hsi['credentials']['token']}", "Accept": TAXII}
    url = f"{fbi_server.url}/taxii2/comity/collections/cbi-fraud-infra/objects/"
    served = httpx.get(url, headers=headers, timeout=30).json()["objects"]
    by_marking = {marking: level for level, marking in TLP2_IDS.items()}
    assert sorted(by_marking[o["object_marking_refs"][0]] for o in served) == [
        "amber",  # the FBI's own AMBER only
        "clear",
        "clear",
        "green",
        "green",
    ]
    assert [o["name"] for o in served if "amber" in by_marking[o["object_marking_refs"][0]]] == [
        "FBI's own"
    ]


def test_next_tokens_work_across_server_processes_and_restarts(
    pair: Pair, servers: Servers
) -> None:
    objects = [indicator("green") for _ in range(30)]
    path = write_bundle(pair.folder / "paging.json", objects)
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    token = pair.cbi.run("user", "token", "admin", "--json", check=True).json()["token"]
    other = servers.start(pair.cbi)  # a second process on the same home and database
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    path_ = "/taxii2/comity/collections/fraud-infra/objects/"
    seen: list[str] = []
    response = httpx.get(f"{pair.cbi_url}{path_}", params={"limit": 4}, headers=headers)
    urls = [other.url, pair.cbi_url]
    turn = 0
    while True:
        page = response.json()
        seen.extend(o["id"] for o in page["objects"])
        if not page["more"]:
            break
        if turn == 2:  # restart the first server between two pages
            port = int(pair.cbi_url.rsplit(":", 1)[1])
            Servers.stop(pair.served)
            pair.served = servers.start(pair.cbi, port)
        url = urls[turn % 2]
        turn += 1
        response = httpx.get(
            f"{url}{path_}", params={"limit": 4, "next": page["next"]}, headers=headers
        )
        assert response.status_code == 200, response.text
    assert seen == [o["id"] for o in objects]
    assert turn >= 6


def test_pull_over_https_with_the_peers_certificate(pair: Pair, servers: Servers) -> None:
    path = write_bundle(pair.folder / "tls.json", objects_of_every_level(5))
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    cert, key = self_signed(pair.folder)
    served = servers.start(pair.cbi, None, "--tls-cert", str(cert), "--tls-key", str(key))
    untrusted = pair.fbi.run("intel", "pull", "CBI", "--url", served.url)
    assert untrusted.code == 3 and "cannot reach" in untrusted.err
    assert count(pair.fbi, "cbi-fraud-infra") == 0
    summary = pull(pair, "--url", served.url, "--ca-file", str(cert))
    assert summary["url"].startswith("https://") and summary["added"] == 3


def test_pull_in_bounded_steps(pair: Pair) -> None:
    path = write_bundle(pair.folder / "steps.json", [indicator("green") for _ in range(7)])
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    first = pull(pair, "--limit", "3", "--max-pages", "1")
    assert first["complete"] is False and first["collections"][0]["received"] == 3
    second = pull(pair, "--limit", "3", "--max-pages", "1")
    assert second["collections"][0]["received"] == 3
    rest = pull(pair, "--limit", "3")
    assert rest["complete"] and rest["collections"][0]["received"] == 1
    assert count(pair.fbi, "cbi-fraud-infra") == 7


def _statement(text: str) -> dict[str, Any]:
    """A (non-TLP) statement marking definition."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": text},
    }


def test_an_object_waits_for_a_marking_definition_on_a_later_page(pair: Pair) -> None:
    statement = _statement("Copyright CBI 2026")
    marked = indicator("green", name="marked")
    marked["object_marking_refs"].append(statement["id"])
    # One bundle, the indicator first: the peer dates it before the definition it refers to.
    path = write_bundle(pair.folder / "order.json", [marked, statement])
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    summary = pull(pair, "--limit", "1")
    (collection,) = summary["collections"]
    assert collection["rejected"] == 0 and collection["added"] == 2
    assert {sid for sid, _ in stored(pair.fbi, "cbi-fraud-infra")} == {
        marked["id"],
        statement["id"],
    }


def test_an_object_whose_marking_never_comes_is_reported_not_lost(pair: Pair) -> None:
    statement = _statement("Internal handling statement")
    pair.cbi.run("collection", "create", "internal", check=True)  # not shared with the FBI
    path = write_bundle(pair.folder / "internal.json", [statement])
    pair.cbi.run("intel", "import", str(path), "--collection", "internal", check=True)
    marked = indicator("green", name="marked")
    marked["object_marking_refs"].append(statement["id"])
    plain = indicator("green", name="plain")
    path = write_bundle(pair.folder / "shared.json", [marked, plain])
    pair.cbi.run("intel", "import", str(path), "--collection", "fraud-infra", check=True)
    summary = pull(pair, "--limit", "1")
    (collection,) = summary["collections"]
    assert collection["complete"] and collection["added"] == 1
    assert collection["rejected"] == 1
    (rejection,) = collection["rejections"]
    assert rejection["id"] == marked["id"]
    assert statement["id"] in rejection["reason"] and "unknown marking" in rejection["reason"]
    assert stored(pair.fbi, "cbi-fraud-infra") == [(plain["id"], plain["modified"])]
