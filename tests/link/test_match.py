"""Private matching between two real nodes, through files: only what both hold is learnt.

The CBI's node holds the Indian complaints of the corpus, the FBI's the US ones; each is a
separate ``comity`` process with its own home and database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from comity.context import NodeContext
from comity.core.settings import load_settings
from comity.federation.services import get_peer
from comity.identity.models import AuditEvent
from comity.link.match import eligible
from tests.conftest import CliNode
from tests.taxii.test_pull import Servers
from tests.web.conftest import free_port, peer_over_http

CORPUS = Path(__file__).parents[1] / "data" / "complaints"


def _ctx(node: CliNode) -> NodeContext:
    return NodeContext(
        load_settings(home=node.home, database_url=node.env.get("COMITY_DATABASE_URL"))
    )


def _eligible(node: CliNode, peer: str) -> set[str]:
    ctx = _ctx(node)
    try:
        with ctx.transaction() as session:
            return set(eligible(session, ctx.settings, get_peer(session, peer)))
    finally:
        ctx.dispose()


def _audit(node: CliNode, action: str) -> list[dict[str, Any]]:
    ctx = _ctx(node)
    try:
        with ctx.transaction() as session:
            events = session.scalars(select(AuditEvent).where(AuditEvent.action == action))
            return [e.details for e in events]
    finally:
        ctx.dispose()


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = Servers()
    yield started
    started.stop_all()


PORT: dict[str, int] = {}


@pytest.fixture
def pair(cli_node_factory: Any, tmp_path: Path) -> tuple[CliNode, CliNode]:
    """The CBI's node and the FBI's, peers of each other; the FBI holds credentials for the
    CBI's API (``PORT["cbi"]``, where a test may serve it)."""
    cbi: CliNode = cli_node_factory("cbi")
    fbi: CliNode = cli_node_factory("fbi")
    cbi.run("init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", check=True)
    fbi.run("init", "--agency", "FBI", "--agency-code", "FBI", "--country", "US", check=True)
    PORT["cbi"] = peer_over_http(cbi, fbi, tmp_path)
    cbi.run("link", "ingest", str(CORPUS / "corpus-in.csv"), "--country", "IN", check=True)
    fbi.run("link", "ingest", str(CORPUS / "corpus-us.jsonl"), "--country", "US", check=True)
    return cbi, fbi


def _agree(node: CliNode, peer: str) -> None:
    node.run("collection", "create", "complaints", check=True)
    node.run(
        "share",
        "--collection",
        "complaints",
        "--peer",
        peer,
        "--read",
        "--max-tlp",
        "amber",
        check=True,
    )


def test_both_sides_learn_what_they_both_hold_and_nothing_else(
    pair: tuple[CliNode, CliNode], tmp_path: Path
) -> None:
    cbi, fbi = pair
    refused = fbi.run("link", "match-request", "--peer", "CBI", "--out", str(tmp_path / "r"))
    assert refused.code == 2 and "no agreement" in refused.err
    _agree(cbi, "FBI")
    _agree(fbi, "CBI")
    request, answer, result = (tmp_path / n for n in ("request.json", "answer.json", "result.json"))
    fbi.run("link", "match-request", "--peer", "CBI", "--out", str(request), check=True)
    secrets = list((fbi.home / "keys" / "matches").iterdir())
    assert len(secrets) == 1 and secrets[0].stat().st_mode & 0o777 == 0o600
    assert json.loads(request.read_text())["document"]["count"] == len(_eligible(fbi, "CBI"))
    cbi.run("link", "match-respond", str(request), "--out", str(answer), check=True)
    found = fbi.run(
        "link", "match-finish", str(answer), "--out", str(result), "--json", check=True
    ).json()
    recorded = cbi.run("link", "match-finish", str(result), "--json", check=True).json()
    shared = {(i["type"], i["value"]) for i in found["shared"]}
    assert shared == {(i["type"], i["value"]) for i in recorded["shared"]}
    expected = _eligible(fbi, "CBI") & _eligible(cbi, "FBI")
    assert shared == {tuple(item.split("\t", 1)) for item in expected}
    assert shared  # the corpus has networks across the border
    assert len(shared) < min(len(_eligible(fbi, "CBI")), len(_eligible(cbi, "FBI")))
    assert not list((fbi.home / "keys" / "matches").iterdir())  # the PSI key is gone
    # What the CBI learnt about the FBI's set: its size, in the audit log — nothing more.
    (responded,) = _audit(cbi, "link.match.respond")
    assert responded["asked"] == found["asked"]
    # Each side's networks now say which of their identifiers the other also holds.
    cbi.run("link", "run", check=True)
    networks = cbi.run("link", "networks", "--json", check=True).json()["networks"]
    crossing = [n for n in networks if n["shared_with"] == ["FBI"]]
    assert crossing
    marked = {
        (i["type"], i["value"]) for n in crossing for i in n["identifiers"] if i["also_held_by"]
    }
    assert marked and marked <= shared
    assert all(set(n["countries"]) == {"IN"} for n in networks)  # still only its complaints
    # Replaying the result changes nothing and is refused.
    replay = cbi.run("link", "match-finish", str(result))
    assert replay.code == 1 and "not one this node is waiting for" in replay.err


def test_altered_misaddressed_and_oversized_messages_are_refused(
    pair: tuple[CliNode, CliNode], tmp_path: Path
) -> None:
    cbi, fbi = pair
    _agree(cbi, "FBI")
    _agree(fbi, "CBI")
    request = tmp_path / "request.json"
    fbi.run("link", "match-request", "--peer", "CBI", "--out", str(request), check=True)
    own = fbi.run("link", "match-respond", str(request), "--out", str(tmp_path / "x"))
    assert own.code == 1 and "addressed to CBI, not FBI" in own.err
    altered = json.loads(request.read_text())
    altered["document"]["count"] += 1
    (tmp_path / "altered.json").write_text(json.dumps(altered))
    tampered = cbi.run("link", "match-respond", str(tmp_path / "altered.json"), "--out", "y")
    assert tampered.code == 1 and "altered" in tampered.err
    (tmp_path / "junk.json").write_text("{not json")
    junk = cbi.run("link", "match-respond", str(tmp_path / "junk.json"), "--out", "z")
    assert junk.code == 2 and "not a Comity match message" in junk.err
    cbi.env["COMITY_LINK_MATCH_MAX_REQUEST"] = "10"
    capped = cbi.run("link", "match-respond", str(request), "--out", str(tmp_path / "a"))
    assert capped.code == 2 and "the most at once is 10" in capped.err
    (refusal,) = _audit(cbi, "link.match.refused")
    assert refusal["asked"] > 10 and "the most at once" in refusal["reason"]
    cbi.env["COMITY_LINK_MATCH_MAX_REQUEST"] = "1000000"
    asked = json.loads(request.read_text())["document"]["count"]
    cbi.env["COMITY_LINK_MATCH_DAILY_BUDGET"] = str(asked + asked // 2)  # room for one
    answer = tmp_path / "answer.json"
    cbi.run("link", "match-respond", str(request), "--out", str(answer), check=True)
    replayed = cbi.run("link", "match-respond", str(request), "--out", str(tmp_path / "b"))
    assert replayed.code == 1 and "answered already" in replayed.err
    second = tmp_path / "second.json"
    fbi.run("link", "match-request", "--peer", "CBI", "--out", str(second), check=True)
    again = cbi.run("link", "match-respond", str(second), "--out", str(tmp_path / "b"))
    assert again.code == 2 and "in the last 24 hours" in again.err
    damaged = json.loads(answer.read_text())
    damaged["document"]["setup"] = damaged["document"]["setup"][:-8] + "AAAAAAA="
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    broken = fbi.run("link", "match-finish", str(tmp_path / "damaged.json"), "--out", "c")
    assert broken.code == 1 and "altered" in broken.err


def test_the_same_match_over_the_network(pair: tuple[CliNode, CliNode], servers: Servers) -> None:
    cbi, fbi = pair
    _agree(cbi, "FBI")
    _agree(fbi, "CBI")
    servers.start(cbi, PORT["cbi"])
    found = fbi.run("link", "match", "--peer", "CBI", "--json", check=True).json()
    expected = _eligible(fbi, "CBI") & _eligible(cbi, "FBI")
    assert {(i["type"], i["value"]) for i in found["shared"]} == {
        tuple(item.split("\t", 1)) for item in expected
    }
    (recorded,) = _audit(cbi, "link.match.responder-finish")
    assert recorded["shared"] == len(expected)
    down = fbi.run("link", "match", "--peer", "CBI", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.code == 3 and "cannot reach" in down.err
