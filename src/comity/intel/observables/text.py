"""Text helpers every normalizer shares: digits of any script, defanging, invisible characters.

::

    to_ascii_digits("९८७६५ ४३२१०")                    # '98765 43210'
    refang("hxxps://evil[.]example(dot)com[/]x")      # 'https://evil.example.com/x'
    clean("  a\u200bb \t c ")                         # 'ab c'
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache

_INVISIBLE = dict.fromkeys(
    cp for cp in (0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x200E, 0x200F)
)
_WS = re.compile(r"\s+")


@cache
def _bmp_digits() -> dict[int, int]:
    """Every decimal digit of the Basic Multilingual Plane outside ASCII -> its ASCII digit
    (built once, on first use: about 20 ms)."""
    return {
        cp: 48 + unicodedata.decimal(chr(cp)) for cp in range(0x80, 0x10000) if chr(cp).isdecimal()
    }


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def to_ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script (Devanagari, Bengali…) made ASCII."""
    if text.isascii():
        return text
    text = text.translate(_bmp_digits())
    if _ASTRAL.search(text) is None:
        return text
    return "".join(
        chr(48 + unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
        for ch in text
    )


def strip_invisible(text: str) -> str:
    """``text`` without zero-width and other invisible formatting characters."""
    if text.isascii():
        return text
    return text.translate(_INVISIBLE)


def clean(text: str) -> str:
    """NFKC, invisible characters removed, whitespace collapsed to one space, trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", strip_invisible(text))
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or not text.isascii():
        text = _WS.sub(" ", text)
    return text.strip()


# Defanged notations, undone in single values and in free text alike. No pattern starts with
# an unbounded repetition, so scanning is linear in the length of the text.
_DEFANG = re.compile(
    r"(?P<dot> ?[\[({] ?(?:\.|dot|DOT|Dot) ?[\])}] ?|\\\.)"
    r"|(?P<at> ?[\[({] ?(?:@|at|AT|At) ?[\])}] ?)"
    r"|(?P<colon>[\[({]:[\])}])"
    r"|(?P<slashes>[\[({]://[\])}])"
    r"|(?P<slash>[\[({]/[\])}])"
    r"|(?P<scheme>\b[hH](?:[xX]{2}|\*\*|\[[tT]{2}\]|[tT][xX]|[xX][tT])[pP](?=[sS]?(?::|\[:\]|\[://\])))"
    r"|(?P<ftp>\b[fF][xX][pP](?=:|\[:\]))"
)
_REPLACEMENT = {
    "dot": ".",
    "at": "@",
    "colon": ":",
    "slashes": "://",
    "slash": "/",
    "scheme": "http",
    "ftp": "ftp",
}


def _maybe_defanged(text: str) -> bool:
    """A cheap test run first: text failing it has nothing defanged (the full pattern is much
    slower, having to try every alternative at every position)."""
    if "[" in text or "(" in text or "{" in text or "\\" in text:
        return True
    lower = text.lower()
    return "xxp" in lower or "**p" in lower or "txp" in lower or "xtp" in lower or "fxp" in lower


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENT[match.lastgroup or "dot"]


def refang(text: str) -> str:
    """Undo defanging: ``hxxp``, ``[.]``, ``(dot)``, ``[:]``, ``[at]``, ``[/]``, ``\\.``…"""
    if not _maybe_defanged(text):
        return text
    return _DEFANG.sub(_replace, text)


class OffsetMap:
    """Maps offsets in a refanged text back to the original text.

    ::

        text = "see evil[.]com"
        refanged, offsets = refang_with_offsets(text)      # 'see evil.com'
        offsets.start(9), offsets.end(12)                  # 11, 14 -> text[11:14] == 'com'
    """

    def __init__(self) -> None:
        self._new: list[int] = []  # start of each replacement in the new text
        self._new_end: list[int] = []
        self._old: list[int] = []
        self._old_end: list[int] = []

    def add(self, new_start: int, new_end: int, old_start: int, old_end: int) -> None:
        """Record that ``old[old_start:old_end]`` became ``new[new_start:new_end]``."""
        self._new.append(new_start)
        self._new_end.append(new_end)
        self._old.append(old_start)
        self._old_end.append(old_end)

    def _map(self, pos: int, inside: Callable[[int], int]) -> int:
        i = bisect_right(self._new, pos) - 1
        if i < 0:
            return pos
        if pos >= self._new_end[i]:
            return self._old_end[i] + (pos - self._new_end[i])
        if pos == self._new[i]:
            return self._old[i]
        return inside(i)

    def start(self, pos: int) -> int:
        """The original offset of a span starting at ``pos`` in the refanged text."""
        return self._map(pos, lambda i: self._old[i])

    def end(self, pos: int) -> int:
        """The original offset of a span ending at ``pos`` in the refanged text."""
        if pos > 0:
            i = bisect_right(self._new, pos - 1) - 1
            if i >= 0 and self._new[i] < pos <= self._new_end[i]:
                return self._old_end[i]
        return self._map(pos, lambda i: self._old_end[i])


def refang_with_offsets(text: str) -> tuple[str, OffsetMap | None]:
    """Refang ``text`` and return a map back to its offsets (``None`` when nothing changed)."""
    if not _maybe_defanged(text):
        return text, None
    offsets = OffsetMap()
    parts: list[str] = []
    last = 0
    new_len = 0
    for match in _DEFANG.finditer(text):
        start, end = match.span()
        parts.append(text[last:start])
        new_len += start - last
        replacement = _REPLACEMENT[match.lastgroup or "dot"]
        offsets.add(new_len, new_len + len(replacement), start, end)
        parts.append(replacement)
        new_len += len(replacement)
        last = end
    if last == 0 and not parts:
        return text, None
    parts.append(text[last:])
    return "".join(parts), offsets
