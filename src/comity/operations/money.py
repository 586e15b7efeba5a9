"""Money in operations: exact amounts, ISO 4217 currencies, Indian number formatting.

    parse_amount("2,45,000")             # Decimal('245000')
    parse_amount("2.45 lakh")            # Decimal('245000.00')
    check_currency("inr")                # 'INR'
    format_inr(Decimal("245000"))                    # '₹2,45,000'
    format_inr(Decimal("245000"), style="lakh")      # '₹2.45 lakh'
    format_inr(Decimal("81890000000"), style="crore")  # '₹8,189 crore'

Indian digit grouping puts a comma after the last three digits and then after every two
(``12,34,56,789``); one lakh is 1,00,000 and one crore is 1,00,00,000.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

from comity.operations.errors import OperationInputError

LAKH: Final = Decimal(100_000)
CRORE: Final = Decimal(10_000_000)
MAX_AMOUNT: Final = Decimal("1e12")
"""An amount above this (a lakh crore rupees; a trillion dollars) is not believable."""
MAX_DECIMALS: Final = 4
"""Digits after the decimal point an amount may have."""

InrStyle = Literal["grouped", "lakh", "crore", "auto"]

# fmt: off
CURRENCIES: Final = frozenset(
    (
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
        "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
        "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
        "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
        "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
        "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
        "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
        "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
        "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
        "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
        "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
        "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
        "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XDR",
        "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWL",
    )
)
# fmt: on
"""ISO 4217 alphabetic codes, as the iso-codes project (version 4.15) lists them, less XTS
(reserved for testing) and XXX (no currency)."""

_UNITS: Final = {
    "lakh": LAKH,
    "lakhs": LAKH,
    "lac": LAKH,
    "lacs": LAKH,
    "crore": CRORE,
    "crores": CRORE,
    "cr": CRORE,
}
_PLAIN: Final = re.compile(r"\d+(\.\d+)?")
_WESTERN: Final = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_INDIAN: Final = re.compile(r"\d{1,2}(,\d{2})*,\d{3}(\.\d+)?")
_AMOUNT_TEXT: Final = re.compile(r"([^\sA-Za-z]+)\s*([A-Za-z]*)")


def check_currency(code: str) -> str:
    """Return ``code`` as an upper-case ISO 4217 code, or raise :class:`OperationInputError`."""
    value = code.strip().upper()
    if value not in CURRENCIES:
        raise OperationInputError(
            f"currency {code[:20]!r} is not an ISO 4217 code such as INR or USD", currency=code
        )
    return value


def parse_amount(text: str) -> Decimal:
    """Parse a positive amount: ``245000``, ``245000.50``, ``2,45,000``, ``245,000``,
    ``2.45 lakh``, ``8189 crore``; refuse anything else, and amounts over :data:`MAX_AMOUNT`.
    """
    raw = text.strip()
    match = _AMOUNT_TEXT.fullmatch(raw)
    if match is None or len(raw) > 40:
        raise _bad(text, "is not an amount such as 245000.50, 2,45,000 or 2.45 lakh")
    number, unit = match.group(1), match.group(2).lower()
    if unit and unit not in _UNITS:
        raise _bad(text, f"has an unknown unit {unit!r} (lakh or crore, or none)")
    if number.startswith("-"):
        raise _bad(text, "is negative")
    if _WESTERN.fullmatch(number) or _INDIAN.fullmatch(number):
        number = number.replace(",", "")
    elif not _PLAIN.fullmatch(number):
        raise _bad(text, "is not an amount such as 245000.50, 2,45,000 or 2.45 lakh")
    try:
        amount = Decimal(number) * _UNITS.get(unit, Decimal(1))
    except InvalidOperation:  # pragma: no cover - the patterns admit only digits
        raise _bad(text, "is not a decimal number") from None
    return check_amount(amount, text)


def check_amount(amount: Decimal, given: object = None) -> Decimal:
    """Return ``amount`` if it is finite, positive, believable and has at most
    :data:`MAX_DECIMALS` decimals; else raise :class:`OperationInputError`."""
    shown = amount if given is None else given
    if not amount.is_finite():
        raise _bad(shown, "is not a number")
    if amount <= 0:
        raise _bad(shown, "must be more than zero")
    if amount > MAX_AMOUNT:
        raise _bad(shown, f"is not believable (above {MAX_AMOUNT:,.0f})")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise _bad(shown, f"has more than {MAX_DECIMALS} decimals")
    return amount


def _bad(given: object, why: str) -> OperationInputError:
    text = str(given)
    return OperationInputError(f"amount {text[:40]!r} {why}", amount=text[:100])


def amount_text(amount: Decimal) -> str:
    """An amount as stored: an exact decimal string without exponent (``245000``,
    ``245000.5``)."""
    normal = amount.normalize()
    if normal == normal.to_integral_value():
        return format(normal.quantize(Decimal(1)), "f")
    return format(normal, "f")


def money(amount: Decimal) -> str:
    """An amount for output: two decimals, or more where it has them (``245000.00``)."""
    if amount == amount.quantize(Decimal("0.01")):
        return format(amount.quantize(Decimal("0.01")), "f")
    return format(amount.normalize(), "f")


def group_indian(digits: str) -> str:
    """Group a string of digits the Indian way: ``1234567`` → ``12,34,567``."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def _grouped_number(value: Decimal, places: int | None) -> str:
    """``value`` (not negative) with Indian grouping; ``places`` decimals (``None``: two if it
    has a fraction, none if whole; trailing zeros dropped when ``places`` is given)."""
    if places is None:
        whole = value == value.to_integral_value()
        quantum = Decimal(1) if whole else Decimal("0.01")
        text = format(value.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    else:
        text = format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    integral, _, fraction = text.partition(".")
    grouped = group_indian(integral)
    return f"{grouped}.{fraction}" if fraction else grouped


def format_inr(amount: Decimal, style: InrStyle = "grouped") -> str:
    """Format rupees the Indian way.

    ``grouped``: ``₹2,45,000`` (paise shown, to two places, only when there are some:
    ``₹2,45,000.50``); ``lakh``: ``₹2.45 lakh``; ``crore``: ``₹8,189 crore`` (lakhs and crores
    to at most two decimals, rounded half up, trailing zeros dropped); ``auto``: grouped under
    one lakh, lakh under one crore, crore from one crore up. Negative amounts get a leading
    ``-``::

        format_inr(Decimal("22845.73") * CRORE, "crore")   # '₹22,845.73 crore'
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise OperationInputError(f"cannot format {amount!r} as rupees", amount=str(amount))
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if style == "auto":
        style = "grouped" if value < LAKH else "lakh" if value < CRORE else "crore"
    if style == "grouped":
        text = _grouped_number(value, None)
        if text.strip("0,.") == "":
            sign = ""
        return f"{sign}₹{text}"
    if style not in ("lakh", "crore"):
        raise OperationInputError(
            f"unknown style {style!r}: grouped, lakh, crore or auto", style=str(style)
        )
    unit = LAKH if style == "lakh" else CRORE
    text = _grouped_number(value / unit, 2)
    if text == "0":
        sign = ""
    return f"{sign}₹{text} {style}"
