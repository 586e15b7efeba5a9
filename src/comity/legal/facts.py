"""What the knowledge base says about a country, or between two: every fact with its source.

    view = facts_for(kb, "IN", "US")
    [s["title"] for s in view["sections"]]
    # ['Central authorities and channels', 'Law', 'Treaties', 'Agreements', 'Conventions', …]
    view["sections"][2]["facts"][0]["source"]     # 'Embassy of India, Washington; …'

Each fact is ``{"text", "source", "as_of", "status", "origin"}`` (``figures`` for a conflict;
``origin`` is ``package`` or the imported version). Sections with nothing to say are listed
with ``facts: []`` and a ``note`` saying the knowledge base has nothing, never left out.
"""

from __future__ import annotations

from typing import Any

from comity.legal.errors import LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.schema import Fact, entry_label


def _fact(kb: KnowledgeBase, kind: str, entry: Fact, text: str, **more: Any) -> dict[str, Any]:
    return {
        "text": text,
        "fact": f"{kind}/{entry_label(kind, entry)}",
        **more,
        **kb.fact(kind, entry),
    }


def _section(title: str, facts: list[dict[str, Any]], empty: str) -> dict[str, Any]:
    return {"title": title, "facts": facts, "note": None if facts else empty}


def _authorities(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for code in codes:
        for entry in kb.all("authorities"):
            if entry.country == code:
                notes = f" {' '.join(entry.notes)}" if entry.notes else ""
                role = entry.role.replace("-", " ").replace("mla", "MLA")
                facts.append(
                    _fact(kb, "authorities", entry, f"{code} {role}: {entry.name}.{notes}")
                )
    return _section(
        "Central authorities and channels", facts, "The knowledge base names no authority."
    )


def _law(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for code in codes:
        for p in kb.provisions(code):
            replaces = f" (replaces {p.replaces})" if p.replaces else ""
            summary = f" {p.summary}" if p.summary else ""
            facts.append(
                _fact(
                    kb,
                    "provisions",
                    p,
                    f"{p.reference}{replaces}: {p.title}.{summary}",
                    has_text=p.text is not None,
                )
            )
        for r in kb.disclosure_rules(code):
            facts.append(
                _fact(
                    kb,
                    "disclosure_rules",
                    r,
                    f"{code} {r.holder}s, {r.data} data, {r.mode}: {r.requirement} "
                    f"({', '.join(r.legal_basis)}).",
                )
            )
    return _section("Law", facts, "The knowledge base holds none of this country's law.")


def _treaties(kb: KnowledgeBase, code: str, other: str | None) -> dict[str, Any]:
    facts = []
    for t in kb.treaties(code, other):
        dates = ", ".join(
            part
            for part in (
                f"signed {t.signed}" if t.signed else "",
                f"in force {t.in_force}" if t.in_force else "",
                f"operational {t.operational_year}"
                if t.operational_year and not t.in_force
                else "",
            )
            if part
        )
        dual = {
            "required": "dual criminality required",
            "not-required": "dual criminality not required",
        }.get(t.dual_criminality, "")
        detail = "; ".join(x for x in (t.stage, dates, dual) if x)
        notes = f" {' '.join(t.notes)}" if t.notes else ""
        facts.append(_fact(kb, "treaties", t, f"{t.name} ({detail}).{notes}", stage=t.stage))
    for register in kb.registers(code) + (kb.registers(other) if other else []):
        if register.of == "treaties":
            facts.append(
                _fact(kb, "registers", register, register.note, complete=register.complete)
            )
    empty = (
        f"The knowledge base has no treaty between {code} and {other}."
        if other
        else f"The knowledge base has no treaty of {code}."
    )
    return _section("Treaties", facts, empty)


def _agreements(kb: KnowledgeBase, code: str, other: str | None) -> dict[str, Any]:
    facts = []
    for g in kb.agreements(code, other):
        notes = f" {' '.join(g.notes)}" if g.notes else ""
        since = f", in force {g.in_force}" if g.in_force else ""
        facts.append(_fact(kb, "agreements", g, f"{g.name} ({g.stage}{since}).{notes}"))
    return _section("Agreements", facts, "The knowledge base has no agreement here.")


def _standing(kb: KnowledgeBase, code: str, conv_members: list[Any], complete: bool) -> str:
    member = KnowledgeBase.member(conv_members, code)
    if member is not None:
        since = f" since {member.since}" if member.since else ""
        flag = f" [{member.status}]" if member.status else ""
        return f"{code}: {member.role}{since}{flag}"
    return f"{code}: not a party" if complete else f"{code}: not recorded"


def _conventions(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for conv in kb.all("conventions"):
        stage = f"in force since {conv.in_force}" if conv.stage == "in-force" else "not in force"
        standings = "; ".join(_standing(kb, c, conv.members, conv.members_complete) for c in codes)
        count = f" {conv.member_count.note}" if conv.member_count and conv.member_count.note else ""
        facts.append(
            _fact(
                kb,
                "conventions",
                conv,
                f"{conv.name} ({conv.reference}), {stage}. {standings}.{count}",
            )
        )
    for org in kb.all("organisations"):
        standings = "; ".join(_standing(kb, c, org.members, org.members_complete) for c in codes)
        count = f" {org.member_count.note}" if org.member_count and org.member_count.note else ""
        facts.append(_fact(kb, "organisations", org, f"{org.name}: {standings}.{count}"))
    return _section("Conventions and organisations", facts, "None.")


def _preservation(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for p in kb.preservation_periods():
        applies = p.applies_to
        if applies.country and applies.country not in codes:
            continue
        where = applies.country or f"between parties to {applies.convention}"
        least = "at least " if p.minimum else ""
        renew = f", renewable {p.renewals} time(s) for {p.renewal_days} days" if p.renewals else ""
        facts.append(
            _fact(
                kb,
                "preservation_periods",
                p,
                f"{where}: {least}{p.days} days{renew} ({', '.join(p.legal_basis)}).",
            )
        )
    return _section("Preservation periods", facts, "No preservation period applies.")


def _offences(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for o in kb.all("offences"):
        if o.country not in codes:
            continue
        penalty = f", up to {o.max_imprisonment}" if o.max_imprisonment else ""
        mapped = kb.offence_map(o.ref)
        corresponding = [r for r in (mapped.to if mapped else []) if r[:2] in codes]
        also = f" Corresponds to: {', '.join(corresponding)}." if corresponding else ""
        facts.append(
            _fact(
                kb,
                "offences",
                o,
                f"{o.ref}: {o.title}{penalty}.{also}",
                has_text=o.text is not None,
            )
        )
    return _section("Offences", facts, "The knowledge base has no offences of this country.")


def _figures(kb: KnowledgeBase, codes: list[str]) -> dict[str, Any]:
    facts = []
    for f in kb.all("figures"):
        if f.country and f.country not in codes:
            continue
        value = f" {f.value}{' ' + f.unit if f.unit else ''}" if f.value is not None else ""
        note = f" {f.note}" if f.note else ""
        facts.append(_fact(kb, "figures", f, f"{f.subject}:{value}.{note}"))
    return _section("Figures", facts, "No figures.")


def facts_for(
    kb: KnowledgeBase,
    country: str,
    other: str | None = None,
    sections: list[str] | None = None,
) -> dict[str, Any]:
    """Everything the knowledge base holds for ``country`` (and between it and ``other``);
    with ``sections``, only the sections whose title contains one of those words."""
    code = kb.country_code(country)
    second = kb.country_code(other, "--with") if other else None
    if second == code:
        raise LegalInputError(f"--with names the same country as COUNTRY ({code})", country=code)
    codes = [code] + ([second] if second else [])
    sections_all = [
        _authorities(kb, codes),
        _law(kb, codes),
        _treaties(kb, code, second),
        _agreements(kb, code, second),
        _conventions(kb, codes),
        _preservation(kb, codes),
        _offences(kb, codes),
        _figures(kb, codes),
    ]
    if sections:
        words = [w.strip().lower() for w in sections if w.strip()]
        chosen = [s for s in sections_all if any(w in s["title"].lower() for w in words)]
        if not chosen:
            titles = ", ".join(s["title"] for s in sections_all)
            raise LegalInputError(f"no section matches {', '.join(words)}: {titles}")
        sections_all = chosen
    return {
        "country": {"code": code, "name": kb.country_name(code)},
        "with": {"code": second, "name": kb.country_name(second)} if second else None,
        "sections": sections_all,
        "counts": {
            status: sum(1 for s in sections_all for f in s["facts"] if f["status"] == status)
            for status in ("verified", "unverified", "conflict", "interpretation")
        },
    }
