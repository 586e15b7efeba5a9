"""``phone-number``: E.164 through ``phonenumbers``; national short codes as ``CC:digits``.

The reporting country is the default region for numbers written nationally. International
prefixes resolve whatever that region: ``+``, ``00`` and ``011`` (the North American one)::

    normalize("phone-number", "098765 43210", country="IN").value       # '+919876543210'
    normalize("phone-number", "0091 98765 43210", country="US").value   # '+919876543210'
    normalize("phone-number", "(415) 555-2671", country="US").value     # '+14155552671'
    normalize("phone-number", "१९३०", country="IN").value               # 'IN:1930'

In a country whose national numbers may begin with ``011`` (Delhi: ``011 2345 6789``), a
number beginning with ``011`` is read nationally when that gives a valid number, and as
international otherwise. A national number that is invalid for the reporting country but valid
once read with a ``+`` in front (``91 98765 43210`` in a US report) is read as international.

A number that parses but is not assigned in the numbering plan (per the metadata of
``phonenumbers``) keeps its E.164 form, flagged invalid, so its written variants still match.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, shortnumberinfo

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean, to_ascii_digits

NANP = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])
"""Regions of the North American Numbering Plan, where ``011`` is the international prefix."""

KNOWN_SHORT_CODES: dict[str, frozenset[str]] = {
    # Helplines absent from phonenumbers' short-number metadata, or worth naming here.
    "IN": frozenset(
        {"100", "101", "102", "108", "112", "181", "1091", "1098", "1930", "14567", "155260"}
    ),
    "US": frozenset({"211", "311", "411", "511", "611", "711", "811", "911", "988"}),
}
"""Short codes accepted as valid besides those ``phonenumbers`` knows (India's 1930 cyber-crime
helpline is not in its metadata)."""

_SHORT = re.compile(r"([A-Za-z]{2}):(\d{2,8})")
_DIGIT_OR_PLUS = re.compile(r"[^\d+]")
_LETTER = re.compile(r"[A-Za-z]")
_E164 = PhoneNumberFormat.E164


@cache
def _nanp(region: str | None) -> bool:
    return region is None or region in NANP


def _parse(number: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def is_known_short_code(digits: str, region: str) -> bool:
    """Whether ``digits`` is a valid short code (helpline, emergency number) in ``region``.

    ::

        is_known_short_code("1930", "IN")   # True (cyber-crime helpline)
        is_known_short_code("2024", "IN")   # False
    """
    if digits in KNOWN_SHORT_CODES.get(region, ()):
        return True
    number = _parse(digits, region)
    return number is not None and shortnumberinfo.is_valid_short_number_for_region(number, region)


def _short(digits: str, region: str | None) -> tuple[str, str | None]:
    if region is None:
        return digits, "a short code needs the reporting country"
    value = f"{region}:{digits}"
    if is_known_short_code(digits, region):
        return value, None
    return value, f"not a known short code in {region}"


def _international(digits: str) -> PhoneNumber | None:
    return _parse("+" + digits, None) if digits else None


_PLAIN = re.compile(r"\+?[0-9 ().\-]{7,24}")
_NOTE = re.compile(r"\s*[(\[][^()\[\]\d]*[A-Za-z][^()\[\]\d]*[)\]]")
"""A note in brackets beside a number (``(whatsapp)``, ``[office]``): not part of it."""
_NOT_DIGIT = re.compile(r"[^0-9]")


@lru_cache(maxsize=1 << 16)
def _valid_e164(candidate: str) -> str | None:
    """The E.164 form of ``+<digits>`` when it is a valid number, else ``None`` (cached: many
    written forms, one number).

    The digits after the country code may still carry a national trunk prefix
    (``+91 (0) 98201 34567``, ``+44 07911 123456``, ``+1 1 888…``), which ``phonenumbers``
    drops: the result is its formatting, never the candidate as written.
    """
    if candidate.startswith(("+91", "+1")) and len(candidate) in (12, 13):
        # India and North America: no need to parse, the country code is known.
        code = 91 if candidate[1] == "9" else 1
        rest = candidate[3:] if code == 91 else candidate[2:]
        if len(rest) == 10 and rest[0] not in "01":
            number = PhoneNumber(country_code=code, national_number=int(rest))
            return candidate if phonenumbers.is_valid_number(number) else None
    parsed = _parse(candidate, None)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, _E164))


def _fast(text: str, country: str | None) -> str | None:
    """The E.164 form of the commonest ways of writing numbers of India and North America,
    when the number is valid; ``None`` sends the number to the full parse.

    Gives what :func:`_slow` gives for the same input (a property test compares them): the
    national forms handled are a 10-digit number, the trunk prefix (``0`` in India, ``1`` in
    North America) and, in India, the country code without ``+``, which ``phonenumbers`` also
    strips when what is left is valid.
    """
    if not _PLAIN.fullmatch(text):
        return None
    digits = _NOT_DIGIT.sub("", text)
    n = len(digits)
    if text[0] == "+":
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif country == "IN":
        if n == 10 and digits[0] in "6789":
            candidate = "+91" + digits
        elif n == 11 and digits[0] == "0" and digits[1] in "6789":
            candidate = "+91" + digits[1:]
        elif n == 12 and digits.startswith("91") and digits[2] in "6789":
            candidate = "+" + digits
        else:
            return None
    elif country == "US":
        if digits.startswith("011"):
            candidate = "+" + digits[3:]
        elif n == 10 and digits[0] in "23456789":
            candidate = "+1" + digits
        elif n == 11 and digits[0] == "1" and digits[1] in "23456789":
            candidate = "+" + digits
        else:
            return None
    else:
        return None
    return _valid_e164(candidate)


@REGISTRY.register("phone-number", uses_country=True)
def normalize_phone(raw: str, country: str | None) -> tuple[str, str | None]:
    """Phone numbers: E.164 (``+919876543210``), short codes ``IN:1930``."""
    text = clean(_NOTE.sub(" ", to_ascii_digits(raw)))
    fast = _fast(text, country)
    if fast is not None:
        return fast, None
    return _slow(text, country)


def _slow(text: str, country: str | None) -> tuple[str, str | None]:
    """The full parse of a cleaned number through ``phonenumbers``."""
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    short = _SHORT.fullmatch(text)
    if short:
        return _short(short.group(2), short.group(1).upper())
    plus = text.lstrip("( ").startswith("+")
    has_letters = _LETTER.search(text) is not None
    digits = _DIGIT_OR_PLUS.sub("", text).replace("+", "")
    reported = ("+" if plus else "") + digits
    if not digits:
        return text, "no digits"
    if not plus and len(digits) <= 6 and not has_letters:
        return _short(digits, country)

    candidates: list[PhoneNumber | None] = []
    if plus:
        candidates.append(_parse(text if has_letters else reported, None))
    elif digits.startswith("00") and not digits.startswith("000"):
        candidates.append(_international(digits[2:]))
    elif digits.startswith("011") and _nanp(country):
        candidates.append(_international(digits[3:]))
    else:
        if country is not None:
            candidates.append(_parse(text if has_letters else digits, country))
        if digits.startswith("011"):
            candidates.append(_international(digits[3:]))
        if country is not None and len(digits) >= 11:
            candidates.append(_international(digits))

    parsed = [number for number in candidates if number is not None]
    for number in parsed:
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, _E164), None
    if parsed and phonenumbers.is_possible_number(parsed[0]):
        plan = f"+{parsed[0].country_code}"
        return (
            phonenumbers.format_number(parsed[0], _E164),
            f"not an assigned number in the numbering plan of {plan}",
        )
    if country is None and not plus:
        return reported, "a national number needs the reporting country"
    return reported, f"not a possible phone number{f' in {country}' if country else ''}"
