"""Checking one complaint record: properties over generated input (Hypothesis)."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from comity.link.rows import FIELDS, ComplaintRecord, Mapping, RowOptions, check_row

BASE = {"complaint_id": "C-1", "country": "IN", "received_on": "2024-03-18"}
text = st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*FIELDS, "extra", ""]),
        st.one_of(text, st.integers(), st.floats(), st.none(), st.lists(text, max_size=3)),
    )
)
def test_any_record_is_accepted_or_rejected_with_a_reason(values: dict[str, object]) -> None:
    result = check_row(values, Mapping.default(), RowOptions(country="IN"))
    assert isinstance(result, ComplaintRecord) or (isinstance(result, str) and result)
    # What a worker of `link ingest --workers` sends back is what it checked.
    assert pickle.loads(pickle.dumps(result)) == result


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_losses_are_kept_exactly(amount: Decimal) -> None:
    result = check_row({**BASE, "loss_amount": str(amount)}, Mapping.default(), RowOptions())
    assert isinstance(result, ComplaintRecord)
    assert result.loss_amount is not None and Decimal(result.loss_amount) == amount
    assert "E" not in result.loss_amount and result.currency == "INR"


@given(st.integers(min_value=1_000, max_value=99_99_99_999))
def test_indian_and_western_digit_grouping_read_the_same(amount: int) -> None:
    digits = str(amount)
    head, tail = digits[:-3], digits[-3:]
    indian = ",".join([*_pairs(head), tail]) if head else tail
    western = f"{amount:,}"
    for written in (indian, western):
        result = check_row({**BASE, "loss_amount": written}, Mapping.default(), RowOptions())
        assert isinstance(result, ComplaintRecord) and result.loss_amount == digits


def _pairs(head: str) -> list[str]:
    parts = []
    while len(head) > 2:
        parts.insert(0, head[-2:])
        head = head[:-2]
    return [head, *parts] if head else parts


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1)))
def test_dates_in_the_indian_format_read_as_iso(day: date) -> None:
    mapping = Mapping.default().with_date_format("%d/%m/%Y")
    result = check_row({**BASE, "received_on": day.strftime("%d/%m/%Y")}, mapping, RowOptions())
    assert isinstance(result, ComplaintRecord) and result.received_on == day


@given(st.sampled_from(["+91 98765 43210", "098765-43210", "0091 9876543210", "91-98765-43210"]))
def test_one_number_written_four_ways_is_one_identifier(written: str) -> None:
    result = check_row({**BASE, "phones": [written]}, Mapping.default(), RowOptions())
    assert isinstance(result, ComplaintRecord)
    assert [(i.type, i.value) for i in result.identifiers] == [("phone-number", "+919876543210")]
