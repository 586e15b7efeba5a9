"""``person-name`` and ``organization-name``: compared as people write them, not as typed.

Both are NFKC-normalized, case-folded, stripped of invisible characters and punctuation, with
whitespace collapsed. Person names lose leading honorifics (English and Hindi); organization
names lose ``M/s`` and write legal forms one way (``Pvt. Ltd.`` = ``Private Limited``)::

    normalize("person-name", "Shri  RAMESH Kumar.").value          # 'ramesh kumar'
    normalize("person-name", "श्रीमती सुनीता देवी").value           # 'सुनीता देवी'
    normalize("organization-name", "M/s. Sai Infotech Pvt. Ltd.").value
    #  'sai infotech private limited'
"""

from __future__ import annotations

import re
import unicodedata

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import strip_invisible

HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "shri", "shree", "sri",
        "sh", "smt", "kumari", "km", "sushri", "kum", "late", "adv", "er",
        "श्री", "श्रीमती", "सुश्री", "कुमारी", "डॉ", "डा", "डॉक्टर", "श्रीमान", "स्व",
    }
)  # fmt: skip
"""Titles removed from the start of a person's name (after case folding, without dots)."""

LEGAL_FORMS = {
    "pvt": "private",
    "private": "private",
    "ltd": "limited",
    "limited": "limited",
    "inc": "inc",
    "incorporated": "inc",
    "corp": "corporation",
    "corporation": "corporation",
    "co": "company",
    "company": "company",
    "llc": "llc",
    "llp": "llp",
    "plc": "plc",
}
"""Spellings of legal forms in organization names -> the one canonical word."""

_PUNCTUATION = re.compile(r"[^\w\s&'-]|_")
_KEEP = frozenset("&'-")
_DOTTED = re.compile(r"\b(l)\.(l)\.(c|p)\b\.?")
_WS = re.compile(r"\s+")
_MESSRS = re.compile(r"^(?:m/s|messrs)\.?\s*")


def _fold(raw: str) -> str:
    return unicodedata.normalize("NFKC", strip_invisible(raw)).casefold()


def _words(text: str) -> list[str]:
    if text.isascii():
        text = _PUNCTUATION.sub(" ", text)
    else:  # keep letters with their combining vowel signs (Devanagari matras are not \w)
        text = "".join(
            " " if ch not in _KEEP and unicodedata.category(ch)[0] in "PSC" else ch for ch in text
        )
    return _WS.sub(" ", text).strip().split(" ")


def _has_letter(words: list[str]) -> bool:
    return any(ch.isalpha() for word in words for ch in word)


@REGISTRY.register("person-name")
def normalize_person(raw: str, country: str | None) -> tuple[str, str | None]:
    """Person names: NFKC, case-folded, honorifics dropped, whitespace collapsed."""
    words = [w for w in _words(_fold(raw)) if w]
    while len(words) > 1 and words[0] in HONORIFICS:
        words.pop(0)
    value = " ".join(words)
    if not _has_letter(words):
        return value, "a name has letters"
    if len(value) > 200:
        return value, "a name has at most 200 characters"
    return value, None


@REGISTRY.register("organization-name")
def normalize_organization(raw: str, country: str | None) -> tuple[str, str | None]:
    """Organization names: NFKC, case-folded, ``M/s`` dropped, legal forms spelt one way."""
    text = _MESSRS.sub("", _fold(raw).strip())
    text = _DOTTED.sub(lambda m: m.group(1) + m.group(2) + m.group(3), text)
    words = [LEGAL_FORMS.get(w, w) for w in _words(text) if w]
    value = " ".join(words)
    if not _has_letter(words):
        return value, "a name has letters"
    if len(value) > 300:
        return value, "a name has at most 300 characters"
    return value, None
