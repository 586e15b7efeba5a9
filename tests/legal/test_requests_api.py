"""The request routes against a real uvicorn server over its own node and database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.legal.conftest import SUMMARY
from tests.web.conftest import LiveServer, assert_problem, running_node

BASE = "/api/v1/legal/requests"


@dataclass
class Office:
    """The served node, its users' tokens and the scenario case."""

    live: LiveServer
    tokens: dict[str, str]
    case: str

    def client(self, user: str) -> httpx.Client:
        """A client acting as ``user``."""
        return self.live.client(self.tokens[user])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def office(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """A CBI node served on 127.0.0.1 with an investigator, a legal officer, an outsider."""
    with running_node(backend, tmp_path_factory.mktemp("requests")) as live:
        tokens = {}
        with live.admin() as admin:
            for name, role in (
                ("a.rao", "investigator"),
                ("m.sen", "legal_officer"),
                ("p.das", "investigator"),
            ):
                user = ok(
                    admin.post("/api/v1/users", json={"username": name, "roles": [role]}), 201
                )
                tokens[name] = user["token"]
        with live.client(tokens["a.rao"]) as lead:
            case = ok(
                lead.post(
                    "/api/v1/cases",
                    json={
                        "title": "KYC phishing",
                        "jurisdictions": ["IN", "US"],
                        "summary": SUMMARY,
                    },
                ),
                201,
            )["reference"]
            ok(lead.post(f"/api/v1/cases/{case}/members", json={"username": "m.sen"}), 201)
        yield Office(live, tokens, case)


def test_a_letter_rogatory_over_http(office: Office) -> None:
    with office.live.admin() as admin:
        spec = ok(admin.get("/openapi.json"))
    for path in (BASE, f"{BASE}/due", f"{BASE}/stats", f"{BASE}/{{request_id}}/state"):
        assert path in spec["paths"], path
    with office.client("a.rao") as lead, office.client("m.sen") as lawyer:
        made = ok(
            lead.post(
                BASE,
                json={
                    "case": office.case,
                    "kind": "letter-rogatory",
                    "to": "us",
                    "needs": ["testimony"],
                    "offences": ["in: BNS 318(4)"],
                    "identifiers": ["email-addr:KYC.Update.SBI@gmail.com"],
                },
            ),
            201,
        )
        rid = made["id"]
        assert made["state"] == "draft" and made["to"] == "US"
        assert made["particulars"]["offences"] == ["IN:BNS 318(4)"]
        assert made["next"] == ["review", "withdrawn"] and made["history"][0]["by"] == "a.rao"
        change = {"nexus": "the account sent the e-mails", "assistance": ["Examine the subscriber"]}
        filled = ok(lead.patch(f"{BASE}/{rid}", json={**change, "note": "nexus added"}))
        assert filled["particulars"]["nexus"] == "the account sent the e-mails"
        assert filled["history"][-1]["action"] == "update"

        url = f"{BASE}/{rid}/state"
        ok(lead.post(url, json={"state": "review", "at": "2025-01-02T10:00+05:30"}))
        denied = assert_problem(
            lead.post(url, json={"state": "central-authority-concurrence"}),
            403,
            "permission-denied",
        )
        assert "legal_officer" in denied["detail"]
        ok(lawyer.post(url, json={"state": "central-authority-concurrence", "note": "MHA agrees"}))
        skipped = assert_problem(
            lawyer.post(url, json={"state": "transmitted"}), 409, "invalid-transition"
        )
        assert skipped["current"] == "central-authority-concurrence"
        assert skipped["to"] == "transmitted" and skipped["allowed"] == [
            "court-issued",
            "withdrawn",
        ]
        before = ok(lead.get(f"{BASE}/{rid}"))
        future = assert_problem(
            lawyer.post(url, json={"state": "court-issued", "at": "2999-01-01T00:00Z"}),
            400,
            "invalid-input",
        )
        assert "in the future" in future["detail"]
        assert_problem(lawyer.post(url, json={"state": "court-issued", "at": "tomorrow"}), 400)
        assert_problem(lawyer.post(url, json={"state": "issued"}), 400, "invalid-input")
        assert_problem(lawyer.post(url, json={"state": "court-issued", "by": "x"}), 422)
        assert ok(lead.get(f"{BASE}/{rid}"))["history"] == before["history"]
        ok(lawyer.post(url, json={"state": "court-issued", "note": "CMM signed"}))
        sent = ok(lawyer.post(url, json={"state": "transmitted", "note": "via MHA"}))
        assert sent["state"] == "transmitted" and sent["transmitted_at"] is not None
        assert [h["by"] for h in sent["history"]] == ["a.rao", "a.rao", "a.rao", "m.sen"] + [
            "m.sen"
        ] * 2
        assert sent["history"][3]["note"] == "MHA agrees"
        assert sent["deadlines"] == []  # a letter rogatory has no preservation clock

        listed = ok(lead.get(BASE, params={"state": "transmitted", "to": "US"}))["requests"]
        assert [r["id"] for r in listed] == [rid]
        assert_problem(lead.get(BASE, params={"state": "sent"}), 400)

    with office.client("p.das") as outsider:
        assert_problem(outsider.get(f"{BASE}/{rid}"), 403, "permission-denied")
        assert ok(outsider.get(BASE))["requests"] == []
    with office.live.client() as anonymous:
        assert_problem(anonymous.get(BASE), 401)
    with office.live.admin() as admin:
        log = ok(admin.get("/api/v1/audit"))["entries"]
        moves = [e for e in log if e["action"] == "legal.request.advance"]
        assert [m["details"]["to"] for m in moves] == [
            "review",
            "central-authority-concurrence",
            "court-issued",
            "transmitted",
        ]
        assert moves[1]["actor"] == "m.sen" and moves[1]["details"]["note"] == "MHA agrees"


def test_preservations_their_deadlines_renewal_and_the_figures(office: Office) -> None:
    with office.client("a.rao") as lead, office.client("m.sen") as lawyer:
        # A case of its own: the first test's letter rogatory to the US would be its follow-up.
        case = ok(
            lead.post(
                "/api/v1/cases",
                json={"title": "Mule accounts", "jurisdictions": ["IN"], "summary": SUMMARY},
            ),
            201,
        )["reference"]
        ok(lead.post(f"/api/v1/cases/{case}/members", json={"username": "m.sen"}), 201)
        ids = {}
        for to in ("US", "AE"):
            body = {"case": case, "kind": "preservation", "to": to}
            made = ok(lead.post(BASE, json=body), 201)
            ids[to] = made["id"]
            url = f"{BASE}/{made['id']}/state"
            ok(lead.post(url, json={"state": "review", "at": "2025-01-09T10:00+05:30"}))
            ok(lawyer.post(url, json={"state": "transmitted", "at": "2025-01-10T10:00+05:30"}))
        us = ok(lead.get(f"{BASE}/{ids['US']}"))
        assert [(d["kind"], d["due"]) for d in us["deadlines"]] == [
            ("preservation-lapses", "2025-04-10"),
            ("follow-up-mla", "2025-04-10"),
        ]
        renewal = f"{BASE}/{ids['US']}/renewals"
        assert_problem(lead.post(renewal, json={}), 403)
        renewed = ok(lawyer.post(renewal, json={"at": "2025-03-01T10:00Z", "note": "renewed"}), 201)
        assert renewed["renewals"] == 1 and renewed["deadlines"][0]["due"] == "2025-07-09"
        again = assert_problem(
            lawyer.post(renewal, json={"at": "2025-06-01T10:00Z"}), 409, "request-conflict"
        )
        assert again["renewals"] == 1 and again["allowed"] == 1
        gulf = ok(lead.get(f"{BASE}/{ids['AE']}"))["deadlines"][0]
        assert gulf["due"] is None and "no preservation period for AE" in gulf["note"]

        due = ok(lead.get(f"{BASE}/due", params={"within": "2w"}))
        assert due["within_days"] == 14
        assert [(d["request"], d["kind"], d["overdue"]) for d in due["deadlines"]] == [
            (ids["US"], "follow-up-mla", True),
            (ids["US"], "preservation-lapses", True),
            (ids["AE"], "follow-up-mla", False),
            (ids["AE"], "preservation-lapses", False),
        ]
        assert_problem(lead.get(f"{BASE}/due", params={"within": "soon"}), 400)

        url = f"{BASE}/{ids['US']}/state"
        for state in ("acknowledged", "executing"):
            ok(lawyer.post(url, json={"state": state, "at": "2025-03-02T10:00Z"}))
        ok(lawyer.post(url, json={"state": "executed", "at": "2025-03-11T10:00+05:30"}))
        assert_problem(lead.get(f"{BASE}/stats"), 403, "permission-denied")
        figures = ok(lawyer.get(f"{BASE}/stats"))
        assert figures["answered"]["US"] == {"count": 1, "median_days": 60.0}
        assert figures["pending"]["by_country"]["AE"] == 1

        # Bad input: a clear problem naming it, nothing written.
        before = len(ok(lead.get(BASE))["requests"])
        bare = ok(
            lead.post("/api/v1/cases", json={"title": "No facts", "jurisdictions": ["IN"]}), 201
        )["reference"]
        for body, member, value in (
            ({"case": office.case, "kind": "letter", "to": "US"}, "kind", "letter"),
            ({"case": office.case, "kind": "preservation", "to": "XX"}, "country", "XX"),
            (
                {"case": office.case, "kind": "preservation", "to": "US", "needs": ["emails"]},
                "need",
                "emails",
            ),
            ({"case": bare, "kind": "mla-request", "to": "US"}, "case", bare),
        ):
            problem = assert_problem(lead.post(BASE, json=body), 400, "invalid-input")
            assert problem[member] == value and value in problem["detail"]
        assert_problem(
            lead.post(BASE, json={"case": office.case, "kind": "preservation", "to": "US", "x": 1}),
            422,
        )
        assert len(ok(lead.get(BASE))["requests"]) == before
        assert_problem(lead.get(f"{BASE}/REQ-1999-0001"), 404, "not-found")
