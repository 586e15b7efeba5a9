"""The HTTP API against a real uvicorn server: auth, problems, cases, evidence, custody, audit."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

import httpx

from comity.core.keys import NodeKeys
from comity.identity.services import user_summary
from tests.web.conftest import LIMIT, PROBLEM, LiveServer, assert_problem, open_case


def new_user(live: LiveServer, roles: list[str], password: str | None = None) -> dict[str, Any]:
    """Create a user over the API; return its summary with its token."""
    body: dict[str, Any] = {"username": f"u{uuid.uuid4().hex[:10]}", "roles": roles}
    if password:
        body["password"] = password
    with live.admin() as admin:
        response = admin.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


def audit_entries(live: LiveServer, case_id: str) -> list[dict[str, Any]]:
    """The audit entries about a case, read as the administrator."""
    with live.admin() as admin:
        response = admin.get("/api/v1/audit", params={"case": case_id})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_openapi_is_served_without_credentials(live: LiveServer) -> None:
    with live.client() as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/node",
        "/api/v1/users",
        "/api/v1/audit/verify",
        "/api/v1/peers/{code}",
        "/api/v1/cases/{case}/members",
        "/api/v1/cases/{case}/evidence",
        "/api/v1/custody/verify",
    ):
        assert path in spec["paths"], path
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "basicAuth"}
    upload = spec["paths"]["/api/v1/cases/{case}/evidence"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_bearer_token_authenticates(live: LiveServer) -> None:
    with live.admin() as admin:
        response = admin.get("/api/v1/node")
    assert response.status_code == 200
    assert response.json()["agency"] == {
        "code": "CBI",
        "name": "Central Bureau of Investigation",
        "country": "IN",
    }
    assert response.headers["cache-control"] == "no-store"


def test_missing_or_wrong_credentials_get_a_401_problem(live: LiveServer) -> None:
    with live.client("not-a-real-token") as client:
        wrong = client.get("/api/v1/cases")
    doc = assert_problem(wrong, 401, "not-authenticated")
    assert "not-a-real-token" not in wrong.text
    challenge = wrong.headers["www-authenticate"]
    assert "Bearer" in challenge and "Basic" in challenge
    with live.client() as client:
        assert_problem(client.get("/api/v1/cases"), 401)
        garbled = client.get("/api/v1/node", headers={"Authorization": "Basic !!!notbase64"})
        assert_problem(garbled, 401)
        other = client.get("/api/v1/node", headers={"Authorization": "Digest abc"})
        assert_problem(other, 401)
    assert doc["detail"]


def test_peer_credentials_work_with_basic_auth(live: LiveServer) -> None:
    keys = NodeKeys.generate()
    code = f"P{uuid.uuid4().hex[:6].upper()}"
    with live.admin() as admin:
        response = admin.post(
            "/api/v1/peers",
            json={
                "code": code,
                "agency": "Federal Bureau of Investigation",
                "country": "us",
                "signing_key": keys.signing_public,
                "encryption_key": keys.encryption_public,
            },
        )
        assert response.status_code == 201, response.text
        added = response.json()
        assert added["fingerprint"] == keys.signing_fingerprint
        shown = admin.get(f"/api/v1/peers/{code}").json()
        assert shown["country"] == "US" and len(shown["keys"]) == 2
        assert code in [p["code"] for p in admin.get("/api/v1/peers").json()["peers"]]
    creds = added["credentials"]
    with live.client(auth=(creds["username"], creds["password"])) as peer:
        node = peer.get("/api/v1/node")
        assert node.status_code == 200, node.text
        assert node.json()["agency"]["code"] == "CBI"
        # A peer's service account holds no investigator role.
        assert_problem(
            peer.post("/api/v1/cases", json={"title": "x", "jurisdictions": ["IN"]}), 403
        )
    with live.client(auth=(creds["username"], "wrong password")) as peer:
        assert_problem(peer.get("/api/v1/node"), 401)
    with live.client(creds["token"]) as peer:
        assert peer.get("/api/v1/node").status_code == 200


def test_peer_from_descriptor_and_key_rotation(live: LiveServer) -> None:
    with live.admin() as admin:
        descriptor = admin.get("/api/v1/node/descriptor").json()
    # This node's own descriptor is well-formed and signed, but CBI is its own agency.
    with live.admin() as admin:
        again = admin.post("/api/v1/peers", json={"descriptor": descriptor})
        assert_problem(again, 409, "already-exists")
        forged = {**descriptor, "agency": {**descriptor["agency"], "name": "Someone Else"}}
        assert_problem(admin.post("/api/v1/peers", json={"descriptor": forged}), 422)
        keys, new_keys = NodeKeys.generate(), NodeKeys.generate()
        code = f"R{uuid.uuid4().hex[:6].upper()}"
        admin.post(
            "/api/v1/peers",
            json={
                "code": code,
                "agency": "HSI",
                "country": "US",
                "signing_key": keys.signing_public,
            },
        ).raise_for_status()
        rotated = admin.post(
            f"/api/v1/peers/{code}/keys/rotate", json={"key": new_keys.signing_public}
        )
        assert rotated.status_code == 200, rotated.text
        statuses = {k["fingerprint"]: k["status"] for k in rotated.json()["keys"]}
        assert statuses[keys.signing_fingerprint] == "retired"
        assert statuses[new_keys.signing_fingerprint] == "active"
        revoked = admin.post(
            f"/api/v1/peers/{code}/keys/{keys.signing_fingerprint[:16]}/revoke",
            json={"reason": "compromised"},
        )
        assert revoked.status_code == 200, revoked.text
        statuses = {k["fingerprint"]: k["status"] for k in revoked.json()["keys"]}
        assert statuses[keys.signing_fingerprint] == "revoked"
        assert_problem(admin.get("/api/v1/peers/NOSUCHPEER"), 404, "not-found")


def test_case_evidence_custody_flow(live: LiveServer) -> None:
    raw = b"IMEI 356938035643809\n" * 1000
    second, third = b"chat export\n" * 50, b"\x00\x01binary\xff" * 300
    with live.admin() as admin:
        case = open_case(admin)
        ref = case["reference"]
        assert case["jurisdictions"] == ["IN", "US"]
        assert admin.get(f"/api/v1/cases/{ref}").json()["id"] == case["id"]
        assert ref in [c["reference"] for c in admin.get("/api/v1/cases").json()["cases"]]

        one = admin.post(
            f"/api/v1/cases/{ref}/evidence",
            params={
                "filename": "phone.img",
                "examiner": "R. Iyer",
                "device_type": "mobile",
                "md5": "true",
                "expected_sha256": hashlib.sha256(raw).hexdigest(),
            },
            content=raw,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert one.status_code == 201, one.text
        [item] = one.json()["items"]
        assert item["hashes"]["sha256"] == hashlib.sha256(raw).hexdigest()
        assert item["hashes"]["md5"] == hashlib.md5(raw).hexdigest()
        assert item["size"] == len(raw) and item["name"] == "phone.img"
        assert item["acquisition"]["examiner"] == "R. Iyer"
        assert item["acquisition"]["device"] == {"type": "mobile"}

        many = admin.post(
            f"/api/v1/cases/{case['id']}/evidence",
            files=[("file", ("chats.txt", second)), ("file", ("dump.bin", third))],
            data={
                "place": "Noida",
                "tool": "FTK Imager",
                "expected_sha256": f"dump.bin={hashlib.sha256(third).hexdigest()}",
            },
        )
        assert many.status_code == 201, many.text
        items = {i["name"]: i for i in many.json()["items"]}
        assert items["chats.txt"]["hashes"]["sha256"] == hashlib.sha256(second).hexdigest()
        assert items["dump.bin"]["hashes"]["sha256"] == hashlib.sha256(third).hexdigest()
        assert items["dump.bin"]["acquisition"]["tool"] == "FTK Imager"

        listing = f"{hashlib.sha256(second).hexdigest()}  notes.txt\n# comment\n"
        wrong_list = admin.post(
            f"/api/v1/cases/{ref}/evidence",
            files={"f": ("notes.txt", second + b"altered")},
            data={"hash_list": listing},
        )
        assert_problem(wrong_list, 422, "hash-mismatch")

        listed = admin.get(f"/api/v1/cases/{ref}/evidence").json()["items"]
        assert [i["name"] for i in listed] == ["phone.img", "chats.txt", "dump.bin"]
        exhibit = item["exhibit"]
        assert "/" in exhibit
        assert admin.get(f"/api/v1/evidence/{exhibit}").json()["id"] == item["id"]
        assert admin.get(f"/api/v1/evidence/{item['id']}").json()["exhibit"] == exhibit

        log = admin.get(f"/api/v1/evidence/{exhibit}/custody")
        assert log.status_code == 200, log.text
        events = log.json()["events"]
        assert [e["action"] for e in events] == ["acquired"]
        assert events[0]["item_sha256"] == item["hashes"]["sha256"]
        assert events[0]["actor"]["username"] == "admin"

        report = admin.get("/api/v1/custody/verify", params={"case": ref}).json()
        assert report["ok"] is True and report["items"] == 3, report
        everything = admin.get("/api/v1/custody/verify").json()
        assert everything["ok"] is True and everything["items"] >= 3

    # No upload folder is left behind under the node home.
    uploads = live.settings.home / "tmp" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_case_members_and_status(live: LiveServer) -> None:
    investigator = new_user(live, ["investigator"])
    with live.admin() as admin:
        case = open_case(admin, "Mule accounts")
        with live.client(investigator["token"]) as inv:
            assert_problem(inv.get(f"/api/v1/cases/{case['reference']}"), 403)
        added = admin.post(
            f"/api/v1/cases/{case['reference']}/members",
            json={"username": investigator["username"], "role": "investigator"},
        )
        assert added.status_code == 201, added.text
        assert investigator["username"] in [m["username"] for m in added.json()["members"]]
        with live.client(investigator["token"]) as inv:
            assert inv.get(f"/api/v1/cases/{case['reference']}").status_code == 200
        closed = admin.post(f"/api/v1/cases/{case['id']}/status", json={"status": "closed"})
        assert closed.json()["status"] == "closed"
        bad = admin.post(f"/api/v1/cases/{case['id']}/status", json={"status": "archived"})
        assert_problem(bad, 400, "invalid-input")
        refused = admin.post(
            f"/api/v1/cases/{case['id']}/evidence",
            params={"filename": "late.bin"},
            content=b"too late",
        )
        assert_problem(refused, 400)


def test_users_and_tokens(live: LiveServer) -> None:
    with live.admin() as admin:
        user = new_user(live, ["analyst"], password="a long passphrase 42")
        assert user["roles"] == ["analyst"] and user["token"]
        usernames = [u["username"] for u in admin.get("/api/v1/users").json()["users"]]
        assert user["username"] in usernames
        issued = admin.post(f"/api/v1/users/{user['username']}/tokens")
        assert issued.status_code == 201
        with live.client(issued.json()["token"]) as client:
            assert client.get("/api/v1/node").status_code == 200
        with live.client(auth=(user["username"], "a long passphrase 42")) as client:
            assert client.get("/api/v1/node").status_code == 200
        duplicate = admin.post(
            "/api/v1/users", json={"username": user["username"], "roles": ["analyst"]}
        )
        assert_problem(duplicate, 409, "already-exists")
        unknown_role = admin.post("/api/v1/users", json={"username": "zed", "roles": ["king"]})
        assert_problem(unknown_role, 400, "invalid-input")


def test_user_without_the_role_gets_403(live: LiveServer) -> None:
    analyst = new_user(live, ["analyst"])
    with live.admin() as admin:
        case = open_case(admin, "Admin's case")
    with live.client(analyst["token"]) as client:
        doc = assert_problem(
            client.post("/api/v1/cases", json={"title": "t", "jurisdictions": ["IN"]}),
            403,
            "permission-denied",
        )
        assert doc["user"] == analyst["username"] and "investigator" in doc["roles"]
        assert_problem(client.get(f"/api/v1/cases/{case['reference']}"), 403)
        assert_problem(client.get(f"/api/v1/cases/{case['reference']}/evidence"), 403)
        assert_problem(client.get("/api/v1/audit"), 403)
        assert_problem(client.get("/api/v1/users"), 403)
        assert_problem(
            client.post("/api/v1/users", json={"username": "x", "roles": ["analyst"]}), 403
        )
        upload = client.post(
            f"/api/v1/cases/{case['reference']}/evidence",
            params={"filename": "x.bin"},
            content=b"x",
        )
        assert_problem(upload, 403)
        assert client.get("/api/v1/cases").json()["cases"] == []


def test_bad_input_gives_problem_documents(live: LiveServer) -> None:
    with live.admin() as admin:
        malformed = admin.post(
            "/api/v1/cases",
            content=b'{"title": "x", "jurisdictions": [',
            headers={"Content-Type": "application/json"},
        )
        assert_problem(malformed, 400, "malformed-body")

        missing = admin.post("/api/v1/cases", json={"summary": "no title"})
        doc = assert_problem(missing, 422, "validation-error")
        assert {tuple(e["loc"]) for e in doc["errors"]} >= {
            ("body", "title"),
            ("body", "jurisdictions"),
        }

        country = admin.post("/api/v1/cases", json={"title": "x", "jurisdictions": ["India"]})
        doc = assert_problem(country, 400, "invalid-input")
        assert doc["country"] == "India"

        assert_problem(admin.get("/api/v1/cases/NO-SUCH-CASE"), 404, "not-found")
        assert_problem(admin.get("/api/v1/cases/NO-SUCH-CASE/evidence"), 404)
        upload = admin.post(
            "/api/v1/cases/NO-SUCH-CASE/evidence", params={"filename": "a.bin"}, content=b"abc"
        )
        assert_problem(upload, 404, "not-found")
        assert_problem(admin.get("/api/v1/evidence/not-an-id"), 400)
        assert_problem(admin.get(f"/api/v1/evidence/{uuid.uuid4()}"), 404)
        assert_problem(admin.get("/api/v1/audit", params={"limit": "many"}), 422)
        assert_problem(admin.get("/api/v1/audit", params={"case": "nope"}), 400)
        assert_problem(admin.get("/api/v1/no/such/route"), 404)
        assert_problem(admin.delete("/api/v1/cases"), 405)
        not_object = admin.post("/api/v1/cases", json=["a", "list"])
        assert_problem(not_object, 422)
        extra = admin.post(
            "/api/v1/cases", json={"title": "x", "jurisdictions": ["IN"], "secret_field": 1}
        )
        assert_problem(extra, 422)
        weak = admin.post(
            "/api/v1/users", json={"username": "weak", "roles": ["analyst"], "password": "hunter2"}
        )
        assert "hunter2" not in assert_problem(weak, 422).__repr__()


def test_bad_upload_input(live: LiveServer) -> None:
    data = b"seized laptop image" * 100
    with live.admin() as admin:
        case = open_case(admin, "Uploads")
        url = f"/api/v1/cases/{case['reference']}/evidence"
        wrong = admin.post(
            url, params={"filename": "disk.img", "expected_sha256": "0" * 64}, content=data
        )
        doc = assert_problem(wrong, 422, "hash-mismatch")
        assert doc["actual"] == hashlib.sha256(data).hexdigest() and doc["expected"] == "0" * 64
        digest = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        header = admin.post(
            url,
            params={"filename": "disk.img"},
            content=data,
            headers={"Repr-Digest": f"sha-256=:{digest}:"},
        )
        assert_problem(header, 422, "hash-mismatch")
        multi = admin.post(
            url,
            files=[("file", ("a.bin", b"a")), ("file", ("b.bin", b"b"))],
            data={"expected_sha256": hashlib.sha256(b"a").hexdigest()},
        )
        assert_problem(multi, 400)
        assert admin.get(f"{url}").json()["items"] == []

        assert_problem(admin.post(url, content=data), 400, "upload-refused")
        assert_problem(admin.post(url, params={"filename": ".."}, content=data), 400)
        assert_problem(
            admin.post(url, params={"filename": "a", "device_type": "toaster"}, content=b"x"), 400
        )
        assert_problem(
            admin.post(url, params={"filename": "a", "seized_at": "yesterday"}, content=b"x"), 400
        )
        assert_problem(
            admin.post(url, params={"filename": "a", "expected_sha256": "abc"}, content=b"x"), 400
        )
        assert_problem(
            admin.post(url, params={"filename": "a", "colour": "x" * 500}, content=b"x"), 422
        )
        assert_problem(
            admin.post(url, params={"filename": "a", "nonsense": "1"}, content=b"x"), 422
        )
        duplicate = admin.post(url, files=[("file", ("a.bin", b"a")), ("file", ("a.bin", b"b"))])
        assert_problem(duplicate, 400, "upload-refused")
        no_file = admin.post(url, files={"examiner": (None, "x")})
        assert_problem(no_file, 400, "upload-refused")
        bad_field = admin.post(url, files={"f": ("x.bin", b"x")}, data={"md5": "perhaps"})
        assert_problem(bad_field, 422)
        truncated = admin.post(
            url,
            content=b"--XyZ\r\nContent-Disposition: form-data; "
            b'name="f"; filename="t.bin"\r\n\r\nabc',
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
        assert truncated.status_code in (400, 422), truncated.text
        assert truncated.headers["content-type"].startswith(PROBLEM)
        assert admin.get(url).json()["items"] == []


def test_oversized_bodies_are_refused_but_uploads_stream(live: LiveServer) -> None:
    big = {"title": "x" * (LIMIT + 10), "jurisdictions": ["IN"]}
    with live.admin() as admin:
        declared = admin.post("/api/v1/cases", json=big)
        doc = assert_problem(declared, 413)
        assert str(LIMIT) in doc["detail"]

        def chunks() -> Any:
            body = json.dumps(big).encode()
            for start in range(0, len(body), 8192):
                yield body[start : start + 8192]

    with live.admin() as admin:
        chunked = admin.post(
            "/api/v1/cases", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_problem(chunked, 413)

    payload = bytes(range(256)) * (LIMIT // 256 * 4 + 7)
    assert len(payload) > LIMIT
    with live.admin() as admin:
        case = open_case(admin, "Large upload")
        url = f"/api/v1/cases/{case['reference']}/evidence"
        raw = admin.post(url, params={"filename": "big.bin"}, content=payload)
        assert raw.status_code == 201, raw.text
        assert raw.json()["items"][0]["hashes"]["sha256"] == hashlib.sha256(payload).hexdigest()
        form = admin.post(url, files={"f": ("big2.bin", payload + b"!")})
        assert form.status_code == 201, form.text
        sha = form.json()["items"][0]["hashes"]["sha256"]
        assert sha == hashlib.sha256(payload + b"!").hexdigest()
        streamed = admin.post(url, params={"filename": "big3.bin"}, content=iter([payload, b"?"]))
        assert streamed.status_code == 201, streamed.text
        assert streamed.json()["items"][0]["size"] == len(payload) + 1


def test_no_cors_headers(live: LiveServer) -> None:
    with live.admin() as admin:
        response = admin.get("/api/v1/node", headers={"Origin": "https://elsewhere.example"})
        preflight = admin.options(
            "/api/v1/cases",
            headers={
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "POST",
            },
        )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400


def test_audit_records_reads_over_the_api(live: LiveServer) -> None:
    supervisor = new_user(live, ["supervisor"])
    with live.admin() as admin:
        case = open_case(admin, "Audited")
        ref = case["reference"]
        upload = admin.post(
            f"/api/v1/cases/{ref}/evidence", params={"filename": "a.txt"}, content=b"abc"
        )
        item = upload.json()["items"][0]
    with live.client(supervisor["token"]) as client:
        assert client.get(f"/api/v1/cases/{ref}").status_code == 200
        assert client.get(f"/api/v1/cases/{ref}/evidence").status_code == 200
        assert client.get(f"/api/v1/evidence/{item['id']}").status_code == 200
        assert client.get(f"/api/v1/evidence/{item['exhibit']}/custody").status_code == 200
    entries = audit_entries(live, case["id"])
    by_supervisor = [
        (e["action"], (e.get("details") or {}).get("purpose"))
        for e in entries
        if e["actor"] == supervisor["username"]
    ]
    assert ("case.read", "view") in by_supervisor
    assert ("case.read", "list evidence") in by_supervisor
    assert ("evidence.read", "show") in by_supervisor
    assert ("evidence.read", "custody log") in by_supervisor
    assert ("evidence.add", None) in [(e["action"], None) for e in entries if e["actor"] == "admin"]
    with live.admin() as admin:
        verify = admin.get("/api/v1/audit/verify").json()
        assert verify["ok"] is True and verify["count"] >= len(entries)
        export = admin.get("/api/v1/audit/export")
        assert export.status_code == 200
        lines = export.text.strip().splitlines()
        assert all("hash" in json.loads(line) for line in lines)


def test_summary_helpers_match_cli_json(live: LiveServer) -> None:
    """The API returns what the CLI prints with --json: same service summaries."""
    from comity.identity.services import list_users

    with live.ctx.transaction() as session:
        from comity.identity.services import resolve_actor

        expected = [user_summary(u) for u in list_users(session, resolve_actor(session, None))]
    with live.admin() as admin:
        got = admin.get("/api/v1/users").json()["users"]
    assert got == expected


def test_concurrent_uploads_to_one_case(live: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with live.admin() as admin:
        case = open_case(admin, "Concurrent uploads")
    url = f"/api/v1/cases/{case['reference']}/evidence"
    count = 24
    payloads = [bytes([n]) * (20_000 + n) for n in range(count)]

    def upload(n: int) -> httpx.Response:
        with live.admin() as client:
            return client.post(url, params={"filename": f"f{n}.bin"}, content=payloads[n])

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(upload, range(count)))
    for response in responses:
        assert response.status_code == 201, response.text
    with live.admin() as admin:
        items = admin.get(url).json()["items"]
        assert len({i["exhibit"] for i in items}) == count
        assert {i["hashes"]["sha256"] for i in items} == {
            hashlib.sha256(p).hexdigest() for p in payloads
        }
        assert admin.get("/api/v1/custody/verify", params={"case": case["id"]}).json()["ok"]


def test_concurrent_case_creation_numbers_each_case_once(live: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(n: int) -> httpx.Response:
        with live.admin() as client:
            return client.post(
                "/api/v1/cases", json={"title": f"parallel {n}", "jurisdictions": ["IN"]}
            )

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(create, range(30)))
    for response in responses:
        assert response.status_code == 201, response.text
    references = [r.json()["reference"] for r in responses]
    assert len(set(references)) == 30
