"""The linkage routes over real HTTP: upload a complaint file, link, list, explain."""

from __future__ import annotations

import uuid

from tests.web.conftest import LiveServer, assert_problem

HEADER = "complaint_id,country,received_on,phones,upi_ids,loss_amount,currency\n"


def test_ingest_link_list_and_explain(live: LiveServer) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    body = (
        HEADER
        + f"A-{tag},IN,2024-05-01,+91 98765 66666,,1000,INR\n"
        + f"B-{tag},IN,2024-05-02,098765-66666,refund.{tag.lower()}@ybl,,\n"
        + f"C-{tag},IN,2024-05-03,,Refund.{tag.lower()}@YBL,250.50,INR\n"
        + f"D-{tag},IN,2024-02-30,,,,\n"
    )
    with live.admin() as client:
        ingested = client.post(
            f"/api/v1/link/ingest?filename=portal-{tag}.csv",
            content=body.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert ingested.status_code == 201, ingested.text
        result = ingested.json()
        assert result["file"] == f"portal-{tag}.csv" and result["ingested"] == 3
        assert result["rejected"][0]["line"] == 5
        again = client.post(
            f"/api/v1/link/ingest?filename=portal-{tag}.csv", content=body.encode()
        ).json()
        assert (again["ingested"], again["unchanged"]) == (0, 3)
        run = client.post("/api/v1/link/run")
        assert run.status_code == 200, run.text
        listing = client.get("/api/v1/link/networks", params={"limit": 10_000}).json()["networks"]
        (mine,) = [n for n in listing if f"A-{tag}" in n["complaints"]]
        assert mine["complaints"] == [f"A-{tag}", f"B-{tag}", f"C-{tag}"]
        assert mine["loss"] == {"INR": "1250.50"}
        one = client.get(f"/api/v1/link/networks/{mine['id']}").json()
        assert one["id"] == mine["id"]
        chain = client.get(
            f"/api/v1/link/networks/{mine['id']}/explain",
            params={"from": f"A-{tag}", "to": f"C-{tag}"},
        ).json()["chain"]
        assert [step["identifier"]["type"] for step in chain] == ["phone-number", "upi-id"]


def test_bad_requests_are_problem_documents(live: LiveServer) -> None:
    with live.admin() as client:
        assert_problem(client.post("/api/v1/link/ingest?filename=x.xlsx", content=b"x"), 400)
        # A path in the name is reduced to its last part: nothing is written outside the
        # request's own folder.
        traversal = client.post(
            "/api/v1/link/ingest?filename=../../etc/x.csv", content=HEADER.encode()
        )
        assert traversal.status_code == 201 and traversal.json()["file"] == "x.csv"
        assert_problem(client.post("/api/v1/link/ingest?filename=%0a.csv", content=b"x"), 400)
        assert_problem(client.post("/api/v1/link/ingest?format=pdf", content=b"x"), 422)
        no_ids = client.post("/api/v1/link/ingest?filename=n.csv", content=b"a,b\n1,2\n")
        assert "complaint_id" in assert_problem(no_ids, 400)["detail"]
        assert_problem(client.get("/api/v1/link/networks/N-999999"), 404)
        assert_problem(client.get("/api/v1/link/networks?limit=0"), 422)
        assert_problem(client.get("/api/v1/link/networks/N-999999/explain"), 404)
    with live.client() as anonymous:
        assert_problem(anonymous.get("/api/v1/link/networks"), 401)
