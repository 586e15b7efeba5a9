"""The intelligence routes over real HTTP: collections, agreements, import, export, extract."""

from __future__ import annotations

import json
import uuid

from tests.web.conftest import LiveServer, assert_problem


def _indicator(tlp_ref: str | None = None) -> dict[str, object]:
    obj: dict[str, object] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T00:00:00Z",
        "modified": "2026-11-01T00:00:00Z",
        "pattern": "[domain-name:value = 'kyc-update-portal.in']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
    }
    if tlp_ref:
        obj["object_marking_refs"] = [tlp_ref]
    return obj


def test_collections_agreements_import_and_export(live: LiveServer) -> None:
    name = f"api-{uuid.uuid4().hex[:8]}"
    with live.admin() as client:
        created = client.post("/api/v1/intel/collections", json={"name": name, "title": "T"})
        assert created.status_code == 201, created.text
        assert_problem(client.post("/api/v1/intel/collections", json={"name": name}), 409)
        assert_problem(client.post("/api/v1/intel/collections", json={"name": "a/b"}), 400)
        peer = client.post(
            "/api/v1/peers",
            json={"code": f"P{uuid.uuid4().hex[:6]}".upper(), "agency": "Peer", "country": "US"},
        )
        assert peer.status_code == 201, peer.text
        code = peer.json()["code"]
        agreement = client.put(
            f"/api/v1/intel/collections/{name}/agreements/{code}",
            json={"read": True, "max_tlp": "Amber"},
        )
        assert agreement.status_code == 200, agreement.text
        assert agreement.json()["max_tlp"] == "amber"
        red = client.put(
            f"/api/v1/intel/collections/{name}/agreements/{code}",
            json={"read": True, "max_tlp": "red"},
        )
        assert_problem(red, 400)
        shared = {
            "type": "bundle",
            "id": f"bundle--{uuid.uuid4()}",
            "objects": [_indicator() for _ in range(40)],
        }
        imported = client.post(
            f"/api/v1/intel/import?collection={name}&tlp=clear&source=advisory.json",
            content=json.dumps(shared),
            headers={"Content-Type": "application/json"},
        )
        assert imported.status_code == 201, imported.text
        assert imported.json()["added"] == 40
        secret = {
            "type": "bundle",
            "id": f"bundle--{uuid.uuid4()}",
            "objects": [_indicator()],
        }
        client.post(
            f"/api/v1/intel/import?collection={name}&tlp=red", content=json.dumps(secret)
        ).raise_for_status()
        broken = client.post(
            f"/api/v1/intel/import?collection={name}",
            content=b'{"type": "bundle", "objects": [{"type": "indicator", "id": 1}]}',
        )
        doc = assert_problem(broken, 400)
        assert "nothing was imported" in doc["detail"]
        exported = client.get(f"/api/v1/intel/export?collection={name}&for_peer={code}")
        assert exported.status_code == 200, exported.text
        ids = {o["id"] for o in exported.json()["objects"]}
        assert secret["objects"][0]["id"] not in ids  # type: ignore[index]
        withheld = json.loads(exported.headers["X-Comity-Withheld"])
        assert {"reason": "TLP:RED never leaves this node", "objects": 1} in withheld
        assert_problem(client.get("/api/v1/intel/export?format=csv"), 422)
        ended = client.delete(f"/api/v1/intel/collections/{name}/agreements/{code}")
        assert ended.json()["revoked"] is True
        listed = client.get("/api/v1/intel/collections").json()["collections"]
        assert any(c["name"] == name and c["objects"] == 41 for c in listed)


def test_extract_and_bad_bodies(live: LiveServer) -> None:
    with live.admin() as client:
        text = b"Call 0091 98765 43210 or pay refund.kyc@okaxis"
        found = client.post("/api/v1/intel/extract?country=US", content=text)
        assert found.status_code == 200, found.text
        values = {(o["type"], o["value"]) for o in found.json()["observables"]}
        assert ("phone-number", "+919876543210") in values
        assert ("upi-id", "refund.kyc@okaxis") in values
        assert_problem(client.post("/api/v1/intel/extract", content=b"\xff\xfe\xfa"), 400)
        deep = b"[" * 5000 + b"]" * 5000
        assert_problem(client.post("/api/v1/intel/import?format=stix", content=deep), 400)
        as_text = client.post("/api/v1/intel/import", content=deep)
        assert as_text.status_code == 201 and as_text.json()["added"] == 0
        assert "no identifiers" in as_text.json()["warnings"][0]
    with live.client() as anonymous:
        assert_problem(anonymous.get("/api/v1/intel/collections"), 401)
