"""A CBI (India) node with the scenario case of the legal-cooperation tests.

The case: phishing of Indian citizens from Russia through a US e-mail provider, the money sent
to an account in Dubai. Its lead is the investigator ``a.rao``; ``m.sen`` is a legal officer
on the case; ``p.das`` is an investigator who is not on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from comity.cases.services import add_member, create_case
from comity.identity.services import Actor, create_user
from comity.legal.knowledge import KnowledgeBase
from tests.conftest import Node

SUMMARY = (
    "Since January 2025 at least 212 Indian citizens received e-mails from "
    "kyc.update.sbi@gmail.com asking them to update their bank KYC; the link led to a copy of "
    "the bank's site that took their credentials. The server and the callers were in Russia; "
    "the money, INR 4.1 crore, went to an account in Dubai."
)


@dataclass
class Scenario:
    """The node, the scenario case's reference and the users."""

    node: Node
    case: str
    investigator: Actor
    legal_officer: Actor
    outsider: Actor
    kb: KnowledgeBase


@pytest.fixture
def scenario(node: Node) -> Scenario:
    """The scenario case on a CBI node (rolled back after the test)."""
    with node.ctx.transaction() as session:
        admin = node.actor()
        for name, role in (
            ("a.rao", "investigator"),
            ("m.sen", "legal_officer"),
            ("p.das", "investigator"),
        ):
            create_user(session, admin, username=name, roles=[role], display_name=name)
    investigator = node.actor("a.rao")
    with node.ctx.transaction() as session:
        case = create_case(
            session,
            investigator,
            title="KYC phishing of SBI customers",
            jurisdictions=["IN", "US", "RU", "AE"],
            summary=SUMMARY,
            offences=["IN:IT Act 66D", "IN:BNS 318(4)", "IN:IT Act 66C"],
        )
        reference = case.reference
        add_member(session, investigator, reference, "m.sen", "legal")
    return Scenario(
        node=node,
        case=reference,
        investigator=investigator,
        legal_officer=node.actor("m.sen"),
        outsider=node.actor("p.das"),
        kb=KnowledgeBase.from_package(),
    )
