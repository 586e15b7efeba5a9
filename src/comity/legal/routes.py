"""The route advisor: the lawful routes to evidence, an asset or a person abroad, fastest first.

    advice = advise(kb, "IN", "US", "content")
    [r["mechanism"] for r in advice["routes"]]
    # ['provider-preservation', 'mla-treaty']
    advice["excluded"][0]
    # {'mechanism': 'budapest-expedited-preservation', 'reason': 'India (IN) is not a party …'}

Every route comes from a rule in the knowledge base (``mechanisms.json``): which needs it
serves, for which holders and urgency, and what must hold (:mod:`comity.legal.rules`). A rule
whose requirements all hold is a route; one with a requirement that fails is *excluded*, with
the reason; one the knowledge base cannot decide is *undetermined* — the advisor says what it
does not know instead of guessing. Routes are ordered by their sourced expected time when every
route has one; otherwise by the class order :data:`~comity.legal.schema.MECHANISM_CLASSES`
(emergency disclosure, preservation, direct request to a provider, police-to-police, MLA
request, letter rogatory, extradition), a sourced time ordering routes within a class.
"""

from __future__ import annotations

import re
from typing import Any

from comity.legal.errors import LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.particulars import check_choice, parse_offence
from comity.legal.rules import Outcome, Pair, evaluate, matching_rules
from comity.legal.schema import (
    HOLDERS,
    MECHANISM_CLASSES,
    NEEDS,
    STATUSES,
    URGENCIES,
    Fact,
    MechanismEntry,
    entry_key,
    entry_label,
)

DEFAULT_HOLDER = {
    "subscriber": "provider",
    "traffic": "provider",
    "content": "provider",
    "preservation": "provider",
    "bank-records": "bank",
    "freeze-assets": "bank",
    "testimony": "person",
    "search": "person",
    "locate-person": "person",
    "arrest": "person",
}
"""Who holds what a need asks for, when ``--holder`` is not given."""

_WEAKNESS = {"verified": 0, "interpretation": 1, "unverified": 2, "conflict": 3}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z-]+))?(?::([a-z-]+))?\}")


def weakest(statuses: list[str]) -> str:
    """The least certain of ``statuses`` (``verified`` < ``interpretation`` < ``unverified`` <
    ``conflict``)."""
    known = [s for s in statuses if s in STATUSES]
    return max(known, key=_WEAKNESS.__getitem__) if known else "verified"


class _Route:
    """One mechanism being turned into a route for a pair."""

    def __init__(self, pair: Pair, mechanism: MechanismEntry) -> None:
        self.pair = pair
        self.m = mechanism
        self.facts: list[tuple[str, Fact]] = [("mechanisms", mechanism)]
        self.statuses: list[str] = [mechanism.status]
        self.basis: list[str] = list(mechanism.legal_basis)
        self.preconditions: list[str] = []
        self.outcomes: list[Outcome] = []

    def expand(self, text: str, reason: str = "") -> str:
        """Fill ``{from}``, ``{to}``, ``{from:ROLE}``, ``{from:provision:ROLE}``, ``{reason}``,
        ``{rule_channels}`` from the knowledge base."""
        kb, pair = self.pair.kb, self.pair

        def one(match: re.Match[str]) -> str:
            name, first, second = match.groups()
            if name == "reason":
                return reason
            if name == "rule_channels":
                channels = [
                    c for o in self.outcomes if (r := o.extra.get("rule")) for c in r.channels
                ]
                return (
                    " or ".join(channels) if channels else "the channel the requested state accepts"
                )
            code = pair.from_ if name == "from" else pair.to if name == "to" else None
            if code is None:
                return match.group(0)
            if first is None:
                return pair.name(code)
            if first == "provision":
                found = kb.provisions(code, second)
                if found:
                    self.facts.append(("provisions", found[0]))
                    return f"{found[0].title} ({found[0].reference})"
                return f"the {second} of {pair.name(code)} (not in the knowledge base)"
            authority = kb.authority(code, first)
            if authority is not None:
                self.facts.append(("authorities", authority))
                return authority.name
            words = first.replace("-", " ").replace("mla", "MLA")
            return f"the {words} of {pair.name(code)} (not in the knowledge base)"

        return _PLACEHOLDER.sub(one, text)

    def add(self, outcome: Outcome) -> None:
        """Take in a requirement that holds: its facts, legal basis and preconditions."""
        self.outcomes.append(outcome)
        self.facts.extend(outcome.facts)
        self.statuses.extend(outcome.extra.get("member_status", []))
        for key in ("treaty", "agreement"):
            if (found := outcome.extra.get(key)) is not None:
                self.basis.append(found.name)
        if (rule := outcome.extra.get("rule")) is not None:
            self.basis.extend(rule.legal_basis)
            self.preconditions.extend(rule.preconditions)
        if (provision := outcome.extra.get("provision")) is not None:
            self.basis.append(f"{provision.reference} ({provision.title})")
        if not outcome.certain:
            self.preconditions.append(f"Confirm: {outcome.reason.rstrip('.')}.")
            self.statuses.append("unverified")


def _dual_criminality(route: _Route, offence: str | None) -> dict[str, Any] | None:
    kb, m = route.pair.kb, route.m
    out: dict[str, Any] | None
    if m.dual_criminality == "from-treaty":
        treaty = next((o.extra["treaty"] for o in route.outcomes if "treaty" in o.extra), None)
        if treaty is None:
            out = None
        else:
            required = {"required": True, "not-required": False}.get(treaty.dual_criminality)
            basis = treaty.dual_criminality_note or (
                "The knowledge base does not say whether this treaty requires dual criminality."
            )
            out = {"required": required, "basis": basis, "status": treaty.status}
    elif m.dual_criminality is None:
        out = None
    else:
        out = m.dual_criminality.model_dump()
    if out is None:
        out = {"required": None, "basis": "The knowledge base does not say.", "status": None}
    if offence:
        entry, mapped = kb.offence(offence), kb.offence_map(offence)
        out["offence"] = {
            "ref": offence,
            "title": entry.title if entry else None,
            "known": entry is not None,
            "corresponding": list(mapped.to) if mapped else [],
            "correspondence_status": mapped.status if mapped else None,
            "correspondence_note": mapped.note
            if mapped
            else "The knowledge base maps no corresponding offence.",
        }
        if mapped:
            route.facts.append(("offence_map", mapped))
    return out


def _expected(route: _Route) -> dict[str, Any] | None:
    name = route.m.expected_figure
    if not name:
        return None
    figure = route.pair.kb.figure_for(route.pair.to, name)
    if figure is None or figure.value is None:
        return None
    route.facts.append(("figures", figure))
    return {
        "min": None,
        "max": None,
        "typical": figure.value,
        "note": f"{figure.subject}: {figure.note}" if figure.note else figure.subject,
        **figure.provenance(),
    }


def _sources(kb: KnowledgeBase, facts: list[tuple[str, Fact]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for kind, fact in facts:
        key = (kind, entry_key(kind, fact))
        if key in seen:
            continue
        seen.add(key)
        out.append({"fact": f"{kind}/{entry_label(kind, fact)}", **kb.fact(kind, fact)})
    return out


def _notices(pair: Pair, m: MechanismEntry) -> list[str]:
    org = pair.kb.organisation(m.notices_of or "")
    if org is None:
        return []
    return [f"{n.name} ({n.purpose})" for n in org.notices if pair.need in n.needs]


def _build(route: _Route, offence: str | None, preservation: list[str]) -> dict[str, Any]:
    pair, m = route.pair, route.m
    for role in m.legal_basis_roles:
        for provision in pair.kb.provisions(pair.from_, role):
            route.basis.append(f"{provision.reference} ({provision.title})")
            route.facts.append(("provisions", provision))
    for mode in m.rule_modes:
        for rule in matching_rules(pair, mode):
            route.basis.extend(rule.legal_basis)
            route.preconditions.extend(rule.preconditions)
            route.facts.append(("disclosure_rules", rule))
    if pair.need in m.preserve_first and pair.holder == "provider":
        if preservation:
            route.preconditions.insert(
                0,
                f"Preserve the data first ({'; '.join(preservation)}): this route takes "
                "long and the holder may delete the data meanwhile.",
            )
        else:
            route.preconditions.insert(
                0,
                "Ask for preservation first; the knowledge base has no preservation route "
                f"between {pair.name(pair.from_)} and {pair.name(pair.to)}.",
            )
    for caveat in m.caveats:
        held = evaluate(pair, caveat.unless)
        if held.value is not True:
            route.preconditions.append(route.expand(caveat.text, held.reason))
            route.facts.extend(held.facts)
    notices = _notices(pair, m)
    preconditions = [route.expand(p) for p in m.preconditions] + route.preconditions
    expected = _expected(route)
    dual = _dual_criminality(route, offence)
    next_steps = [route.expand(s) for s in m.next_steps]
    if m.request_kind:
        next_steps.append(
            f"Create the request: comity request create CASE --kind {m.request_kind} "
            f"--to {pair.to} --need {pair.need}"
        )
    sources = _sources(pair.kb, route.facts)
    status = weakest(route.statuses + [s["status"] for s in sources])
    return {
        "mechanism": m.id,
        "name": m.name,
        "class": m.class_,
        "legal_basis": list(dict.fromkeys(route.basis + notices)),
        "channel": route.expand(m.channel),
        "expected_days": expected,
        "expected_days_note": None
        if expected
        else "No sourced duration: the knowledge base does not say how long this route takes.",
        "preconditions": list(dict.fromkeys(preconditions)),
        "dual_criminality": dual,
        "request_kind": m.request_kind,
        "sources": sources,
        "status": status,
        "next_steps": next_steps,
    }


def _order(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def typical(r: dict[str, Any]) -> float:
        e = r["expected_days"]
        return float(e["typical"]) if e else float("inf")

    if routes and all(r["expected_days"] for r in routes):
        return sorted(routes, key=lambda r: (typical(r), r["mechanism"]))
    return sorted(
        routes, key=lambda r: (MECHANISM_CLASSES.index(r["class"]), typical(r), r["mechanism"])
    )


def _applicable(pair: Pair, m: MechanismEntry) -> tuple[str, str | None]:
    """``("skip"|"excluded"|"evaluate", reason)`` before requirements are looked at."""
    if m.not_for and pair.need in m.not_for.needs:
        return "excluded", m.not_for.reason
    if pair.need not in m.needs or pair.holder not in m.holders:
        return "skip", None
    if pair.urgency not in m.urgency:
        allowed = " or ".join(m.urgency)
        return (
            "excluded",
            f"only when the urgency is {allowed} (an emergency involving danger to life)"
            if allowed == "emergency"
            else f"only when the urgency is {allowed}",
        )
    return "evaluate", None


def advise(
    kb: KnowledgeBase,
    from_: str,
    to: str,
    need: str,
    *,
    holder: str | None = None,
    urgency: str = "normal",
    offence: str | None = None,
) -> dict[str, Any]:
    """The routes from ``from_`` to ``to`` for ``need``: ``{"query", "routes", "excluded",
    "undetermined", "answer"}`` (see the module docstring). Bad input raises
    :class:`~comity.legal.errors.LegalInputError`."""
    src, dst = kb.country_code(from_, "--from"), kb.country_code(to, "--to")
    if src == dst:
        raise LegalInputError(
            f"--from and --to are both {src}: the advisor is for requests abroad", country=src
        )
    need = check_choice(need, NEEDS, "need")
    holder = check_choice(holder, HOLDERS, "holder") if holder else DEFAULT_HOLDER[need]
    urgency = check_choice(urgency, URGENCIES, "urgency")
    ref = parse_offence(offence) if offence else None
    pair = Pair(kb, src, dst, need, holder, urgency)
    candidates: list[_Route] = []
    excluded: list[dict[str, Any]] = []
    undetermined: list[dict[str, Any]] = []
    for m in kb.mechanisms():
        verdict, reason = _applicable(pair, m)
        if verdict == "skip":
            continue
        if verdict == "excluded":
            excluded.append({"mechanism": m.id, "name": m.name, "reason": reason})
            continue
        route = _Route(pair, m)
        outcomes = [(r, evaluate(pair, r)) for r in m.requires]
        failed = [o for _, o in outcomes if o.value is False]
        unknown = [(r, o) for r, o in outcomes if o.value is None]
        if failed:
            excluded.append(
                {"mechanism": m.id, "name": m.name, "reason": "; ".join(o.reason for o in failed)}
            )
            continue
        blocking = [o for r, o in unknown if r.if_unknown == "undetermined"]
        if blocking:
            undetermined.append(
                {"mechanism": m.id, "name": m.name, "reason": "; ".join(o.reason for o in blocking)}
            )
            continue
        if any(r.if_unknown == "exclude" for r, _ in unknown):
            excluded.append(
                {
                    "mechanism": m.id,
                    "name": m.name,
                    "reason": "; ".join(o.reason for r, o in unknown if r.if_unknown == "exclude"),
                }
            )
            continue
        for _, outcome in outcomes:
            if outcome.value is None:
                route.preconditions.append(f"Confirm: {outcome.reason.rstrip('.')}.")
                route.statuses.append("unverified")
                route.facts.extend(outcome.facts)
            else:
                route.add(outcome)
        candidates.append(route)
    preservation = [c.m.name for c in candidates if c.m.class_ == "preservation"]
    routes = _order([_build(c, ref, preservation) for c in candidates])
    if routes:
        answer = "routes"
    elif undetermined:
        answer = "unknown"
    else:
        answer = "none"
    return {
        "query": {
            "from": src,
            "to": dst,
            "need": need,
            "holder": holder,
            "urgency": urgency,
            "offence": ref,
        },
        "answer": answer,
        "message": _message(pair, answer),
        "routes": routes,
        "excluded": excluded,
        "undetermined": undetermined,
    }


def _message(pair: Pair, answer: str) -> str:
    where = f"from {pair.name(pair.from_)} to {pair.name(pair.to)}"
    if answer == "routes":
        return f"Routes for {pair.need} {where}, held by a {pair.holder}."
    if answer == "unknown":
        return (
            f"The knowledge base does not know a route for {pair.need} {where}: see "
            "'undetermined' for what it lacks."
        )
    return f"No lawful route for {pair.need} {where} in the knowledge base: see 'excluded'."
