"""The checklist: each test passing and failing on concrete particulars, the ``when``
conditions, statute texts from a knowledge-base overlay, and a property test (no exception on
any particulars; complete exactly when nothing is missing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as s

from comity.legal.checklist import applicable_elements, check, find_offence
from comity.legal.knowledge import KnowledgeBase
from comity.legal.schema import NEEDS, REQUEST_KINDS, Element, OffenceEntry

KB = KnowledgeBase.from_package()


@dataclass
class Req:
    """A request as the checklist reads it."""

    kind: str = "mla-request"
    from_country: str = "IN"
    to_country: str = "US"
    needs: list[str] = field(default_factory=lambda: ["subscriber"])
    urgency: str = "normal"
    holder: str = "provider"
    particulars: Any = field(default_factory=dict)


COMPLETE_MLA: dict[str, Any] = {
    "authority": "Central Bureau of Investigation",
    "facts": "E-mails from kyc.update.sbi@gmail.com took the credentials of 212 customers.",
    "offences": ["IN:IT Act 66D", "IN:BNS 318(4)"],
    "assistance": ["Produce the subscriber records of the account."],
    "nexus": "The account sent the phishing e-mails.",
    "identifiers": [{"type": "email-addr", "value": "kyc.update.sbi@gmail.com"}],
    "period": {"from": "2025-01-01", "to": "2025-03-31"},
    "confidentiality": "Do not notify the account holder.",
}


def _texts(*refs: str) -> KnowledgeBase:
    """The package's knowledge base with a (test) text for each of ``refs``."""
    entries = []
    for ref in refs:
        base = KB.offence(ref)
        assert base is not None
        entries.append(base.model_copy(update={"text": f"Test text of {ref}."}))
    return KB.overlaid([("test", "offences", entries)])


KB_TEXTS = _texts("IN:IT Act 66D", "IN:BNS 318", "IN:IT Act 66C")


def _missing(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["element"]: m for m in result["missing"]}


def _one(test: str, value: Any, **req: Any) -> tuple[bool, str]:
    """Run the element with ``test`` of an mla-request to US on ``value``; ``(ok, detail)``."""
    fields = {
        "text": "facts",
        "list": "assistance",
        "statute-reference": "offences",
        "statute-text": "offences",
        "account-identifier": "identifiers",
        "date-range": "period",
    }
    kind = "preservation" if test == "flag" else "mla-request"
    name = "follow_up" if test == "flag" else fields[test]
    result = check(KB_TEXTS, Req(kind=kind, particulars={name: value}, **req))
    for m in result["missing"]:
        if m["field"] == name and any(
            c["test"] == test and c["element"] == m["element"] for c in result["checked"]
        ):
            return False, m["detail"]
    assert any(c["field"] == name and c["test"] == test for c in result["checked"])
    return True, ""


@pytest.mark.parametrize(
    ("test", "value", "ok", "detail"),
    [
        ("text", "Facts.", True, ""),
        ("text", "   ", False, "no text given"),
        ("text", None, False, "no text given"),
        ("text", 42, False, "not a text (int)"),
        ("list", ["Produce the records."], True, ""),
        ("list", [], False, "the list is empty"),
        ("list", ["ok", "  "], False, "entry 2 is not a non-empty text"),
        ("list", "Produce", False, "not a list (str)"),
        ("flag", True, True, ""),
        ("flag", False, False, "not set"),
        ("flag", "yes", False, "not set"),
        ("flag", None, False, "not given"),
        ("statute-reference", ["IN:IT Act 66D", "US:18 U.S.C. 1343"], True, ""),
        ("statute-reference", [], False, "the list is empty"),
        ("statute-reference", ["IN:fraud"], False, "is not a statute reference"),
        ("statute-reference", ["IN:318"], False, "is not a statute reference"),
        ("statute-reference", ["US:18 U.S.C. 1343"], False, "no offence of IN"),
        ("statute-text", ["IN:IT Act 66D", "IN:BNS 318(4)"], True, ""),
        ("statute-text", ["IN:IT Act 66D", "US:18 U.S.C. 1343"], True, ""),
        ("statute-text", ["IN:IT Act 66E"], False, "no text in the knowledge base for IN:IT"),
        ("statute-text", ["IN:XYZ Act 9"], False, "IN:XYZ Act 9 (not in the knowledge base)"),
        ("statute-text", ["US:18 U.S.C. 1343"], False, "no offence of IN"),
        ("account-identifier", [{"type": "email-addr", "value": "a.b@gmail.com"}], True, ""),
        ("account-identifier", [{"type": "phone-number", "value": "+919876543210"}], True, ""),
        ("account-identifier", ["upi-id:fraud.kyc@okaxis"], True, ""),
        (
            "account-identifier",
            [{"type": "email-addr", "value": "not an address"}, {"type": "url", "value": "x"}],
            False,
            "no valid account identifier",
        ),
        ("account-identifier", [{"type": "person", "value": "R. Kumar"}], False, "names no acc"),
        ("account-identifier", [], False, "no identifier given"),
        ("account-identifier", [{"type": "email-addr"}], False, "no type and value"),
        ("date-range", {"from": "2025-01-01", "to": "2025-03-31"}, True, ""),
        ("date-range", {"from": "2025-01-01", "to": "2025-01-01"}, True, ""),
        ("date-range", {"from": "2025-04-01", "to": "2025-03-31"}, False, "ends (2025-03-31)"),
        ("date-range", {"from": "2025-02-30", "to": "2025-03-31"}, False, "needs 'from' and"),
        ("date-range", {"from": "2025-01-01"}, False, "needs 'from' and 'to'"),
        ("date-range", "2025-01-01..2025-03-31", False, "not a period (str)"),
    ],
)
def test_each_test_passes_and_fails(test: str, value: Any, ok: bool, detail: str) -> None:
    found, said = _one(test, value)
    assert found is ok, said
    assert detail in said


def test_a_complete_request_is_complete() -> None:
    result = check(KB_TEXTS, Req(particulars=COMPLETE_MLA))
    assert result == {
        "complete": True,
        "missing": [],
        "checked": result["checked"],
        "kind": "mla-request",
        "to": "US",
    }
    assert all(c["ok"] for c in result["checked"])
    assert {c["element"] for c in result["checked"]} >= {
        "requesting authority",
        "account identifiers",
        "date range",
        "text of the penal sections",
    }
    assert set(result["checked"][0]) == {"element", "field", "test", "ok"}


def test_missing_entries_carry_the_knowledge_base_reason_and_source() -> None:
    result = check(KB, Req(particulars={}))
    assert result["complete"] is False
    entry = _missing(result)["facts of the case"]
    assert set(entry) == {"element", "field", "why", "source", "status", "detail"}
    assert entry["field"] == "facts"
    assert entry["why"] == "The subject matter and nature of the investigation."
    assert "US model MLA treaty" in entry["source"]
    assert entry["status"] == "unverified"
    assert entry["detail"] == "no text given"


def test_probable_cause_for_content_from_the_us_only() -> None:
    content = check(KB_TEXTS, Req(needs=["content"], particulars=COMPLETE_MLA))
    assert [m["element"] for m in content["missing"]] == ["probable-cause statement"]
    assert _missing(content)["probable-cause statement"]["status"] == "verified"
    assert "2703" in _missing(content)["probable-cause statement"]["source"]

    subscriber = check(KB_TEXTS, Req(needs=["subscriber"], particulars=COMPLETE_MLA))
    assert subscriber["complete"] is True
    assert "probable_cause" not in {c["field"] for c in subscriber["checked"]}

    elsewhere = check(KB_TEXTS, Req(needs=["content"], to_country="GB", particulars=COMPLETE_MLA))
    assert elsewhere["complete"] is True

    filled = {**COMPLETE_MLA, "probable_cause": "The account sent 2,300 phishing e-mails."}
    assert check(KB_TEXTS, Req(needs=["content"], particulars=filled))["complete"] is True


def test_needs_decide_whether_data_elements_apply() -> None:
    testimony = check(KB_TEXTS, Req(needs=["testimony"], particulars={}))
    fields = {c["field"] for c in testimony["checked"]}
    assert "identifiers" not in fields
    assert "period" not in fields
    assert "facts" in fields


def test_urgency_applies_only_to_emergencies() -> None:
    normal = check(KB_TEXTS, Req(particulars=COMPLETE_MLA))
    assert "urgency_reason" not in {c["field"] for c in normal["checked"]}
    urgent = check(KB_TEXTS, Req(urgency="emergency", particulars=COMPLETE_MLA))
    assert [m["element"] for m in urgent["missing"]] == ["urgency"]
    reason = {**COMPLETE_MLA, "urgency_reason": "The accounts are being emptied."}
    assert check(KB_TEXTS, Req(urgency="emergency", particulars=reason))["complete"] is True


def test_statute_text_missing_until_an_overlay_provides_it() -> None:
    request = Req(particulars={**COMPLETE_MLA, "offences": ["IN:IT Act 66C", "IN:BNS 318(4)"]})
    before = _missing(check(KB, request))["text of the penal sections"]
    assert before["detail"] == ("no text in the knowledge base for IN:IT Act 66C, IN:BNS 318(4)")
    entry = OffenceEntry(
        ref="IN:IT Act 66C",
        country="IN",
        act="Information Technology Act 2000",
        section="66C",
        title="Identity theft",
        max_imprisonment="3 years",
        text="Test text of section 66C.",
        source="test fixture",
        as_of="undated",
        status="verified",
    )
    partly = KB.overlaid([("test", "offences", [entry])])
    middle = _missing(check(partly, request))["text of the penal sections"]
    assert middle["detail"] == "no text in the knowledge base for IN:BNS 318(4)"
    assert check(KB_TEXTS, request)["complete"] is True


def test_a_subsection_falls_back_to_its_section() -> None:
    found = find_offence(KB, "IN:BNS 318(4)")
    assert found is not None and found.ref == "IN:BNS 318"
    assert find_offence(KB, "in: it act 66d") is not None
    assert find_offence(KB, "IN:BNS 999(1)") is None


def test_the_same_field_and_test_twice_is_checked_once() -> None:
    duplicate = Element(
        element="facts again",
        field="facts",
        test="text",
        why="A repeat.",
        source="test",
        status="verified",
    )
    general = KB.request_elements("mla-request", "US")[0]
    country = KB.request_elements("mla-request", "US")[1]
    changed = country.model_copy(update={"elements": [*country.elements, duplicate]})
    kb = KB.overlaid([("test", "request_elements", [general, changed])])
    elements = applicable_elements(kb, Req())
    assert [e.element for e in elements].count("facts of the case") == 1
    assert "facts again" not in [e.element for e in elements]


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("preservation", {"custodian", "necessity", "follow_up", "identifiers", "offences"}),
        ("emergency-disclosure", {"danger", "identifiers", "facts", "authority"}),
        ("provider-request", {"identifiers", "period", "offences", "facts"}),
        ("interpol-diffusion", {"subject", "offences", "facts", "assistance"}),
        ("letter-rogatory", {"reciprocity", "nexus", "confidentiality"}),
    ],
)
def test_each_kind_checks_its_elements(kind: str, fields: set[str]) -> None:
    result = check(KB, Req(kind=kind, particulars={}))
    assert fields <= {c["field"] for c in result["checked"]}
    assert result["complete"] is False
    assert result["kind"] == kind


def test_odd_particulars_do_not_raise() -> None:
    for particulars in (None, [], "facts", {"identifiers": [None, 3, ["x"]], "period": []}):
        result = check(KB, Req(particulars=particulars))
        assert result["complete"] is False


_JSON = s.recursive(
    s.none() | s.booleans() | s.integers() | s.floats(allow_nan=True) | s.text(max_size=30),
    lambda children: (
        s.lists(children, max_size=4) | s.dictionaries(s.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_FIELD_VALUES = {
    "offences": s.lists(
        s.sampled_from(["IN:IT Act 66D", "IN:BNS 318(4)", "US:18 U.S.C. 1343", "IN:", "x"])
        | s.text(max_size=20),
        max_size=4,
    ),
    "identifiers": s.lists(
        s.fixed_dictionaries(
            {
                "type": s.sampled_from(["email-addr", "phone-number", "url", "upi-id", "x"]),
                "value": s.text(max_size=30) | s.just("a.b@gmail.com"),
            }
        )
        | _JSON,
        max_size=3,
    ),
    "period": s.fixed_dictionaries(
        {"from": s.text(max_size=12) | s.dates().map(str), "to": s.dates().map(str)}
    ),
}


@s.composite
def any_particulars(draw: s.DrawFn) -> dict[str, Any]:
    names = [
        "authority", "facts", "offences", "nexus", "identifiers", "period", "assistance",
        "custodian", "necessity", "follow_up", "probable_cause", "confidentiality",
        "urgency_reason", "reciprocity", "danger", "subject", "unknown",
    ]  # fmt: skip
    out: dict[str, Any] = {}
    for name in draw(s.lists(s.sampled_from(names), unique=True)):
        strategy = _FIELD_VALUES.get(name, _JSON)
        out[name] = draw(strategy | _JSON)
    return out


@given(
    particulars=any_particulars(),
    kind=s.sampled_from(REQUEST_KINDS),
    to=s.sampled_from(["US", "GB", "AE"]),
    needs=s.lists(s.sampled_from(NEEDS), max_size=3),
    urgency=s.sampled_from(["normal", "emergency"]),
)
def test_check_never_raises_and_complete_iff_nothing_missing(
    particulars: dict[str, Any], kind: str, to: str, needs: list[str], urgency: str
) -> None:
    result = check(
        KB_TEXTS,
        Req(kind=kind, to_country=to, needs=needs, urgency=urgency, particulars=particulars),
    )
    assert result["complete"] == (result["missing"] == [])
    assert result["complete"] == all(c["ok"] for c in result["checked"])
    assert len(result["missing"]) == sum(not c["ok"] for c in result["checked"])
    keys = [(c["field"], c["test"]) for c in result["checked"]]
    assert len(keys) == len(set(keys))
