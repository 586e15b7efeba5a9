"""The values the observables library returns: :class:`Observable` and :class:`Found`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Observable:
    """One identifier in its canonical form, with what was reported and whether it is valid.

    ``value`` is the canonical form (see ``docs/observables.md``); for an invalid identifier it
    is a cleaned form of what was reported (never dropped), ``valid`` is false and ``reason``
    says why::

        >>> from comity.intel.observables import normalize
        >>> normalize("email-addr", " Rahul.Verma[at]Example[.]com ")
        Observable(type='email-addr', value='rahul.verma@example.com', raw=' Rahul.Verma[at]Example[.]com ', valid=True, reason=None)
        >>> normalize("file-md5", "abc").reason
        'an MD5 hash has 32 hexadecimal digits, not 3'
    """  # noqa: E501

    type: str
    value: str
    raw: str
    valid: bool
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the fields."""
        return {
            "type": self.type,
            "value": self.value,
            "raw": self.raw,
            "valid": self.valid,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Found(Observable):
    """An :class:`Observable` found in a text, with its character offsets into that text.

    ``text[found.start:found.end] == found.raw`` always holds::

        >>> from comity.intel.observables import extract
        >>> text = "Call +91 98765 43210 now"
        >>> (found,) = extract(text)
        >>> text[found.start:found.end], found.value
        ('+91 98765 43210', '+919876543210')
    """

    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the fields, offsets included."""
        return {
            "type": self.type,
            "value": self.value,
            "raw": self.raw,
            "start": self.start,
            "end": self.end,
            "valid": self.valid,
            "reason": self.reason,
        }
