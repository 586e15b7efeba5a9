"""The TLP release rules: the per-object answer and the SQL condition agree everywhere."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from sqlalchemy import insert, select

from comity.federation.services import add_peer, get_peer
from comity.intel.models import IntelObject
from comity.intel.policy import Recipient, refusal, releasable
from comity.intel.services import create_collection
from comity.intel.tlp import LEVELS, level_of, marking_level, parse_level
from tests.conftest import Node


def test_every_combination_of_level_origin_and_recipient(node: Node) -> None:
    actor = node.actor()
    with node.ctx.transaction() as session:
        collection = create_collection(session, actor, "all-levels")
        for code in ("FBI", "NCA"):
            add_peer(session, actor, code=code, agency=code, country="US")
        fbi, nca = get_peer(session, "FBI").id, get_peer(session, "NCA").id
        origins = [None, fbi, nca]
        rows = []
        for n, (level, origin) in enumerate(itertools.product(LEVELS, origins)):
            rows.append(
                {
                    "collection_id": collection.id,
                    "stix_id": f"indicator--{uuid.uuid4()}",
                    "stix_type": "indicator",
                    "spec_version": "2.1",
                    "version": "2026-01-01T00:00:00Z",
                    "added_us": n + 1,
                    "tlp": level,
                    "body": json.dumps({"n": n}),
                    "source_kind": "file",
                    "source": "t",
                    "origin_peer_id": origin,
                    "added_by": "admin",
                }
            )
        session.execute(insert(IntelObject), rows)
        recipients = [Recipient.file(c) for c in LEVELS[:4]] + [
            Recipient.peer(peer, code, ceiling)
            for peer, code in ((fbi, "FBI"), (nca, "NCA"))
            for ceiling in LEVELS[:4]
        ]
        for recipient in recipients:
            by_rule = {
                r["stix_id"]
                for r in rows
                if refusal(r["tlp"], r["origin_peer_id"], recipient) is None
            }
            by_sql = set(session.scalars(select(IntelObject.stix_id).where(releasable(recipient))))
            assert by_sql == by_rule, recipient
            released = {r["tlp"] for r in rows if r["stix_id"] in by_rule}
            assert "red" not in released


def test_the_rules_in_words() -> None:
    fbi, nca = uuid.uuid4(), uuid.uuid4()
    to_nca = Recipient.peer(nca, "NCA", "amber+strict")
    assert refusal("red", None, to_nca) == "TLP:RED never leaves this node"
    assert "not passed on" in (refusal("amber", fbi, to_nca) or "")
    assert "not passed on" in (refusal("amber+strict", fbi, to_nca) or "")
    assert refusal("green", fbi, to_nca) is None
    assert refusal("amber", nca, to_nca) is None  # back to the peer that gave it
    assert "above" in (refusal("amber", None, Recipient.peer(nca, "NCA", "green")) or "")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("TLP:AMBER+STRICT", "amber+strict"),
        ("white", "clear"),
        ("Green", "green"),
        ("tlp:clear", "clear"),
    ],
)
def test_levels_parse_in_any_case(text: str, level: str) -> None:
    assert parse_level(text) == level


def test_a_peers_own_copy_of_a_tlp_definition_counts() -> None:
    own = {
        "type": "marking-definition",
        "id": f"marking-definition--{uuid.uuid4()}",
        "definition_type": "tlp",
        "definition": {"tlp": "amber"},
    }
    assert marking_level(own) == "amber"
    assert level_of({"object_marking_refs": [own["id"]]}, {own["id"]: "amber"}) == "amber"
    assert level_of({"object_marking_refs": []}) is None
