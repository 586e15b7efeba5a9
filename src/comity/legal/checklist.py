"""The checklist of a request: the knowledge base's required elements, each a concrete test.

    result = check(kb, request)
    result["complete"]                 # False
    result["missing"][0]["element"]    # 'probable-cause statement'
    result["missing"][0]["detail"]     # 'no text given'

The elements are the knowledge base's for the request's kind and requested country
(:meth:`~comity.legal.knowledge.KnowledgeBase.request_elements`: the general ``*`` list, then the
country's). An element whose ``when`` does not match the request's needs or urgency does not
apply; the same field and test listed twice is checked once. Each test
(:data:`~comity.legal.schema.ELEMENT_TESTS`) looks at ``request.particulars``:

====================  =========================================================================
test                  passes when
====================  =========================================================================
text                  the field is a string, non-empty after stripping
list                  a non-empty list of non-empty strings
flag                  ``true``
statute-reference     a non-empty list of statute references (``IN:BNS 318(4)``), at least one
                      of the requesting country
statute-text          every offence of the requesting country has its text in the knowledge base
account-identifier    at least one identifier of an account type that normalizes as valid
date-range            ``{"from", "to"}``, two ISO dates, the first not after the second
====================  =========================================================================

:func:`check` is pure: it reads the request and the knowledge base and nothing else, and never
raises on odd particulars (a field of the wrong type fails its test with a reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from comity.core.errors import ComityError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.particulars import ACCOUNT_TYPES, is_statute_reference
from comity.legal.schema import Element, OffenceEntry

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class RequestLike(Protocol):
    """What the checklist reads of a request (a :class:`~comity.legal.models.LegalRequest`)."""

    @property
    def kind(self) -> str: ...
    @property
    def from_country(self) -> str: ...
    @property
    def to_country(self) -> str: ...
    @property
    def needs(self) -> Sequence[str] | None: ...
    @property
    def urgency(self) -> str: ...
    @property
    def particulars(self) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """One applicable element and what its test found (``detail`` says why it failed)."""

    element: Element
    ok: bool
    detail: str = ""

    def checked(self) -> dict[str, Any]:
        """``{"element", "field", "test", "ok"}``."""
        e = self.element
        return {"element": e.element, "field": e.field, "test": e.test, "ok": self.ok}

    def missing(self) -> dict[str, Any]:
        """``{"element", "field", "why", "source", "status", "detail"}``."""
        e = self.element
        return {
            "element": e.element,
            "field": e.field,
            "why": e.why,
            "source": e.source,
            "status": e.status,
            "detail": self.detail,
        }


def applies(element: Element, needs: Sequence[str], urgency: str) -> bool:
    """Whether ``element`` applies to a request with these needs and urgency (its ``when``)."""
    when = element.when
    if when is None:
        return True
    if when.needs_any and not set(needs) & set(when.needs_any):
        return False
    return not (when.urgency and when.urgency != urgency)


def applicable_elements(kb: KnowledgeBase, request: RequestLike) -> list[Element]:
    """The elements that apply to ``request``, general first, each field and test once."""
    needs = [n for n in request.needs or [] if isinstance(n, str)]
    out: list[Element] = []
    seen: set[tuple[str, str]] = set()
    for checklist in kb.request_elements(request.kind, request.to_country):
        for element in checklist.elements:
            key = (element.field, element.test)
            if key in seen or not applies(element, needs, request.urgency):
                continue
            seen.add(key)
            out.append(element)
    return out


def find_offence(kb: KnowledgeBase, ref: str) -> OffenceEntry | None:
    """The knowledge base's offence for ``ref``; a subsection falls back to its section.

    ``IN:BNS 318(4)`` is found as ``IN:BNS 318`` when the knowledge base lists only the section.
    """
    return kb.offence(ref)


def offence_country(ref: str) -> str:
    """The country prefix of a statute reference (``IN:BNS 318`` → ``IN``)."""
    return ref.partition(":")[0].strip().upper()


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return "no text given" if value is None else f"not a text ({type(value).__name__})"
    return "" if value.strip() else "no text given"


def _list(value: Any) -> str:
    if value is None:
        return "nothing given"
    if not isinstance(value, list):
        return f"not a list ({type(value).__name__})"
    if not value:
        return "the list is empty"
    for index, item in enumerate(value, 1):
        if not isinstance(item, str) or not item.strip():
            return f"entry {index} is not a non-empty text"
    return ""


def _flag(value: Any) -> str:
    return "" if value is True else "not given" if value is None else "not set"


def _references(value: Any) -> tuple[list[str], str]:
    """The statute references of an ``offences`` value, or why it is not a list of them."""
    problem = _list(value)
    if problem:
        return [], problem
    refs: list[str] = list(value)
    for index, ref in enumerate(refs, 1):
        if not is_statute_reference(ref):
            return refs, f"entry {index} {ref!r} is not a statute reference (like 'IN:BNS 318(4)')"
    return refs, ""


def _statute_reference(value: Any, kb: KnowledgeBase, request: RequestLike) -> str:
    refs, problem = _references(value)
    if problem:
        return problem
    if not any(offence_country(r) == request.from_country for r in refs):
        return f"no offence of {request.from_country}, the requesting country"
    return ""


def _statute_text(value: Any, kb: KnowledgeBase, request: RequestLike) -> str:
    refs, _problem = _references(value)
    own = [
        r
        for r in refs
        if isinstance(r, str)
        and is_statute_reference(r)
        and offence_country(r) == request.from_country
    ]
    if not own:
        return f"no offence of {request.from_country}, the requesting country, to give the text of"
    lacking = []
    for ref in own:
        entry = find_offence(kb, ref)
        if entry is None or not (entry.text or "").strip():
            lacking.append(ref if entry is not None else f"{ref} (not in the knowledge base)")
    if lacking:
        return "no text in the knowledge base for " + ", ".join(lacking)
    return ""


def identifier_problem(item: Any, country: str | None) -> str:
    """Why ``item`` (``{"type", "value"}``) is not a valid account identifier ('' if it is)."""
    from comity.intel.observables import normalize

    if isinstance(item, str):
        written, _sep, value = item.partition(":")
        item = {"type": written, "value": value}
    if not isinstance(item, dict):
        return f"not an identifier ({type(item).__name__})"
    given, raw = item.get("type"), item.get("value")
    if not isinstance(given, str) or not isinstance(raw, str) or not raw.strip():
        return "no type and value"
    type_ = given.strip().lower()
    if type_ not in ACCOUNT_TYPES:
        return f"type {type_!r} names no account"
    try:
        try:
            observable = normalize(type_, raw, country=country)
        except ComityError:  # an unknown country: read the value as written
            observable = normalize(type_, raw)
    except (ComityError, ValueError) as exc:
        return f"{type_}:{raw} does not normalize ({exc})"
    if not observable.valid:
        return f"{type_}:{raw} is not valid ({observable.reason})"
    return ""


def _account_identifier(value: Any, kb: KnowledgeBase, request: RequestLike) -> str:
    if value is None:
        return "no identifier given"
    if not isinstance(value, list):
        return f"not a list ({type(value).__name__})"
    if not value:
        return "no identifier given"
    country = request.from_country if isinstance(request.from_country, str) else None
    problems = [identifier_problem(item, country) for item in value]
    if any(p == "" for p in problems):
        return ""
    return "no valid account identifier: " + "; ".join(problems)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _date_range(value: Any, kb: KnowledgeBase, request: RequestLike) -> str:
    if value is None:
        return "no period given"
    if not isinstance(value, dict):
        return f"not a period ({type(value).__name__})"
    first, last = _day(value.get("from")), _day(value.get("to"))
    if first is None or last is None:
        return "the period needs 'from' and 'to' dates (YYYY-MM-DD)"
    if first > last:
        return f"the period ends ({last}) before it starts ({first})"
    return ""


def _simple(test: Callable[[Any], str]) -> Callable[[Any, KnowledgeBase, RequestLike], str]:
    return lambda value, _kb, _request: test(value)


TESTS: dict[str, Callable[[Any, KnowledgeBase, RequestLike], str]] = {
    "text": _simple(_text),
    "list": _simple(_list),
    "flag": _simple(_flag),
    "statute-reference": _statute_reference,
    "statute-text": _statute_text,
    "account-identifier": _account_identifier,
    "date-range": _date_range,
}
"""Each test of :data:`~comity.legal.schema.ELEMENT_TESTS`: the problem found, or ``''``."""


def evaluate(kb: KnowledgeBase, request: RequestLike) -> list[Outcome]:
    """Every applicable element of ``request`` with its test's outcome, in checklist order."""
    particulars = request.particulars if isinstance(request.particulars, dict) else {}
    out = []
    for element in applicable_elements(kb, request):
        test = TESTS.get(element.test)
        if test is None:  # a schema newer than this module: say so rather than pass it
            problem = f"unknown test {element.test!r}"
        else:
            problem = test(particulars.get(element.field), kb, request)
        out.append(Outcome(element, ok=not problem, detail=problem))
    return out


def summarize(request: RequestLike, outcomes: list[Outcome]) -> dict[str, Any]:
    """The checklist's JSON: ``complete``, ``missing``, ``checked``, ``kind``, ``to``."""
    missing = [o.missing() for o in outcomes if not o.ok]
    return {
        "complete": not missing,
        "missing": missing,
        "checked": [o.checked() for o in outcomes],
        "kind": request.kind,
        "to": request.to_country,
    }


def check(kb: KnowledgeBase, request: RequestLike) -> dict[str, Any]:
    """Check ``request`` against the knowledge base's required elements for its kind and country.

    Returns ``{"complete", "missing": [{"element", "field", "why", "source", "status",
    "detail"}], "checked": [{"element", "field", "test", "ok"}], "kind", "to"}``.
    """
    return summarize(request, evaluate(kb, request))
