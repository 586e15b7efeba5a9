"""Cases: creation, access by membership, statuses, audited reads."""

from __future__ import annotations

import pytest

from comity.cases.services import (
    add_member,
    case_summary,
    create_case,
    get_case,
    list_cases,
    set_status,
)
from comity.core.errors import InvalidInput, NotFound, PermissionDenied
from comity.identity import audit
from comity.identity.services import create_user
from tests.conftest import Node


def test_case_records_jurisdictions_offences_and_authority(node: Node) -> None:
    with node.ctx.transaction() as session:
        case = create_case(
            session,
            node.actor(),
            title="Fake call centre targeting US seniors",
            jurisdictions=["us", "IN", "IN"],
            offences=["IN:BNS 318(4)", "US: 18 U.S.C. 1343"],
            authorities=["warrant: SW/114/2026"],
            agencies=["fbi"],
        )
        data = case_summary(case)
    assert data["reference"].startswith("CBI-")
    assert data["jurisdictions"] == ["IN", "US"]
    assert data["offences"] == [
        {"jurisdiction": "IN", "reference": "BNS 318(4)"},
        {"jurisdiction": "US", "reference": "18 U.S.C. 1343"},
    ]
    assert data["legal_authority"] == [{"kind": "warrant", "reference": "SW/114/2026"}]
    assert data["agencies"] == ["CBI", "FBI"]
    assert data["members"] == [{"username": "admin", "role": "lead"}]


@pytest.mark.parametrize(
    ("field", "value"),
    [("jurisdictions", ["IND"]), ("offences", ["BNS 318"]), ("authorities", ["warrant"])],
)
def test_malformed_case_input_is_refused(node: Node, field: str, value: list[str]) -> None:
    values: dict[str, list[str]] = {"jurisdictions": ["IN"], field: value}
    with node.ctx.transaction() as session, pytest.raises(InvalidInput):
        create_case(session, node.actor(), title="t", **values)  # type: ignore[arg-type]


def test_only_members_see_a_case_and_reads_are_audited(node: Node) -> None:
    with node.ctx.transaction() as session:
        create_user(
            session, node.actor(), username="a.rao", display_name="A. Rao", roles=["investigator"]
        )
        create_user(
            session, node.actor(), username="s.khan", display_name="S. Khan", roles=["supervisor"]
        )
        case = create_case(session, node.actor(), title="t", jurisdictions=["IN"])
    rao = node.actor("a.rao")
    with node.ctx.transaction() as session:
        assert list_cases(session, rao) == []
        with pytest.raises(PermissionDenied):
            get_case(session, rao, case.reference)
        assert [c.id for c in list_cases(session, node.actor("s.khan"))] == [case.id]
        add_member(session, node.actor(), case.reference, "a.rao", "investigator")
        assert get_case(session, rao, str(case.id)).id == case.id
        reads = [e for e in audit.entries(session, case_id=case.id) if e.action == "case.read"]
    assert "a.rao" in {e.actor for e in reads}


def test_unknown_case_and_bad_status(node: Node) -> None:
    with node.ctx.transaction() as session:
        with pytest.raises(NotFound):
            get_case(session, node.actor(), "CBI-1999-0001")
        case = create_case(session, node.actor(), title="t", jurisdictions=["IN"])
        with pytest.raises(InvalidInput):
            set_status(session, node.actor(), case.reference, "archived")
        assert set_status(session, node.actor(), case.reference, "closed").status == "closed"
