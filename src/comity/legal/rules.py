"""The tests a route rule's requirements name, each answering yes, no or *unknown*.

    pair = Pair(kb, "IN", "US", need="content", holder="provider", urgency="normal")
    outcome = evaluate(pair, Requirement(test="treaty", kind="mla"))
    outcome.value, outcome.reason     # True, 'Treaty between ... (in force since 2005-10-03)'

An answer is ``True``, ``False`` or ``None`` (the knowledge base does not say). A ``False``
that rests on a list the knowledge base itself calls incomplete is marked ``certain=False``,
so the advisor can say "not in our list — confirm". Tests read only the knowledge base: no
test names a country.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from comity.legal.knowledge import KnowledgeBase
from comity.legal.schema import ConventionEntry, Fact, Member, Requirement

DATA_CLASS = {
    "subscriber": "non-content",
    "traffic": "non-content",
    "content": "content",
    "preservation": "any",
}
"""What kind of stored data a need asks a holder for (needs not listed ask for no stored data)."""

PARTY_ROLES = ("party", "ratified")


@dataclass(frozen=True)
class Pair:
    """The question: from which state, to which, for what need, held by whom, how urgent."""

    kb: KnowledgeBase
    from_: str
    to: str
    need: str
    holder: str
    urgency: str

    def name(self, code: str) -> str:
        """``India (IN)``."""
        return f"{self.kb.country_name(code)} ({code})"


@dataclass
class Outcome:
    """A requirement's answer, why, and the facts it rests on."""

    value: bool | None
    reason: str
    facts: list[tuple[str, Fact]] = field(default_factory=list)
    certain: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _when(value: str | None) -> str:
    return value or "date unknown"


def _convention_in_force(pair: Pair, req: Requirement) -> Outcome:
    conv = pair.kb.convention(req.convention or "")
    if conv is None:
        return Outcome(None, f"the knowledge base has no convention {req.convention!r}")
    facts: list[tuple[str, Fact]] = [("conventions", conv)]
    if conv.stage == "in-force":
        return Outcome(True, f"{conv.name} in force since {_when(conv.in_force)}", facts)
    condition = f": {conv.in_force_condition.rstrip('.')}" if conv.in_force_condition else ""
    return Outcome(False, f"{conv.name} ({conv.reference}) is not in force{condition}", facts)


def _standing(pair: Pair, conv: ConventionEntry, code: str) -> tuple[bool | None, str]:
    member = KnowledgeBase.member(conv.members, code)
    label = pair.name(code)
    if member is not None:
        if member.role in PARTY_ROLES:
            return True, f"{label} is a party"
        words = {
            "signatory": "has signed but not ratified",
            "non-party": "is not a party",
            "non-signatory": "has not signed",
            "member": "is a member",
        }
        return False, f"{label} {words.get(member.role, 'is not a party')}"
    if conv.members_complete:
        return False, f"{label} is not among its parties (list as of {conv.as_of})"
    return None, f"the knowledge base does not say whether {label} is a party"


def _member_facts(conv: ConventionEntry, codes: tuple[str, ...]) -> list[Member]:
    return [m for m in conv.members if m.country in codes]


def _convention_parties(pair: Pair, req: Requirement) -> Outcome:
    conv = pair.kb.convention(req.convention or "")
    if conv is None:
        return Outcome(None, f"the knowledge base has no convention {req.convention!r}")
    answers = [_standing(pair, conv, c) for c in (pair.from_, pair.to)]
    outcome_facts: list[tuple[str, Fact]] = [("conventions", conv)]
    weakest = [m.status for m in _member_facts(conv, (pair.from_, pair.to)) if m.status]
    extra = {"member_status": weakest}
    if any(a is False for a, _ in answers):
        reasons = "; ".join(r for a, r in answers if a is False)
        return Outcome(False, f"{conv.name}: {reasons}", outcome_facts, extra=extra)
    if any(a is None for a, _ in answers):
        reasons = "; ".join(r for a, r in answers if a is None)
        return Outcome(None, f"{conv.name}: {reasons}", outcome_facts, extra=extra)
    return Outcome(
        True,
        f"{pair.name(pair.from_)} and {pair.name(pair.to)} are parties to the {conv.name}",
        outcome_facts,
        extra=extra,
    )


def _treaty(pair: Pair, req: Requirement) -> Outcome:
    kind = req.kind or "mla"
    words = "MLA" if kind == "mla" else kind
    treaty = pair.kb.treaty(pair.from_, pair.to, kind)
    between = f"{pair.name(pair.from_)} and {pair.name(pair.to)}"
    if treaty is not None:
        facts: list[tuple[str, Fact]] = [("treaties", treaty)]
        if treaty.stage == "in-force":
            return Outcome(
                True,
                f"{treaty.name} (in force since {_when(treaty.in_force)})",
                facts,
                extra={"treaty": treaty},
            )
        if treaty.stage == "operational":
            year = treaty.operational_year or "year not recorded"
            return Outcome(
                True, f"{treaty.name} (operational since {year})", facts, extra={"treaty": treaty}
            )
        if treaty.stage == "none":
            return Outcome(False, f"no {words} treaty between {between}", facts)
        detail = f"signed {treaty.signed}" if treaty.signed else f"at stage '{treaty.stage}'"
        return Outcome(
            False,
            f"the {words} treaty between {between} is {detail}; the knowledge base does not "
            "say it is in force",
            facts,
            certain=False,
        )
    registers = [r for c in (pair.from_, pair.to) if (r := pair.kb.register(c, "treaties", kind))]
    if not registers:
        return Outcome(
            None, f"the knowledge base has no list of {words} treaties of either {between}"
        )
    register = registers[0]
    facts = [("registers", register)]
    if register.complete:
        return Outcome(False, f"no {words} treaty between {between}", facts)
    return Outcome(
        False,
        f"no {words} treaty between {between} in the knowledge base, whose list is "
        f"incomplete: {register.note.rstrip('.')}",
        facts,
        certain=False,
    )


def _no_treaty(pair: Pair, req: Requirement) -> Outcome:
    found = _treaty(pair, req)
    if found.value is None:
        return found
    if found.value:
        return Outcome(False, f"a treaty applies: {found.reason}", found.facts)
    return Outcome(True, found.reason, found.facts, certain=found.certain)


def _agreement(pair: Pair, req: Requirement) -> Outcome:
    kind = req.kind or ""
    found = [g for g in pair.kb.agreements(pair.from_, pair.to) if g.kind == kind]
    between = f"{pair.name(pair.from_)} and {pair.name(pair.to)}"
    if found:
        g = found[0]
        facts: list[tuple[str, Fact]] = [("agreements", g)]
        if g.stage == "in-force":
            return Outcome(
                True,
                f"{g.name} (in force since {_when(g.in_force)})",
                facts,
                extra={"agreement": g},
            )
        if g.stage == "negotiating":
            return Outcome(False, f"{g.name}: negotiating since {_when(g.since)}", facts)
        return Outcome(False, g.name, facts)
    registers = [r for c in (pair.from_, pair.to) if (r := pair.kb.register(c, "agreements", kind))]
    if not registers:
        return Outcome(
            None,
            f"the knowledge base does not say whether a {kind} agreement exists between {between}",
        )
    register = registers[0]
    certain = register.complete
    return Outcome(
        False,
        f"no {kind} agreement between {between} ({register.note})",
        [("registers", register)],
        certain=certain,
    )


def matching_rules(pair: Pair, mode: str) -> list[Any]:
    """The requested state's disclosure rules of ``mode`` for the pair's holder and need."""
    wanted = DATA_CLASS.get(pair.need)
    if wanted is None:
        return []
    return [
        r
        for r in pair.kb.disclosure_rules(pair.to)
        if r.mode == mode
        and r.holder == pair.holder
        and (r.data == "any" or wanted == "any" or r.data == wanted)
    ]


def _rule(pair: Pair, req: Requirement) -> Outcome:
    mode = req.mode or ""
    rules = matching_rules(pair, mode)
    if rules:
        rule = rules[0]
        return Outcome(True, rule.requirement, [("disclosure_rules", rule)], extra={"rule": rule})
    known = [r for r in pair.kb.disclosure_rules(pair.to) if r.holder == pair.holder]
    what = DATA_CLASS.get(pair.need, pair.need)
    if known:
        return Outcome(
            False,
            f"the law of {pair.name(pair.to)} as the knowledge base holds it has no {mode} "
            f"disclosure of {what} data by a {pair.holder}",
            [("disclosure_rules", r) for r in known],
        )
    return Outcome(
        None,
        f"the knowledge base holds no rules on what a {pair.holder} in {pair.name(pair.to)} "
        "may disclose",
    )


def _member(pair: Pair, req: Requirement) -> Outcome:
    org = pair.kb.organisation(req.organisation or "")
    if org is None:
        return Outcome(None, f"the knowledge base has no organisation {req.organisation!r}")
    code = pair.from_ if req.who == "from" else pair.to
    facts: list[tuple[str, Fact]] = [("organisations", org)]
    member = KnowledgeBase.member(org.members, code)
    if member is not None and member.role == "member":
        return Outcome(True, f"{pair.name(code)} is a member of {org.name}", facts)
    if org.members_complete:
        return Outcome(False, f"{pair.name(code)} is not a member of {org.name}", facts)
    count = f"{org.member_count.value} members; " if org.member_count else ""
    return Outcome(
        None,
        f"{pair.name(code)} is a member of {org.name} ({count}the knowledge base does not "
        "list them all)",
        facts,
    )


def _pilot(pair: Pair, req: Requirement) -> Outcome:
    org = pair.kb.organisation(req.organisation or "")
    notice = next((n for n in org.notices if n.id == req.notice), None) if org else None
    if org is None or notice is None:
        return Outcome(None, f"the knowledge base has no notice {req.notice!r}")
    code = pair.from_ if req.who == "from" else pair.to
    facts: list[tuple[str, Fact]] = [("organisations", org)]
    if notice.scope != "pilot" or code in notice.pilot_members:
        return Outcome(True, f"{pair.name(code)} takes part in the {notice.name}", facts)
    return Outcome(
        None,
        f"{pair.name(code)} takes part in the {notice.name} pilot ({notice.purpose}; the "
        "knowledge base does not list every participant)",
        facts,
    )


def _provision(pair: Pair, req: Requirement) -> Outcome:
    code = pair.from_ if req.of == "from" else pair.to
    found = pair.kb.provisions(code, req.role)
    if found:
        p = found[0]
        return Outcome(
            True, f"{p.reference}: {p.title}", [("provisions", p)], extra={"provision": p}
        )
    return Outcome(
        None,
        f"the knowledge base does not hold the law of {pair.name(code)} on this "
        f"({(req.role or '').replace('-', ' ')})",
    )


TESTS: dict[str, Callable[[Pair, Requirement], Outcome]] = {
    "convention-in-force": _convention_in_force,
    "convention-parties": _convention_parties,
    "treaty": _treaty,
    "no-treaty": _no_treaty,
    "agreement": _agreement,
    "rule": _rule,
    "member": _member,
    "pilot": _pilot,
    "provision": _provision,
}


def evaluate(pair: Pair, requirement: Requirement) -> Outcome:
    """Answer one requirement for ``pair``."""
    return TESTS[requirement.test](pair, requirement)
