"""The legal routes against a real uvicorn server over its own node and database.

Each route answers with the JSON the matching ``comity legal … --json`` command prints; bad
input is a 4xx RFC 9457 problem document naming what was wrong, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from comity.legal.facts import facts_for
from comity.legal.kb_services import MAX_FILE_BYTES, current_kb, export_kind
from comity.legal.knowledge import KnowledgeBase
from comity.legal.routes import advise
from comity.web.app import create_app
from tests.web.conftest import (
    LiveServer,
    assert_problem,
    open_case,
    running_node,
    start_server,
    stop_server,
)

API = "/api/v1/legal"
REF = "IN:IT Act 66D"
TEST_TEXT = "TEST TEXT of s.66D (written for the tests, not the statute)"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A CBI node served on 127.0.0.1 (request limit 64 KiB)."""
    with running_node(backend, tmp_path_factory.mktemp("legal")) as server:
        yield server


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def user(live: LiveServer, name: str, role: str) -> str:
    """Add a user with ``role`` (once per server); return its API token."""
    with live.admin() as admin:
        made = admin.post("/api/v1/users", json={"username": name, "roles": [role]})
        if made.status_code == 409:  # added by an earlier test: a new token
            made = admin.post(f"/api/v1/users/{name}/tokens")
    return str(ok(made, 201)["token"])


def offence_file(**changes: Any) -> dict[str, Any]:
    """An ``offences`` file with the package's s.66D, its text added (test-only)."""
    entries = export_kind(KnowledgeBase.from_package(), "offences")["entries"]
    [entry] = [e for e in entries if e["ref"] == REF]
    fixed = {**entry, "text": TEST_TEXT, "status": "unverified", "source": "test", **changes}
    return {"kind": "offences", "entries": [{k: v for k, v in fixed.items() if v is not None}]}


def kb_import(client: httpx.Client, body: Any, **params: str) -> httpx.Response:
    """POST a knowledge-base file (a document, or raw bytes) to ``kb/import``."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"{API}/kb/import",
        params=params,
        content=content,
        headers=JSON,
    )


def test_facts_and_routes(live: LiveServer) -> None:
    with live.ctx.transaction() as session:
        kb = current_kb(session)
    with live.admin() as client:
        spec = ok(client.get("/openapi.json"))
        for path in ("facts/{country}", "route", "kb/import", "kb/revert", "cases/{case}/plan"):
            assert f"{API}/{path}" in spec["paths"], path
        view = ok(client.get(f"{API}/facts/IN", params={"with": "US"}))
        assert view == json.loads(json.dumps(facts_for(kb, "IN", "US")))
        assert view["with"]["code"] == "US"
        for fact in (f for s in view["sections"] for f in s["facts"]):
            assert fact["source"] and fact["as_of"] and fact["status"]
        assert ok(client.get(f"{API}/facts/in"))["country"] == {"code": "IN", "name": "India"}

        query = {"from": "IN", "to": "US", "need": "content", "offence": REF}
        advice = ok(client.get(f"{API}/route", params=query))
        expected = advise(kb, "IN", "US", "content", offence=REF)
        assert advice == json.loads(json.dumps(expected))
        assert "mla-treaty" in [r["mechanism"] for r in advice["routes"]]

        bad = assert_problem(client.get(f"{API}/facts/XX"), 400, "invalid-input")
        assert bad["country"] == "XX" and "unknown country 'XX'" in bad["detail"]
        bad = assert_problem(client.get(f"{API}/facts/IN", params={"with": "Q"}), 400)
        assert bad["country"] == "Q"
        for name, value in (("need", "contnt"), ("holder", "bnk"), ("urgency", "now")):
            bad = assert_problem(
                client.get(f"{API}/route", params={**query, name: value}), 400, "invalid-input"
            )
            assert bad[name] == value and f"unknown {name} '{value}'" in bad["detail"]
        bad = assert_problem(client.get(f"{API}/route", params={**query, "to": "QQ"}), 400)
        assert bad["country"] == "QQ"
        assert_problem(client.get(f"{API}/route", params={"from": "IN", "to": "US"}), 422)
        assert_problem(client.get(f"{API}/route", params={**query, "need": "x" * 101}), 422)
        assert_problem(client.get(f"{API}/facts/%00"), 400)
        assert_problem(client.get(f"{API}/kb/export/statutes"), 400, "invalid-input")
    with live.client() as anonymous:
        assert_problem(anonymous.get(f"{API}/facts/IN"), 401)
        assert_problem(kb_import(anonymous, offence_file()), 401)


def test_a_legal_officer_changes_the_knowledge_base(live: LiveServer) -> None:
    officer = user(live, "m.sen", "legal_officer")
    investigator = user(live, "a.rao", "investigator")
    with live.client(officer) as client:
        start = len(ok(client.get(f"{API}/kb/versions")))
        exported = ok(client.get(f"{API}/kb/export/offences"))
        assert exported == export_kind(KnowledgeBase.from_package(), "offences")
        same = ok(kb_import(client, exported, name="offences.json", note="as exported"), 201)
        assert same["version"] == start + 1 and same["added"] == []
        assert same["file"] == "offences.json" and same["note"] == "as exported"
        assert ok(client.get(f"{API}/kb/export/offences")) == exported

        added = ok(kb_import(client, offence_file(), name="statutes.json"), 201)
        assert added["replaced"] == [REF] and added["by"] == "m.sen"
        facts = ok(client.get(f"{API}/facts/IN"))
        [fact] = [
            f for s in facts["sections"] for f in s["facts"] if f["fact"] == f"offences/{REF}"
        ]
        assert fact["origin"] == f"version {added['version']}" and fact["has_text"] is True
        unnamed = ok(kb_import(client, offence_file(text=TEST_TEXT + " (again)")), 201)
        assert unnamed["file"] == "request-body.json"
        assert ok(kb_import(client, offence_file(), name="../../etc/x.json"), 201)["file"] == (
            "x.json"
        )
        count = len(ok(client.get(f"{API}/kb/versions")))

        invalid = [
            (offence_file(source=""), "source"),
            (offence_file(as_of="2024-13-01"), "as_of"),
            (offence_file(country="XX"), "country"),
            (offence_file(status="maybe"), "status"),
            (offence_file(titel="typo"), "titel"),
        ]
        for document, field in invalid:
            bad = assert_problem(
                kb_import(client, document, name="bad.json"), 400, "knowledge-base-invalid"
            )
            assert (bad["file"], bad["entry"], bad["key"], bad["field"]) == (
                "bad.json",
                1,
                REF,
                field,
            )
            assert bad["detail"].startswith(f"bad.json: entry 1 ({REF}): field '{field}'")
        raw = [
            (b'{"kind": "offences", "entries": [', "not UTF-8 JSON"),
            (b'{"kind": "offences", "kind": "offences", "entries": []}', "appears twice"),
            (b'{"kind": "offences", "entries": [{"as_of": NaN}]}', "NaN"),
            (b"[" * 50_000 + b"]" * 10, "nested too deep"),
            (b"\xff\xfe", "not UTF-8 JSON"),
            (b"", "not UTF-8 JSON"),
            (b'["kind", "offences"]', "a JSON object with 'kind' and 'entries'"),
            (b'{"kind": "statutes", "entries": [{}]}', "'statutes' is not one of"),
        ]
        for body, message in raw:
            bad = assert_problem(kb_import(client, body, name="bad.json"), 400)
            assert bad["file"] == "bad.json" and message in bad["detail"], bad
        # A NUL in a JSON string is kept as written (PostgreSQL's json type takes it).
        ok(kb_import(client, offence_file(text="a\x00b"), name="nul.json"), 201)
        count += 1
        texts = ok(client.get(f"{API}/kb/export/offences"))["entries"]
        assert next(e["text"] for e in texts if e["ref"] == REF) == "a\x00b"
        assert_problem(kb_import(client, offence_file(), name="a\x01b.json"), 400)
        assert_problem(kb_import(client, offence_file(), note="\x00"), 400)
        assert_problem(kb_import(client, b"x" * (65 * 1024)), 413)
        assert len(ok(client.get(f"{API}/kb/versions"))) == count

        history = ok(client.get(f"{API}/kb/versions"))
        latest = history[0]["version"]
        undone = ok(client.post(f"{API}/kb/revert", json={"note": "test"}), 201)
        assert undone["reverts"] == latest and undone["action"] == "revert"
        again = assert_problem(
            client.post(f"{API}/kb/revert", json={"version": latest}), 400, "invalid-input"
        )
        assert again["version"] == latest and "not an active import" in again["detail"]
        assert_problem(client.post(f"{API}/kb/revert", json={"version": undone["version"]}), 400)
        for number in (9999, 2**40, 0):
            missing = assert_problem(
                client.post(f"{API}/kb/revert", json={"version": number}), 404, "not-found"
            )
            assert missing["version"] == number
        wrong: list[Any] = [{"version": "1"}, {"version": 1.5}, {"versoin": 1}, [1]]
        for document in wrong:
            assert_problem(client.post(f"{API}/kb/revert", json=document), 422)
        assert_problem(client.post(f"{API}/kb/revert", json={"note": "\x1b[2J"}), 400)
        assert len(ok(client.get(f"{API}/kb/versions"))) == count + 1

    with live.client(investigator) as client:
        denied = assert_problem(kb_import(client, offence_file()), 403, "permission-denied")
        assert "legal_officer" in denied["detail"]
        assert_problem(client.post(f"{API}/kb/revert", json={}), 403, "permission-denied")
        assert len(ok(client.get(f"{API}/kb/versions"))) == count + 1


def test_a_file_over_the_limit_is_refused(live: LiveServer) -> None:
    """With the node's request limit above the knowledge base's, the route's own bound holds."""
    officer = user(live, "m.sen", "legal_officer")
    settings = live.settings.model_copy(update={"max_request_bytes": 2 * MAX_FILE_BYTES})
    server, thread, url = start_server(create_app(settings, live.ctx))
    try:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {officer}"}, timeout=60.0
        ) as client:
            before = len(ok(client.get(f"{API}/kb/versions")))
            document = {**offence_file(), "note": "x" * MAX_FILE_BYTES}
            bad = assert_problem(
                kb_import(client, document, name="huge.json"), 400, "knowledge-base-invalid"
            )
            assert bad["file"] == "huge.json"
            assert f"more than the {MAX_FILE_BYTES} bytes" in bad["detail"]

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
                yield b'{"kind": "offences", "note": "'
                for _ in range(6):
                    yield b"x" * (1 << 20)
                yield b'"}'

            streamed = client.post(f"{API}/kb/import", content=chunks(), headers=JSON)
            assert f"more than the {MAX_FILE_BYTES}" in assert_problem(streamed, 400)["detail"]
            assert len(ok(client.get(f"{API}/kb/versions"))) == before
    finally:
        stop_server(server, thread)


def test_a_case_s_needs_and_plan(live: LiveServer) -> None:
    investigator = user(live, "a.rao", "investigator")
    outsider = user(live, "p.das", "investigator")
    with live.client(investigator) as client:
        case = open_case(client, "KYC phishing of SBI customers")["reference"]
        base = f"{API}/cases/{case}"
        empty = ok(client.get(f"{base}/plan"))
        assert "has no needs abroad" in empty["message"]
        need = ok(
            client.post(
                f"{base}/needs",
                json={
                    "need": "content",
                    "country": "us",
                    "holder_name": "Google LLC",
                    "description": "the account that sent the e-mails",
                    "identifiers": ["email-addr:kyc.update.sbi@gmail.com"],
                },
            ),
            201,
        )
        assert (need["number"], need["country"], need["holder"]) == (1, "US", "provider")
        assert need["identifiers"] == [{"type": "email-addr", "value": "kyc.update.sbi@gmail.com"}]
        assert [n["number"] for n in ok(client.get(f"{base}/needs"))] == [1]
        plan = ok(client.get(f"{base}/plan"))
        assert plan["case"] == case and plan["from"] == "IN" and plan["message"] is None
        [preserve] = plan["actions"]["preserve_today"]
        assert preserve["mechanism"] == "provider-preservation"
        [request] = plan["actions"]["start_requests"]
        assert request["mechanism"] == "mla-treaty" and request["country"] == "US"
        assert request["must_contain"]

        good = {"need": "content", "country": "US"}
        for change, member in (
            ({"need": "contnt"}, "need"),
            ({"country": "XX"}, "country"),
            ({"holder": "bnk"}, "holder"),
            ({"urgency": "now"}, "urgency"),
        ):
            bad = assert_problem(client.post(f"{base}/needs", json={**good, **change}), 400)
            assert bad[member] == next(iter(change.values()))
        own = assert_problem(client.post(f"{base}/needs", json={**good, "country": "IN"}), 400)
        assert "this node's own country" in own["detail"]
        assert_problem(
            client.post(f"{base}/needs", json={**good, "identifiers": ["nonsense"]}), 400
        )
        assert_problem(client.post(f"{base}/needs", json={**good, "holder_nmae": "x"}), 422)
        assert_problem(client.post(f"{base}/needs", json={**good, "holder_name": "a\x00"}), 400)
        assert_problem(client.post(f"{base}/needs", json={"need": "content"}), 422)
        assert_problem(client.post(f"{base}/needs", content=b"{", headers=JSON), 400)
        missing = assert_problem(client.get(f"{API}/cases/CBI-1999-0001/plan"), 404, "not-found")
        assert "CBI-1999-0001" in missing["detail"]
        assert_problem(client.post(f"{API}/cases/CBI-1999-0001/needs", json=good), 404)
        assert len(ok(client.get(f"{base}/needs"))) == 1
    with live.client(outsider) as client:
        assert_problem(client.get(f"{base}/plan"), 403, "permission-denied")
        assert_problem(client.get(f"{base}/needs"), 403, "permission-denied")
        assert_problem(client.post(f"{base}/needs", json=good), 403, "permission-denied")
