"""Correlation across the node: intelligence, evidence and cases; warning lists; the cap."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from comity.cases.services import create_case
from comity.core.timeutil import utcnow
from comity.evidence.ingest import IngestOptions, ingest
from comity.intel.correlation import CorrelationPolicy, NewRef, index_refs
from comity.intel.importing import ImportRequest, import_data
from comity.intel.models import Correlation, IndexWatermark, ObservableRef
from comity.intel.records import index_node_records
from comity.intel.services import create_collection
from tests.conftest import Node


def _indicator(path: str, value: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T10:00:00.000Z",
        "modified": "2026-11-01T10:00:00.000Z",
        "pattern": f"[{path} = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T10:00:00Z",
    }


def _import_stix(
    node: Node, *objects: dict[str, Any], policy: CorrelationPolicy | None = None
) -> dict[str, Any]:
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
    with node.ctx.transaction() as session:
        return import_data(
            session,
            node.actor(),
            json.dumps(bundle).encode(),
            ImportRequest(collection="fraud", source="bundle.json", tlp="amber"),
            policy=policy or node.policy,
        )


def _import_text(node: Node, text: str) -> dict[str, Any]:
    with node.ctx.transaction() as session:
        return import_data(
            session,
            node.actor(),
            text.encode(),
            ImportRequest(collection="fraud", source="note.txt", format="text", country="IN"),
            policy=node.policy,
        )


def _refs(node: Node, obs_type: str, value: str) -> list[ObservableRef]:
    with node.ctx.transaction() as session:
        return list(
            session.scalars(
                select(ObservableRef).where(
                    ObservableRef.obs_type == obs_type, ObservableRef.value == value
                )
            )
        )


def _correlations(node: Node, value: str | None = None) -> int:
    with node.ctx.transaction() as session:
        query = select(func.count()).select_from(Correlation)
        if value is not None:
            query = query.where(Correlation.value == value)
        return session.scalar(query) or 0


@pytest.fixture
def fraud(node: Node) -> Node:
    with node.ctx.transaction() as session:
        create_collection(session, node.actor(), "fraud", title="Fraud")
    return node


def test_a_known_identifier_correlates_in_any_written_form(fraud: Node) -> None:
    first = _import_text(fraud, "Call 098765 43210 for your KYC update")
    assert first["correlations"] == 0
    second = _import_stix(fraud, _indicator("phone-number:value", "+91 98765-43210"))
    assert second["correlations"] == 1
    assert {r.kind for r in _refs(fraud, "phone-number", "+919876543210")} == {"intel"}


def test_values_on_warning_lists_are_indexed_but_do_not_correlate(fraud: Node) -> None:
    _import_stix(fraud, _indicator("domain-name:value", "gmail.com"))
    result = _import_stix(fraud, _indicator("domain-name:value", "GMail.com"))
    assert result["correlations"] == 0
    assert len(_refs(fraud, "domain-name", "gmail.com")) == 2
    _import_stix(fraud, _indicator("phone-number:value", "IN:1930"))
    assert _import_stix(fraud, _indicator("phone-number:value", "IN:1930"))["correlations"] == 0
    assert _correlations(fraud) == 0


def test_index_reports_why_it_did_not_correlate(fraud: Node) -> None:
    policy = CorrelationPolicy(cap=50, suppression=lambda t, v: "test list" if v == "x" else None)
    with fraud.ctx.transaction() as session:
        refs = [NewRef("domain-name", "x", "intel", f"r{i}", "CBI") for i in range(2)]
        index_refs(session, refs[:1], policy)
        result = index_refs(session, refs[1:], policy)
    assert result.stored == 1 and result.correlations == 0
    assert result.suppressed == {("domain-name", "x"): "test list"}


def test_a_value_known_from_more_places_than_the_cap_stops_correlating(fraud: Node) -> None:
    policy = CorrelationPolicy(cap=3, suppression=lambda _t, _v: None)
    counts = []
    for _ in range(5):
        indicator = _indicator("url:value", "https://kyc-update.in/x")
        counts.append(_import_stix(fraud, indicator, policy=policy)["correlations"])
    assert counts == [0, 1, 2, 0, 0]  # the fourth place is over the cap of three
    with fraud.ctx.transaction() as session:
        refs = [NewRef("url", "https://kyc-update.in/x", "intel", "late", "CBI")]
        result = index_refs(session, refs, policy)
    assert result.suppressed[("url", "https://kyc-update.in/x")].startswith("known from 6 places")
    # in one batch, only the places up to the cap correlate
    with fraud.ctx.transaction() as session:
        batch = [NewRef("url", "https://b.in/", "intel", f"b{i}", "CBI") for i in range(3)]
        index_refs(session, batch[:1], policy)
        assert index_refs(session, batch[1:], policy).correlations == 2
        more = [NewRef("url", "https://c.in/", "intel", f"c{i}", "CBI") for i in range(5)]
        index_refs(session, more[:2], policy)
        assert index_refs(session, more[2:], policy).correlations == 2  # only the third place


def _case_with_evidence(node: Node, tmp_path: Path, content: bytes) -> tuple[str, str]:
    with node.ctx.transaction() as session:
        case = create_case(
            session,
            node.actor(),
            title="Fake call centre calling from 098765 43210",
            summary="Victims paid to refund.kyc@okaxis and A/c 50100234567890 IFSC HDFC0001234.",
            jurisdictions=["IN", "US"],
        )
        reference = case.reference
    source = tmp_path / "call-log.txt"
    source.write_bytes(content)
    items, _ = ingest(node.ctx, None, reference, [source], IngestOptions(extra_hashes=("md5",)))
    return reference, items[0]["id"]


def test_evidence_and_cases_are_indexed_and_correlate_with_intelligence(
    fraud: Node, tmp_path: Path
) -> None:
    content = b"call log of the seized phone\n"
    _reference, item_id = _case_with_evidence(fraud, tmp_path, content)
    with fraud.ctx.transaction() as session:
        counts = index_node_records(session, policy=fraud.policy)
    assert counts["evidence"] == 1 and counts["cases"] == 1
    sha256 = hashlib.sha256(content).hexdigest()
    (evidence,) = _refs(fraud, "file-sha256", sha256)
    assert evidence.kind == "evidence" and evidence.ref == item_id and evidence.case_id
    assert _refs(fraud, "file-md5", hashlib.md5(content).hexdigest())
    case_refs = {
        (r.obs_type, r.value)
        for r in _refs(fraud, "phone-number", "+919876543210")
        + _refs(fraud, "upi-id", "refund.kyc@okaxis")
        + _refs(fraud, "bank-account", "HDFC0001234:50100234567890")
    }
    assert len(case_refs) == 3
    result = _import_stix(
        fraud,
        _indicator("file:hashes.'SHA-256'", sha256.upper()),
        _indicator("upi-id:value", "Refund.KYC@okaxis"),
    )
    assert result["correlations"] == 2
    assert _correlations(fraud, sha256) == 1


def test_indexing_is_incremental(fraud: Node, tmp_path: Path) -> None:
    _case_with_evidence(fraud, tmp_path, b"first")
    with fraud.ctx.transaction() as session:
        first = index_node_records(session, policy=fraud.policy)
        again = index_node_records(session, policy=fraud.policy)
        marks = {m.source: m.position for m in session.scalars(select(IndexWatermark))}
    assert first["stored"] > 0 and again["stored"] == 0
    assert marks["evidence"] is not None and marks["case"] is not None
    with fraud.ctx.transaction() as session:  # records older than watermark and overlap: unread
        for mark in session.scalars(select(IndexWatermark)):
            mark.position = utcnow() + timedelta(days=1)
        session.flush()
        assert index_node_records(session, policy=fraud.policy) == {
            "evidence": 0,
            "cases": 0,
            "stored": 0,
            "correlations": 0,
        }
        for mark in session.scalars(select(IndexWatermark)):
            mark.position = marks[mark.source]
    with fraud.ctx.transaction() as session:
        case = create_case(
            session, fraud.actor(), title="Second case, wallet in summary", jurisdictions=["IN"],
            summary="BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        )  # fmt: skip
        later = index_node_records(session, policy=fraud.policy)
    assert later["stored"] == 1
    (ref,) = _refs(fraud, "cryptocurrency-wallet", "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert ref.case_id == case.id


def test_imports_index_node_records_first(fraud: Node, tmp_path: Path) -> None:
    content = b"ransom note"
    _case_with_evidence(fraud, tmp_path, content)
    result = _import_stix(
        fraud, _indicator("file:hashes.MD5", hashlib.md5(content).hexdigest())
    )  # no search ran before: the import indexed the evidence itself
    assert result["correlations"] == 1
