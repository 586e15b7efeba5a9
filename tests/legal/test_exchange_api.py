"""A request between two served nodes over the API: exported by the CBI, imported by the FBI,
its status sent back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.legal.conftest import SUMMARY
from tests.web.conftest import LiveServer, assert_problem, running_node
from tests.web.test_packages import pair

BASE = "/api/v1/legal/requests"
PARTICULARS = {
    "identifiers": ["email-addr:kyc.update.sbi@gmail.com"],
    "period": "2025-01-01..2025-06-30",
    "nexus": "The mailbox sent the phishing e-mails.",
    "assistance": ["Produce the content of the mailbox for the period."],
    "confidentiality": "Do not notify the account holder.",
    "probable_cause": "212 victims received e-mails from the account linking to the fake site.",
}


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The CBI's node, served on 127.0.0.1."""
    with running_node(backend, tmp_path_factory.mktemp("cbi")) as server:
        yield server


@pytest.fixture(scope="module")
def live_us(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The FBI's node, served on 127.0.0.1 with its own home and database."""
    with running_node(
        backend, tmp_path_factory.mktemp("fbi"), code="FBI", country="US",
        agency="Federal Bureau of Investigation", timezone="America/New_York",
    ) as server:  # fmt: skip
        yield server


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def approved_request(cbi: httpx.Client) -> str:
    """A complete-enough MLA request to the US, approved by the central authority."""
    case = ok(cbi.post("/api/v1/cases", json={"title": "KYC phishing", "summary": SUMMARY,
                                               "jurisdictions": ["IN", "US"],
                                               "offences": ["IN:IT Act 66D"]}), 201)  # fmt: skip
    made = ok(cbi.post(BASE, json={"case": case["reference"], "kind": "mla-request", "to": "US",
                                   "needs": ["content"], **PARTICULARS}), 201)  # fmt: skip
    for state in ("review", "central-authority-approval"):
        ok(cbi.post(f"{BASE}/{made['id']}/state", json={"state": state}))
    return str(made["id"])


def test_request_and_status_over_the_api(live: LiveServer, live_us: LiveServer) -> None:
    pair(live, live_us)
    with live.admin() as cbi, live_us.admin() as fbi:
        rid = approved_request(cbi)
        refused = cbi.post(f"{BASE}/{rid}/export", json={"to": "FBI"})
        assert_problem(refused, 422, "draft-incomplete")
        message = ok(cbi.post(f"{BASE}/{rid}/export",
                              json={"to": "FBI", "allow_incomplete": True}))  # fmt: skip
        assert set(message) == {"document", "signature"}
        assert message["document"]["document"]["media_type"] == "application/pdf"

        altered = json.loads(json.dumps(message))
        altered["document"]["request"]["needs"] = ["subscriber"]
        assert_problem(fbi.post(f"{BASE}/import", content=json.dumps(altered)), 422,
                       "request-file-invalid")  # fmt: skip
        received = ok(fbi.post(f"{BASE}/import", content=json.dumps(message)), 201)
        assert (received["action"], received["remote_id"]) == ("received", rid)
        assert_problem(fbi.post(f"{BASE}/import", content=json.dumps(message)), 409,
                       "already-exists")  # fmt: skip
        assert_problem(fbi.post(f"{BASE}/import", content=b"\xff not json"), 400,
                       "invalid-input")  # fmt: skip

        fcase = ok(fbi.post("/api/v1/cases", json={"title": "MLAT execution",
                                                    "jurisdictions": ["US"]}), 201)  # fmt: skip
        filed = ok(fbi.post(f"{BASE}/{received['request']}/case",
                            json={"case": fcase["reference"]}))  # fmt: skip
        assert filed["case"] == fcase["reference"]
        assert_problem(fbi.post(f"{BASE}/{received['request']}/case", json={"case": "FBI-9"}),
                       404)  # fmt: skip
        ok(cbi.post(f"{BASE}/{rid}/state", json={"state": "transmitted"}))
        for state in ("acknowledged", "executing"):
            ok(fbi.post(f"{BASE}/{received['request']}/state", json={"state": state}))
        status = ok(fbi.post(f"{BASE}/{received['request']}/status-export"))
        applied = ok(cbi.post(f"{BASE}/import", content=json.dumps(status)), 201)
        assert applied["applied"] == ["acknowledged", "executing"]
        assert ok(cbi.get(f"{BASE}/{rid}"))["state"] == "executing"
