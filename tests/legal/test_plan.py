"""A case's needs abroad and its plan: phishing of Indian citizens from Russia through a US
e-mail provider, the money sent to an account in Dubai."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from comity.core.errors import PermissionDenied
from comity.identity.models import AuditEvent
from comity.legal.errors import LegalInputError
from comity.legal.models import CaseNeed
from comity.legal.plan import add_need, case_plan, list_needs
from tests.legal.conftest import Scenario

GMAIL = "email-addr:kyc.update.sbi@gmail.com"


def record_needs(scenario: Scenario) -> None:
    """The scenario's needs, as an investigator records them."""
    needs: list[dict[str, Any]] = [
        {
            "need": "content",
            "country": "US",
            "holder_name": "Google LLC",
            "description": "the mailbox that sent the phishing e-mails",
            "identifiers": [GMAIL],
        },
        {
            "need": "subscriber",
            "country": "US",
            "holder_name": "Google LLC",
            "identifiers": [GMAIL],
        },
        {"need": "locate-person", "country": "RU", "description": "the caller 'Vikram'"},
        {
            "need": "bank-records",
            "country": "AE",
            "holder_name": "a bank in Dubai",
            "identifiers": ["bank-account:AE070331234567890123456"],
        },
        {"need": "freeze-assets", "country": "AE", "holder_name": "a bank in Dubai"},
        {"need": "preservation", "country": "KP", "description": "a server whose law we lack"},
    ]
    with scenario.node.ctx.transaction() as session:
        for need in needs:
            add_need(session, scenario.investigator, scenario.kb, scenario.case, **need)


def make_plan(scenario: Scenario) -> dict[str, Any]:
    """The plan, as the investigator asks for it."""
    with scenario.node.ctx.transaction() as session:
        return case_plan(session, scenario.investigator, scenario.kb, scenario.case)


def test_the_scenario_yields_a_concrete_plan(scenario: Scenario):
    record_needs(scenario)
    plan = make_plan(scenario)
    actions = plan["actions"]
    assert plan["from"] == "IN"

    # what to preserve today: the Gmail account, once, for both US needs
    (preserve,) = actions["preserve_today"]
    assert preserve["country"] == "US" and preserve["mechanism"] == "provider-preservation"
    assert preserve["needs"] == [1, 2]
    assert preserve["identifiers"] == ["email-addr:kyc.update.sbi@gmail.com"]
    assert "18 U.S.C. §2703(f)" in preserve["legal_basis"]

    # what to ask the provider directly: the subscriber records
    (direct,) = actions["ask_providers"]
    assert (direct["need"], direct["mechanism"]) == (2, "direct-provider-request")

    # police-to-police: INTERPOL to find the caller; a Silver Notice traces the money
    police = {(s["country"], s["mechanism"]) for s in actions["police_channels"]}
    assert police == {("RU", "interpol-notice-or-diffusion"), ("AE", "interpol-silver-notice")}

    # which MLA requests to start, through whom, and what each must contain
    requests = {g["country"]: g for g in actions["start_requests"]}
    us = requests["US"]
    assert us["request_kind"] == "mla-request"
    assert "Ministry of Home Affairs" in us["through"]
    assert "Office of International Affairs" in us["through"]
    assert [n["what"] for n in us["needs"]] == ["content", "subscriber"]
    assert "probable-cause statement" in us["must_contain"]
    assert "account identifiers" in us["must_contain"]
    assert not us["fallback_only"]
    ae = requests["AE"]
    assert [n["what"] for n in ae["needs"]] == ["bank-records", "freeze-assets"]
    assert "probable-cause statement" not in ae["must_contain"]
    assert "not in the knowledge base" in ae["through"]  # the UAE's central authority
    assert requests["RU"]["fallback_only"]  # the caller: INTERPOL first, MLA if that fails

    # what the knowledge base cannot answer is said, not guessed
    (unknown,) = actions["unknown"]
    assert (unknown["country"], unknown["what"]) == ("KP", "preservation")
    assert unknown["reasons"]


def test_plan_of_a_case_without_needs_says_how_to_add_them(scenario: Scenario):
    plan = make_plan(scenario)
    assert plan["needs"] == []
    assert "comity legal need add" in plan["message"]


def test_plan_is_audited_and_only_for_those_on_the_case(scenario: Scenario):
    record_needs(scenario)
    make_plan(scenario)
    with scenario.node.ctx.transaction() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
        assert "legal.plan" in actions
        assert actions.count("legal.need.add") == 6
        with pytest.raises(PermissionDenied):
            case_plan(session, scenario.outsider, scenario.kb, scenario.case)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"need": "emails"}, "need 'emails'"),
        ({"country": "XX"}, "'XX'"),
        ({"country": "IN"}, "own country"),
        ({"holder": "isp"}, "holder 'isp'"),
        ({"identifiers": ["email-addr:not an address"]}, "not an address"),
        ({"identifiers": ["file-md5:d41d8cd98f00b204e9800998ecf8427e"]}, "file-md5"),
    ],
)
def test_bad_needs_are_refused_and_nothing_is_written(
    scenario: Scenario, changes: dict[str, Any], named: str
):
    need: dict[str, Any] = {"need": "content", "country": "US", **changes}
    with scenario.node.ctx.transaction() as session:
        with pytest.raises(LegalInputError) as caught:
            add_need(session, scenario.investigator, scenario.kb, scenario.case, **need)
        assert named in caught.value.message
        assert session.scalars(select(CaseNeed)).first() is None
        assert list_needs(session, scenario.investigator, scenario.case) == []
