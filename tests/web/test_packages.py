"""Evidence packages over the API between two served nodes: export, verify, import, receipt."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.web.conftest import PROBLEM, LiveServer, assert_problem, open_case


def pair(cbi: LiveServer, fbi: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register each node as the other's peer from its descriptor; return the descriptors."""
    with cbi.admin() as a, fbi.admin() as b:
        cbi_descriptor = a.get("/api/v1/node/descriptor").json()
        fbi_descriptor = b.get("/api/v1/node/descriptor").json()
        for client, descriptor in ((a, fbi_descriptor), (b, cbi_descriptor)):
            response = client.post("/api/v1/peers", json={"descriptor": descriptor})
            assert response.status_code in (201, 409), response.text
    return cbi_descriptor, fbi_descriptor


def test_package_round_trip(live: LiveServer, live_us: LiveServer) -> None:
    cbi_descriptor, _ = pair(live, live_us)
    evidence = b"call recordings " * 4096
    with live.admin() as cbi:
        case = open_case(cbi, "Tech-support fraud")
        url = f"/api/v1/cases/{case['reference']}/evidence"
        item = cbi.post(url, params={"filename": "calls.wav"}, content=evidence).json()["items"][0]

        exported = cbi.post(
            f"/api/v1/cases/{case['reference']}/packages",
            json={"to": "FBI", "purpose": "MLAT request 2026/114"},
        )
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"] == "application/x-tar"
        package_id = exported.headers["comity-package-id"]
        assert package_id in exported.headers["content-disposition"]
        package = exported.content

    signing_key = cbi_descriptor["keys"]["signing"]
    with live_us.admin() as fbi:
        verified = fbi.post(
            "/api/v1/packages/verify",
            params={"trust": signing_key, "filename": "p.tar"},
            content=package,
        )
        assert verified.status_code == 200, verified.text
        report = verified.json()
        assert report["ok"] is True and report["authenticated"] is True, report
        assert report["package_id"] == package_id and report["path"] == "p.tar"

        tampered = bytearray(package)
        position = bytes(package).find(b"call recordings")
        tampered[position] ^= 0x01
        broken = fbi.post(
            "/api/v1/packages/verify",
            files={"file": ("p.tar", bytes(tampered))},
            data={"trust": signing_key},
        )
        assert broken.status_code in (200, 422), broken.text
        if broken.status_code == 200:
            assert broken.json()["ok"] is False
        else:
            assert broken.headers["content-type"].startswith(PROBLEM)

        imported = fbi.post("/api/v1/packages/import", files={"file": ("p.tar", package)})
        assert imported.status_code == 201, imported.text
        result = imported.json()
        assert "receipt_path" not in result
        assert result["sender"]["code"] == "CBI"
        assert [i["sha256"] for i in result["items"]] == [hashlib.sha256(evidence).hexdigest()]
        receipt = result["receipt"]
        local = result["items"][0]["local_exhibit"]
        custody = fbi.get(f"/api/v1/evidence/{local}/custody").json()
        assert custody["item"]["hashes"]["sha256"] == item["hashes"]["sha256"]

    with live.admin() as cbi:
        recorded = cbi.post("/api/v1/packages/receipts", json=receipt)
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["package_id"] == package_id
        actions = [
            e["action"] for e in cbi.get(f"/api/v1/evidence/{item['id']}/custody").json()["events"]
        ]
        assert actions[0] == "acquired" and "transferred" in actions
        again = cbi.post("/api/v1/packages/receipts", json=receipt)
        assert again.status_code >= 400 and again.headers["content-type"].startswith(PROBLEM)


def test_sealed_package_unsealed_by_its_recipient(live: LiveServer, live_us: LiveServer) -> None:
    cbi_descriptor, _ = pair(live, live_us)
    with live.admin() as cbi:
        case = open_case(cbi, "Sealed transfer")
        cbi.post(
            f"/api/v1/cases/{case['reference']}/evidence",
            params={"filename": "ledger.xlsx"},
            content=b"mule accounts" * 100,
        ).raise_for_status()
        sealed = cbi.post(
            f"/api/v1/cases/{case['reference']}/packages", json={"to": "FBI", "encrypt": True}
        )
        assert sealed.status_code == 200, sealed.text
        assert sealed.content.startswith(b"CMTYSEAL")
    with live_us.admin() as fbi:
        plain = fbi.post("/api/v1/packages/unseal", content=sealed.content)
        assert plain.status_code == 200, plain.text
        assert plain.headers["content-type"] == "application/x-tar"
        verified = fbi.post(
            "/api/v1/packages/verify",
            params={"trust": cbi_descriptor["keys"]["signing"]},
            content=plain.content,
        )
        assert verified.json()["ok"] is True, verified.text
        # A sealed package cannot be verified before it is unsealed.
        refused = fbi.post("/api/v1/packages/verify", content=sealed.content)
        assert refused.status_code in (400, 422) and refused.headers["content-type"].startswith(
            PROBLEM
        )


def test_package_errors_are_problems(live: LiveServer) -> None:
    with live.admin() as cbi:
        case = open_case(cbi, "Errors")
        no_peer = cbi.post(f"/api/v1/cases/{case['reference']}/packages", json={"to": "NOPE"})
        assert_problem(no_peer, 404)
        missing = cbi.post(f"/api/v1/cases/{case['reference']}/packages", json={})
        assert_problem(missing, 422)
        garbage = cbi.post("/api/v1/packages/verify", content=b"not a package at all")
        assert garbage.status_code in (400, 422)
        assert garbage.headers["content-type"].startswith(PROBLEM)
        bad_receipt = cbi.post("/api/v1/packages/receipts", json={"receipt": "forged"})
        assert bad_receipt.status_code in (400, 422), bad_receipt.text
        empty = cbi.post("/api/v1/packages/receipts", content=b"")
        assert_problem(empty, 400)
    with httpx.Client(base_url=live.url) as anonymous:
        assert_problem(anonymous.post("/api/v1/packages/import", content=b"x"), 401)


def test_court_certificates(live: LiveServer) -> None:
    with live.admin() as cbi:
        kinds = cbi.get("/api/v1/certificates/kinds").json()["kinds"]
        laws = {k["law"] for k in kinds}
        assert "IN-BSA-63" in laws
        case = open_case(cbi, "Certificates")
        item = cbi.post(
            f"/api/v1/cases/{case['reference']}/evidence",
            params={"filename": "server.log"},
            content=b"GET /login 200\n" * 100,
        ).json()["items"][0]
        markdown = cbi.post(
            f"/api/v1/evidence/{item['exhibit']}/certificate",
            json={"law": "IN-BSA-63", "format": "markdown", "verify_content": True},
        )
        assert markdown.status_code == 200, markdown.text
        assert markdown.headers["content-type"].startswith("text/markdown")
        assert item["hashes"]["sha256"] in markdown.text
        assert (
            markdown.headers["comity-document-sha256"]
            == hashlib.sha256(markdown.content).hexdigest()
        )
        pdf = cbi.post(f"/api/v1/evidence/{item['id']}/certificate", json={"law": sorted(laws)[-1]})
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        events = cbi.get(f"/api/v1/evidence/{item['id']}/custody").json()["events"]
        assert [e["action"] for e in events] == ["acquired", "accessed", "accessed"]
        unknown = cbi.post(f"/api/v1/evidence/{item['id']}/certificate", json={"law": "XX"})
        assert_problem(unknown, 400, "invalid-input")
        bad_part = cbi.post(
            f"/api/v1/evidence/{item['id']}/certificate",
            json={"law": "IN-BSA-63", "part": "Z"},
        )
        assert_problem(bad_part, 400)
