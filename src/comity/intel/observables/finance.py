"""Financial observables: ``bank-account`` (India IFSC + account number, IBAN) and ``upi-id``.

Indian accounts are canonical as ``IFSC:ACCOUNT`` (IFSC upper case, the account number's
digits with leading zeros kept), whichever way they were written::

    normalize("bank-account", "A/c no. 1234 5678 9012, IFSC - sbin0001234").value
    #  'SBIN0001234:123456789012'
    normalize("bank-account", "123456789012 (SBIN0001234)").value   # same
    normalize("bank-account", "GB29 NWBK 6016 1331 9268 19").value  # 'GB29NWBK60161331926819'
    normalize("upi-id", "Rahul.Verma@OKAXIS").value                  # 'rahul.verma@okaxis'

An IFSC is ``^[A-Z]{4}0[A-Z0-9]{6}$``; a letter ``O`` written for the fifth character's zero
is corrected. An IBAN is checked for its country's length and its ISO 7064 mod-97 check digits.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean, refang, to_ascii_digits

IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
"""An Indian Financial System Code: bank (4 letters), ``0``, branch (6 characters)."""

_IFSC_IN_TEXT = re.compile(r"(?<![A-Z0-9])([A-Z]{4})([0O])([A-Z0-9]{6})(?![A-Z0-9])")
_ACCOUNT_IN_TEXT = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){5,21}(?![0-9])")
_CANONICAL = re.compile(r"([A-Z]{4}0[A-Z0-9]{6}):([0-9]{9,18})")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}")
_SEPARATORS = re.compile(r"[\s\-.]")

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
"""IBAN length per country (the ISO 13616 registry)."""

ACCOUNT_DIGITS = (9, 18)
"""Indian bank account numbers have 9 to 18 digits."""


def iban_checksum_ok(iban: str) -> bool:
    """Whether a compact, upper-case IBAN passes the ISO 7064 mod-97-10 check.

    ::

        iban_checksum_ok("GB29NWBK60161331926819")   # True
        iban_checksum_ok("GB28NWBK60161331926819")   # False
    """
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def check_iban(compact: str) -> str | None:
    """Why a compact upper-case IBAN is invalid (``None`` when it is valid).

    ::

        check_iban("GB29NWBK60161331926819")   # None
        check_iban("GB29NWBK6016133192681")    # 'an IBAN of GB has 22 characters, not 21'
    """
    if not _IBAN_SHAPE.fullmatch(compact):
        return "not shaped like an IBAN"
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None:
        return f"{compact[:2]} has no IBAN"
    if len(compact) != expected:
        return f"an IBAN of {compact[:2]} has {expected} characters, not {len(compact)}"
    if not iban_checksum_ok(compact):
        return "the IBAN's check digits do not match"
    return None


def _account_reason(account: str) -> str | None:
    low, high = ACCOUNT_DIGITS
    if low <= len(account) <= high:
        return None
    return f"an Indian account number has {low} to {high} digits, not {len(account)}"


@REGISTRY.register("bank-account")
def normalize_bank_account(raw: str, country: str | None) -> tuple[str, str | None]:
    """Bank accounts: ``IFSC:ACCOUNT`` for India, compact IBAN elsewhere."""
    text = clean(to_ascii_digits(raw)).upper()
    canonical = _CANONICAL.fullmatch(text)
    if canonical:
        return text, None
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("IBAN"):
        compact = compact[4:].lstrip(":")
    if _IBAN_SHAPE.fullmatch(compact) and compact[:2] in IBAN_LENGTHS:
        return compact, check_iban(compact)

    ifsc_match = _IFSC_IN_TEXT.search(text)
    ifsc = None
    rest = text
    if ifsc_match and (ifsc_match.group(2) == "0" or any(c.isdigit() for c in ifsc_match[3])):
        ifsc = f"{ifsc_match.group(1)}0{ifsc_match.group(3)}"
        rest = text[: ifsc_match.start()] + " " + text[ifsc_match.end() :]
    accounts = [m.group(0) for m in _ACCOUNT_IN_TEXT.finditer(rest)]
    account = max(accounts, key=len).replace(" ", "").replace("-", "") if accounts else None
    if ifsc and account:
        return f"{ifsc}:{account}", _account_reason(account)
    if account:
        return account, "an account number without IFSC or IBAN does not identify an account"
    if ifsc:
        return ifsc, "an IFSC without an account number"
    return compact, "neither an IFSC with an account number nor an IBAN"


_UPI = re.compile(r"[a-z0-9][a-z0-9._-]{0,255}@[a-z][a-z0-9]{1,63}")


@REGISTRY.register("upi-id")
def normalize_upi(raw: str, country: str | None) -> tuple[str, str | None]:
    """UPI IDs (VPAs): ``handle@psp`` in lowercase; ``upi://pay?pa=…`` links accepted."""
    text = refang(clean(raw))
    if text[:6].lower() == "upi://":
        payee = parse_qs(urlsplit(text).query).get("pa")
        if payee:
            text = payee[0].strip()
    text = text.replace(" ", "").lower()
    if _UPI.fullmatch(text):
        return text, None
    if "@" not in text:
        return text, "a UPI ID is handle@psp"
    if "." in text.rpartition("@")[2]:
        return text, "the PSP handle of a UPI ID has no dot (an e-mail address?)"
    return text, "not a valid UPI ID"
