"""Storing intelligence: collections, atomic imports, versions, TLP defaults, export policy."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from comity.core.errors import AlreadyExists, NotFound, PermissionDenied
from comity.federation.services import add_peer
from comity.identity.services import create_user
from comity.intel.errors import IntelInputError
from comity.intel.exporting import export_stix
from comity.intel.importing import ImportRefused, ImportRequest, import_data
from comity.intel.models import IntelObject
from comity.intel.policy import Recipient
from comity.intel.services import create_collection, find_collection, list_collections, share
from comity.intel.tlp import TLP1_IDS, TLP2_IDS
from tests.conftest import Node

ATTACK = Path(__file__).parents[1] / "data" / "intel" / "attack"


def _bundle(*objects: dict[str, Any]) -> bytes:
    return json.dumps(
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
    ).encode()


def _indicator(value: str, **extra: Any) -> dict[str, Any]:
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T10:00:00.000Z",
        "modified": "2026-11-01T10:00:00.000Z",
        "pattern": f"[domain-name:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T10:00:00Z",
    }
    obj.update(extra)
    return obj


def _import(node: Node, data: bytes, **request: Any) -> dict[str, Any]:
    request.setdefault("collection", "fraud")
    request.setdefault("source", "test.json")
    with node.ctx.transaction() as session:
        return import_data(
            session, node.actor(), data, ImportRequest(**request), policy=node.policy
        )


def _count(node: Node) -> int:
    with node.ctx.transaction() as session:
        return session.scalar(select(func.count()).select_from(IntelObject)) or 0


@pytest.fixture
def fraud(node: Node) -> Node:
    with node.ctx.transaction() as session:
        create_collection(session, node.actor(), "fraud", title="Fraud infrastructure")
    return node


def _peer(node: Node, code: str, country: str = "US") -> None:
    with node.ctx.transaction() as session:
        add_peer(session, node.actor(), code=code, agency=f"{code} agency", country=country)


def test_attack_bundle_imports_with_a_warning_and_keeps_custom_objects(fraud: Node) -> None:
    data = (ATTACK / "ics-attack-15.0.json").read_bytes()
    result = _import(fraud, data, tlp="clear")
    total = len(json.loads(data)["objects"])
    assert result["added"] == total and result["rejected"] == []
    assert any("spec_version" in w for w in result["warnings"])
    with fraud.ctx.transaction() as session:
        types = set(session.scalars(select(IntelObject.stix_type)))
    assert {"x-mitre-tactic", "x-mitre-matrix", "attack-pattern"} <= types
    again = _import(fraud, data)
    assert (again["added"], again["unchanged"]) == (0, total)


def test_a_new_version_of_an_object_is_stored_beside_the_old(fraud: Node) -> None:
    first = _indicator("scam-upi.example")
    _import(fraud, _bundle(first))
    second = {**first, "modified": "2026-11-02T10:00:00.000Z", "name": "updated"}
    result = _import(fraud, _bundle(second))
    assert result["added"] == 1
    with fraud.ctx.transaction() as session:
        versions = sorted(
            session.scalars(select(IntelObject.version).where(IntelObject.stix_id == first["id"]))
        )
    assert versions == ["2026-11-01T10:00:00.000Z", "2026-11-02T10:00:00.000Z"]


def test_an_invalid_object_refuses_the_whole_bundle(fraud: Node) -> None:
    good = _indicator("fake-kyc.example")
    bad = {**_indicator("x.example"), "created": "yesterday"}
    with pytest.raises(ImportRefused) as refused:
        _import(fraud, _bundle(good, bad))
    assert refused.value.data["rejected"][0]["index"] == 1
    assert "timestamp" in refused.value.data["rejected"][0]["reason"]
    assert _count(fraud) == 0
    skipped = _import(fraud, _bundle(good, bad), skip_invalid=True)
    assert skipped["added"] == 1 and len(skipped["rejected"]) == 1


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda o: o.pop("id"), "'id'"),
        (lambda o: o.update(id="indicator--not-a-uuid"), "'id'"),
        (lambda o: o.update(type="Indicator"), "'type'"),
        (lambda o: o.update(modified="2020-01-01T00:00:00Z"), "earlier than"),
        (lambda o: o.update(spec_version="2.0"), "2.1"),
        (lambda o: o.update(object_marking_refs="tlp:red"), "marking"),
        (
            lambda o: o.update(object_marking_refs=[f"marking-definition--{uuid.uuid4()}"]),
            "unknown marking",
        ),
        (lambda o: o.update(name="x" * (1 << 20)), "larger than"),
        (lambda o: o.update(valid_from="2026-13-01T00:00:00Z"), "'valid_from'"),
    ],
)
def test_damaged_objects_are_named_with_their_reason(fraud: Node, damage: Any, reason: str) -> None:
    obj = _indicator("damaged.example")
    damage(obj)
    with pytest.raises(ImportRefused) as refused:
        _import(fraud, _bundle(obj))
    assert reason in refused.value.message
    assert _count(fraud) == 0


def test_duplicate_ids_in_one_bundle_are_refused(fraud: Node) -> None:
    obj = _indicator("dup.example")
    with pytest.raises(ImportRefused, match="duplicate"):
        _import(fraud, _bundle(obj, copy.deepcopy(obj)))


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"type": "bundle", "objects": {"a": 1}}',
        "\udcff".encode("utf-8", "surrogatepass"),
    ],
)
def test_input_that_is_not_a_bundle_is_a_clear_error(fraud: Node, data: bytes) -> None:
    with pytest.raises(IntelInputError):
        _import(fraud, data, format="stix")
    assert _count(fraud) == 0


def test_tlp_defaults_and_tlp1_markings_map_to_tlp2(fraud: Node) -> None:
    unmarked = _indicator("unmarked.example")
    white = _indicator("white.example", object_marking_refs=[TLP1_IDS["white"]])
    copyright_only = _indicator(
        "copyright.example",
        object_marking_refs=["marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"],
    )
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168",
        "created": "2017-06-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Copyright 2026"},
    }
    _import(fraud, _bundle(statement, unmarked, white, copyright_only), tlp="green")
    with fraud.ctx.transaction() as session:
        levels = dict(session.execute(select(IntelObject.stix_id, IntelObject.tlp)).all())
        bodies = dict(session.execute(select(IntelObject.stix_id, IntelObject.body)).all())
    assert levels[unmarked["id"]] == "green"
    assert levels[white["id"]] == "clear"
    assert levels[copyright_only["id"]] == "green"  # a copyright statement is not a TLP
    assert TLP2_IDS["green"] in json.loads(bodies[copyright_only["id"]])["object_marking_refs"]
    assert json.loads(bodies[white["id"]])["object_marking_refs"] == [TLP1_IDS["white"]]


def test_date_added_is_strictly_increasing_across_imports(fraud: Node) -> None:
    for n in range(3):
        _import(fraud, _bundle(*(_indicator(f"d{n}-{i}.example") for i in range(50))))
    with fraud.ctx.transaction() as session:
        added = list(session.scalars(select(IntelObject.added_us).order_by(IntelObject.seq)))
    assert added == sorted(set(added)) and len(added) == 150


def test_export_withholds_red_and_what_peers_gave_under_amber(fraud: Node) -> None:
    _peer(fraud, "FBI")
    _peer(fraud, "NCA", "GB")
    red = _indicator("red.example", object_marking_refs=[TLP2_IDS["red"]])
    amber = _indicator("amber.example", object_marking_refs=[TLP2_IDS["amber"]])
    green = _indicator("green.example", object_marking_refs=[TLP2_IDS["green"]])
    _import(fraud, _bundle(red, amber, green))
    from comity.federation.services import get_peer
    from comity.intel.services import find_collection

    from_fbi = _indicator("from-fbi.example", object_marking_refs=[TLP2_IDS["amber"]])
    with fraud.ctx.transaction() as session:
        fbi = get_peer(session, "FBI")
        nca = get_peer(session, "NCA")
        from comity.intel.importing import store
        from comity.intel.stix import read_bundle

        store(
            session,
            fraud.actor(),
            find_collection(session, "fraud"),
            read_bundle(_bundle(from_fbi)),
            ImportRequest(collection="fraud", source="taxii", source_kind="pull"),
            fmt="stix",
            peer=fbi,
            default_tlp="amber",
            policy=fraud.policy,
        )
        fbi_id, nca_id = fbi.id, nca.id
    cases = {
        "file": (Recipient.file("amber+strict"), {amber["id"], green["id"]}),
        "FBI": (Recipient.peer(fbi_id, "FBI", "amber"), {amber["id"], green["id"], from_fbi["id"]}),
        "NCA": (Recipient.peer(nca_id, "NCA", "amber"), {amber["id"], green["id"]}),
        "NCA green": (Recipient.peer(nca_id, "NCA", "green"), {green["id"]}),
    }
    for label, (recipient, expected) in cases.items():
        with fraud.ctx.transaction() as session:
            bundle, withheld = export_stix(session, fraud.actor(), recipient, "fraud")
        exported = {o["id"] for o in bundle["objects"] if o["type"] == "indicator"}
        assert exported == expected, label
        assert any("RED" in w["reason"] for w in withheld), label
        for obj in bundle["objects"]:
            if obj["type"] == "indicator":
                assert obj["x_comity_provenance"]["source"]


def test_collections_and_agreements(fraud: Node) -> None:
    _peer(fraud, "FBI")
    with fraud.ctx.transaction() as session, pytest.raises(AlreadyExists):
        create_collection(session, fraud.actor(), "fraud")
    with fraud.ctx.transaction() as session, pytest.raises(IntelInputError):
        create_collection(session, fraud.actor(), "../etc")
    with fraud.ctx.transaction() as session, pytest.raises(IntelInputError, match="RED"):
        share(session, fraud.actor(), "fraud", "FBI", read=True, write=False, max_tlp="red")
    with fraud.ctx.transaction() as session:
        agreement = share(
            session, fraud.actor(), "fraud", "fbi", read=True, write=False, max_tlp="AMBER"
        )
    assert agreement == {**agreement, "peer": "FBI", "read": True, "max_tlp": "amber"}
    with fraud.ctx.transaction() as session:
        (listed,) = list_collections(session, fraud.actor())
    assert listed["shared_with"][0]["peer"] == "FBI"
    with fraud.ctx.transaction() as session, pytest.raises(NotFound):
        share(session, fraud.actor(), "nope", "FBI", read=True, write=False, max_tlp="green")
    for strange in ("a\x00b", "../fraud", "x" * 10_000, "' OR 1=1 --"):
        with fraud.ctx.transaction() as session, pytest.raises(NotFound):
            find_collection(session, strange)


def test_a_forensic_examiner_may_not_curate_collections(fraud: Node) -> None:
    with fraud.ctx.transaction() as session:
        create_user(
            session,
            fraud.actor(),
            username="examiner",
            display_name="E",
            roles=["forensic_examiner"],
            password="a long enough password",
        )
    with fraud.ctx.transaction() as session, pytest.raises(PermissionDenied):
        create_collection(session, fraud.actor("examiner"), "mine")
