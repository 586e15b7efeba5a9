"""The operations routes against a real uvicorn server over its own node and database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.operations.conftest import FIELDS, ROWS
from tests.web.conftest import LiveServer, assert_problem, running_node


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A CBI node served on 127.0.0.1."""
    with running_node(backend, tmp_path_factory.mktemp("operations")) as server:
        yield server


def complaints_csv() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows([{k: row.get(k, "") for k in FIELDS} for row in ROWS])
    return out.getvalue().encode()


def linked_network(client: httpx.Client) -> str:
    """Ingest the complaints, link them, register the FBI; return the top network's id."""
    ingested = client.post("/api/v1/link/ingest?filename=portal.csv", content=complaints_csv())
    assert ingested.status_code == 201, ingested.text
    assert client.post("/api/v1/link/run").status_code == 200
    peer = client.post(
        "/api/v1/peers",
        json={"code": "FBI", "agency": "Federal Bureau of Investigation", "country": "US"},
    )
    assert peer.status_code == 201, peer.text
    network: str = client.get("/api/v1/link/networks").json()["networks"][0]["id"]
    return network


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_an_operation_over_http(live: LiveServer) -> None:
    with live.admin() as client:
        network = linked_network(client)
        spec = ok(client.get("/openapi.json"))
        for path in (
            "/api/v1/operations",
            "/api/v1/operations/stats",
            "/api/v1/operations/{operation}/outcomes",
        ):
            assert path in spec["paths"], path
        op = ok(
            client.post(
                "/api/v1/operations",
                json={
                    "network": network,
                    "title": "Operation Chakra",
                    "agencies": ["FBI=America/New_York"],
                    "planned_at": "2026-03-13T20:30",
                    "zone": "FBI",
                },
            ),
            201,
        )
        oid = op["id"]
        assert op["planned_at"] == "2026-03-14T00:30:00Z"
        assert [p["abbreviation"] for p in op["planned_local"]] == ["IST", "EDT"]
        base = f"/api/v1/operations/{oid}"
        target = ok(
            client.post(
                f"{base}/targets",
                json={
                    "kind": "premises",
                    "jurisdiction": "US",
                    "address": "12 Main St",
                    "city": "Newark",
                },
            ),
            201,
        )
        assert target["jurisdiction"] == "US"
        task = ok(client.post(f"{base}/tasks", json={"title": "Warrant", "agency": "FBI"}), 201)
        assert ok(client.post(f"{base}/tasks/{task['number']}/done"))["done"] is True
        ok(client.post(f"{base}/status", json={"status": "active"}))
        ok(client.post(f"{base}/outcomes", json={"kind": "arrests", "count": 3}), 201)
        funds = ok(
            client.post(
                f"{base}/outcomes",
                json={
                    "kind": "funds_recovered",
                    "amount": "8,189",
                    "currency": "USD",
                    "agency": "FBI",
                },
            ),
            201,
        )
        assert funds["amount"] == "8189.00" and funds["currency"] == "USD"
        ok(client.post(f"{base}/notes", json={"text": "FBI confirms the arrests"}), 201)
        ok(
            client.post(
                f"{base}/status", json={"status": "executed", "at": "2026-03-14T07:00+05:30"}
            )
        )
        shown = ok(client.get(base))
        assert shown["status"] == "executed" and shown["totals"]["arrests"] == 3
        assert (
            ok(client.get("/api/v1/operations", params={"status": "executed"}))["operations"][0][
                "id"
            ]
            == oid
        )
        stats = ok(client.get("/api/v1/operations/stats", params={"year": 2026, "agency": "FBI"}))
        assert stats["summary"] == "1 joint operation, 3 arrests in 2026"
        assert stats["outcomes"]["funds_recovered"] == {"USD": "8189.00"}

        # Errors are problem documents, from the one handler.
        assert_problem(client.get("/api/v1/operations/OP-1999-0001"), 404, "not-found")
        assert_problem(
            client.post("/api/v1/operations", json={"network": "N-999999"}), 404, "not-found"
        )
        wrong = assert_problem(
            client.post(f"{base}/status", json={"status": "planned"}), 409, "invalid-transition"
        )
        assert wrong["allowed"] == ["closed"] and wrong["current"] == "executed"
        bad_currency = assert_problem(
            client.post(
                f"{base}/outcomes", json={"kind": "funds_frozen", "amount": "5", "currency": "ZZZ"}
            ),
            400,
            "invalid-input",
        )
        assert bad_currency["currency"] == "ZZZ"
        assert_problem(
            client.post(
                f"{base}/outcomes", json={"kind": "funds_frozen", "amount": 5.5, "currency": "INR"}
            ),
            422,
        )
        assert_problem(
            client.post(f"{base}/outcomes", json={"kind": "arrests", "count": 1, "x": 1}), 422
        )
        assert_problem(client.post(f"{base}/tasks/99/done"), 404)
        assert_problem(
            client.post(f"{base}/outcomes", json={"kind": "arrests", "count": True}), 422
        )
        assert_problem(client.get("/api/v1/operations/OP%00-1"), 404)
        after = ok(client.get(base))
        assert len(after["outcomes"]) == 2
    with live.client() as anonymous:
        assert_problem(anonymous.get("/api/v1/operations"), 401)
    with live.admin() as admin:
        lawyer = ok(
            admin.post("/api/v1/users", json={"username": "l.sen", "roles": ["legal_officer"]}), 201
        )
    with live.client(lawyer["token"]) as client:
        assert_problem(client.get("/api/v1/operations/stats"), 403, "permission-denied")
