"""The parsers of a request's particulars: properties over any input, and the cases users type."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.legal.errors import LegalInputError
from comity.legal.particulars import (
    FIELDS,
    merge,
    parse_identifier,
    parse_offence,
    parse_period,
)


@given(st.dates(), st.dates())
def test_a_period_is_two_ordered_dates(first: date, second: date) -> None:
    text = f"{first.isoformat()}..{second.isoformat()}"
    if first <= second:
        assert parse_period(text) == {"from": first.isoformat(), "to": second.isoformat()}
    else:
        with pytest.raises(LegalInputError, match="ends before it starts"):
            parse_period(text)


@given(st.text(max_size=60))
def test_any_text_is_a_period_or_a_clear_refusal(text: str) -> None:
    try:
        period = parse_period(text)
    except LegalInputError as exc:
        assert exc.exit_code == 2
        return
    assert date.fromisoformat(period["from"]) <= date.fromisoformat(period["to"])


@given(st.text(max_size=80))
def test_any_text_is_an_offence_or_a_clear_refusal_and_parsing_is_idempotent(text: str) -> None:
    try:
        ref = parse_offence(text)
    except LegalInputError:
        return
    assert ref[:2].isupper() and ref[2] == ":"
    assert parse_offence(ref) == ref


@pytest.mark.parametrize(
    ("typed", "ref"),
    [
        ("in:BNS 318(4)", "IN:BNS 318(4)"),
        ("  US : 18 U.S.C. 1343 ", "US:18 U.S.C. 1343"),
        ("IN:IT Act 66D", "IN:IT Act 66D"),
    ],
)
def test_offences_as_users_type_them(typed: str, ref: str) -> None:
    assert parse_offence(typed) == ref


@pytest.mark.parametrize("typed", ["cheating", "IN:", "IND:BNS 318", "IN:BNS", "IN:BNS 318\x00"])
def test_offences_without_a_country_or_a_section_are_refused(typed: str) -> None:
    with pytest.raises(LegalInputError):
        parse_offence(typed)


@given(st.sampled_from(["email-addr", "phone-number", "upi-id", "domain-name", "url"]),
       st.text(max_size=60))  # fmt: skip
def test_any_identifier_is_normalized_or_clearly_refused(kind: str, raw: str) -> None:
    try:
        parsed = parse_identifier(f"{kind}:{raw}", "IN")
    except LegalInputError as exc:
        assert exc.exit_code == 2
        return
    assert parsed["type"] == kind
    assert parse_identifier(f"{kind}:{parsed['value']}", "IN") == parsed


def test_identifiers_as_users_type_them() -> None:
    assert parse_identifier("email-addr:KYC.Update.SBI@Gmail.com") == {
        "type": "email-addr",
        "value": "kyc.update.sbi@gmail.com",
    }
    assert parse_identifier("phone-number:098201 34567", "IN")["value"] == "+919820134567"
    with pytest.raises(LegalInputError, match="is not one of"):
        parse_identifier("file-md5:d41d8cd98f00b204e9800998ecf8427e")
    with pytest.raises(LegalInputError, match="must look like"):
        parse_identifier("kyc.update.sbi@gmail.com")


@given(
    st.lists(st.text(min_size=1, max_size=5), max_size=4),
    st.lists(st.text(min_size=1, max_size=5), max_size=4),
)
def test_merging_extends_lists_without_repeats(before: list[str], added: list[str]) -> None:
    merged = merge({"assistance": before}, {"assistance": added, "facts": None})
    assert merged["assistance"][: len(before)] == before
    assert set(merged["assistance"]) == set(before) | set(added)
    assert "facts" not in merged
    new = list(merged["assistance"][len(before) :])
    assert len(new) == len(set(new))


def test_merging_refuses_an_unknown_field() -> None:
    assert "probable_cause" in FIELDS
    with pytest.raises(LegalInputError, match="no field 'probable_caus'"):
        merge({}, {"probable_caus": "typo"})
