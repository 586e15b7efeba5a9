"""What a request says: its particulars, each field with a parser that refuses bad input.

    parse_identifier("email-addr:rahul.k@gmail.com")
    # {'type': 'email-addr', 'value': 'rahul.k@gmail.com'}
    parse_period("2025-01-01..2025-03-31")
    # {'from': '2025-01-01', 'to': '2025-03-31'}

The fields (all optional while drafting; the checklist of the request's kind and requested
country decides which are required):

=================  ======  ============================================================
field              type    what it holds
=================  ======  ============================================================
authority          text    the requesting authority (the agency, the officer)
facts              text    the facts of the case
offences           list    statute references, ``IN:BNS 318(4)``
nexus              text    how the evidence sought relates to the offence
identifiers        list    accounts and identifiers, ``{"type", "value"}``
period             range   ``{"from", "to"}``: the dates of the data sought
assistance         list    the assistance asked for, and the questions
custodian          text    who holds the data, and where
necessity          text    why it must be preserved now
follow_up          flag    that an MLA request will follow a preservation
probable_cause     text    facts establishing probable cause (content from the US)
confidentiality    text    whether and why the request must stay confidential
urgency_reason     text    why it is urgent
reciprocity        flag    an assurance of reciprocity
danger             text    the danger to life an emergency request is about
subject            text    the person to locate or arrest
=================  ======  ============================================================
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Final

from comity.core.errors import ComityError
from comity.legal.errors import LegalInputError

TEXT_FIELDS: Final = (
    "authority",
    "facts",
    "nexus",
    "custodian",
    "necessity",
    "probable_cause",
    "confidentiality",
    "urgency_reason",
    "danger",
    "subject",
)
LIST_FIELDS: Final = ("offences", "assistance", "identifiers")
FLAG_FIELDS: Final = ("follow_up", "reciprocity")
FIELDS: Final = (*TEXT_FIELDS, *LIST_FIELDS, *FLAG_FIELDS, "period")

ACCOUNT_TYPES: Final = (
    "email-addr",
    "phone-number",
    "bank-account",
    "upi-id",
    "user-account",
    "domain-name",
    "url",
    "ipv4-addr",
    "ipv6-addr",
    "cryptocurrency-wallet",
)
"""Identifier types that name an account or a resource whose data a holder keeps."""

MAX_TEXT: Final = 20_000
_OFFENCE = re.compile(r"\s*([A-Za-z]{2})\s*:\s*(\S.*?)\s*")
_STATUTE = re.compile(r".*\d.*")


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` lower-cased if it is one of ``choices``; else a clear error naming them."""
    cleaned = value.strip().lower()
    if cleaned not in choices:
        raise LegalInputError(
            f"unknown {what} {value!r}: use one of {', '.join(choices)}", **{what: value}
        )
    return cleaned


def clean_text(value: str, field: str) -> str:
    """Strip ``value``; refuse control characters (other than newlines and tabs) and excess."""
    text = value.strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise LegalInputError(f"{field}: contains control characters", field=field)
    if len(text) > MAX_TEXT:
        raise LegalInputError(
            f"{field}: longer than {MAX_TEXT} characters", field=field, length=len(text)
        )
    return text


def parse_offence(value: str) -> str:
    """``in: BNS 318(4)`` → ``IN:BNS 318(4)``; refuse anything without a country and a section."""
    match = _OFFENCE.fullmatch(value)
    if not match or not _STATUTE.fullmatch(match.group(2)):
        raise LegalInputError(
            f"offence {value!r} must look like 'IN:BNS 318(4)' or 'US:18 U.S.C. 1343'",
            value=value,
        )
    return f"{match.group(1).upper()}:{clean_text(match.group(2), 'offence')}"


def is_statute_reference(value: str) -> bool:
    """Whether ``value`` is a statute reference: a country, an act and a section number."""
    match = _OFFENCE.fullmatch(value)
    return bool(
        match and _STATUTE.fullmatch(match.group(2)) and re.search(r"[A-Za-z]", match.group(2))
    )


def parse_identifier(value: str, country: str | None = None) -> dict[str, str]:
    """``TYPE:VALUE`` (``email-addr:x@example.com``) → the normalized identifier.

    Refuses an unknown type, a type that names no account, or a value that does not normalize.
    """
    from comity.intel.observables import normalize

    type_, sep, raw = value.partition(":")
    type_ = type_.strip().lower()
    if not sep or not raw.strip():
        raise LegalInputError(
            f"identifier {value!r} must look like 'email-addr:name@example.com'", value=value
        )
    if type_ not in ACCOUNT_TYPES:
        raise LegalInputError(
            f"identifier type {type_!r} is not one of {', '.join(ACCOUNT_TYPES)}", value=value
        )
    try:
        observable = normalize(type_, raw, country=country)
    except ComityError as exc:
        raise LegalInputError(f"identifier {value!r}: {exc.message}", value=value) from None
    if not observable.valid:
        raise LegalInputError(f"identifier {value!r}: {observable.reason}", value=value)
    return {"type": type_, "value": observable.value}


def parse_day(value: str, field: str = "date") -> date:
    """An ISO 8601 calendar date, ``2025-01-31``."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise LegalInputError(
            f"{field}: {value!r} is not a date (YYYY-MM-DD)", value=value
        ) from None


def parse_period(value: str) -> dict[str, str]:
    """``2025-01-01..2025-03-31`` → ``{"from", "to"}``; the start may not follow the end."""
    start, sep, end = value.partition("..")
    if not sep:
        raise LegalInputError(
            f"period {value!r} must look like '2025-01-01..2025-03-31'", value=value
        )
    first, last = parse_day(start, "period"), parse_day(end, "period")
    if first > last:
        raise LegalInputError(f"period {value!r} ends before it starts", value=value)
    return {"from": first.isoformat(), "to": last.isoformat()}


def merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` applied: texts replace, lists extend (without repeats),
    flags and the period replace. ``None`` values are ignored; unknown fields refused."""
    out = dict(current)
    for field, value in changes.items():
        if field not in FIELDS:
            raise LegalInputError(f"a request has no field {field!r}", field=field)
        if value is None:
            continue
        if field in LIST_FIELDS:
            merged = list(out.get(field) or [])
            for item in value:
                if item not in merged:
                    merged.append(item)
            out[field] = merged
        else:
            out[field] = value
    return out
