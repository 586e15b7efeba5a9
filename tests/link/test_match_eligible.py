"""What may enter a private match: the one TLP policy decides for intelligence identifiers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from comity.federation.services import add_peer, get_peer
from comity.intel.importing import ImportRequest, import_data, store
from comity.intel.services import create_collection, find_collection, share
from comity.intel.stix import read_bundle
from comity.intel.tlp import TLP2_IDS
from comity.link.match import MatchRefused, eligible
from tests.conftest import Node


def _indicator(domain: str, tlp: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T00:00:00Z",
        "modified": "2026-11-01T00:00:00Z",
        "pattern": f"[domain-name:value = '{domain}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": [TLP2_IDS[tlp]],
    }


def _bundle(*objects: dict[str, Any]) -> bytes:
    return json.dumps(
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    ).encode()


def _domains(node: Node, peer: str) -> set[str]:
    with node.ctx.transaction() as session:
        items = eligible(session, node.ctx.settings, get_peer(session, peer))
    return {item.split("\t", 1)[1] for item in items if item.startswith("domain-name\t")}


def test_intelligence_enters_as_the_tlp_policy_allows(node: Node) -> None:
    with node.ctx.transaction() as session:
        actor = node.actor()
        add_peer(session, actor, code="FBI", agency="FBI", country="US")
        add_peer(session, actor, code="NCA", agency="NCA", country="GB")
        create_collection(session, actor, "fraud")
        import_data(
            session,
            actor,
            _bundle(
                _indicator("green-desk.in", "green"),
                _indicator("amber-desk.in", "amber"),
                _indicator("red-desk.in", "red"),
            ),
            ImportRequest(collection="fraud", source="ours.json"),
            policy=node.policy,
        )
        store(  # what the NCA gave us under AMBER is never passed on to the FBI
            session,
            actor,
            find_collection(session, "fraud"),
            read_bundle(_bundle(_indicator("nca-amber.in", "amber"))),
            ImportRequest(collection="fraud", source="pull", source_kind="pull"),
            fmt="stix",
            peer=get_peer(session, "NCA"),
            default_tlp="amber",
            policy=node.policy,
        )
    with node.ctx.transaction() as session, pytest.raises(MatchRefused, match="no agreement"):
        eligible(session, node.ctx.settings, get_peer(session, "FBI"))
    with node.ctx.transaction() as session:
        share(session, node.actor(), "fraud", "FBI", read=True, write=False, max_tlp="green")
    assert _domains(node, "FBI") == {"green-desk.in"}
    with node.ctx.transaction() as session:
        share(session, node.actor(), "fraud", "FBI", read=True, write=False, max_tlp="amber")
    assert _domains(node, "FBI") == {"green-desk.in", "amber-desk.in"}
    with node.ctx.transaction() as session:
        share(session, node.actor(), "fraud", "NCA", read=True, write=False, max_tlp="amber")
    assert "nca-amber.in" in _domains(node, "NCA")  # its own AMBER it may match again
