"""Property-based tests of the parsers for user-given codes, offences and authorities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.cases.services import parse_authority, parse_offence
from comity.core.errors import InvalidInput
from comity.identity.services import normalize_code, normalize_country

letters = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2
)
# Printable text: control characters (a newline in a reference) are refused, tested below.
reference = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")


@given(country=letters, ref=reference, pad=st.sampled_from(["", " ", "  "]))
def test_offence_parses_to_upper_country_and_trimmed_reference(
    country: str, ref: str, pad: str
) -> None:
    parsed = parse_offence(f"{pad}{country}{pad}:{pad}{ref}{pad}")
    assert parsed == {"jurisdiction": country.upper(), "reference": ref.strip()}


@given(text=st.text(max_size=30))
def test_offence_either_parses_or_is_invalid_input(text: str) -> None:
    try:
        parsed = parse_offence(text)
    except InvalidInput:
        return
    assert len(parsed["jurisdiction"]) == 2 and parsed["reference"]


@given(
    kind=reference.filter(lambda s: ":" not in s and len(s) <= 10),
    ref=reference,
)
def test_authority_round_trip(kind: str, ref: str) -> None:
    parsed = parse_authority(f"{kind}:{ref}")
    assert parsed == {"kind": kind.strip().lower(), "reference": ref.strip()}


@given(text=st.text(max_size=12))
def test_codes_are_upper_and_safe_or_refused(text: str) -> None:
    try:
        code = normalize_code(text)
    except InvalidInput:
        return
    assert code == code.upper() and code.replace("-", "").replace("_", "").isalnum()


@pytest.mark.parametrize("bad", ["", "I", "IND", "1N", "I N"])
def test_bad_countries(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_country(bad)


@pytest.mark.parametrize("bad", ["IN:BNS\n318", "IN:BNS 318\x00", "warrant:SW\r1"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_authority(bad) if bad.startswith("warrant") else parse_offence(bad)
