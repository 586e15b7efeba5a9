"""What a case needs abroad, and the plan the route advisor makes of it.

    add_need(session, actor, kb, "CBI-2026-0001", need="content", country="US",
             holder_name="Google LLC", description="the Gmail account that sent the e-mails",
             identifiers=["email-addr:kyc.update.sbi@gmail.com"])
    plan = case_plan(session, actor, kb, "CBI-2026-0001")
    plan["actions"]["preserve_today"]     # preservation requests to send now
    plan["actions"]["ask_providers"]      # direct requests to providers
    plan["actions"]["start_requests"]     # MLA requests / letters rogatory, grouped per country

Each need is answered by :func:`comity.legal.routes.advise`; the plan sorts the answers into
what to do today and what to start, and says what each request must contain (the knowledge
base's checklist for its kind and country).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.cases.services import get_case
from comity.core.timeutil import isoformat
from comity.identity import audit
from comity.identity.services import Actor, local_agency
from comity.legal.errors import LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import CaseNeed
from comity.legal.particulars import check_choice, clean_text, parse_identifier
from comity.legal.requests import REQUEST_WRITE_ROLES
from comity.legal.routes import DEFAULT_HOLDER, advise
from comity.legal.schema import HOLDERS, NEEDS, URGENCIES

PRIMARY = {
    "emergency-disclosure": "ask_providers",
    "direct-provider": "ask_providers",
    "police-to-police": "police_channels",
    "mla": "start_requests",
    "letter-rogatory": "start_requests",
    "extradition": "start_requests",
}


def add_need(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    case_ref: str,
    *,
    need: str,
    country: str,
    holder: str | None = None,
    holder_name: str = "",
    urgency: str = "normal",
    description: str = "",
    identifiers: list[str] | None = None,
) -> CaseNeed:
    """Record that a case needs ``need`` from ``country`` (audited); validates everything first."""
    actor.require(*REQUEST_WRITE_ROLES)
    need = check_choice(need, NEEDS, "need")
    code = kb.country_code(country)
    holder = check_choice(holder, HOLDERS, "holder") if holder else DEFAULT_HOLDER[need]
    urgency = check_choice(urgency, URGENCIES, "urgency")
    own = local_agency(session).country
    if code == own:
        raise LegalInputError(
            f"the need is in {code}, this node's own country: the plan is for abroad",
            country=code,
        )
    parsed = [parse_identifier(i, own) for i in identifiers or []]
    case = get_case(session, actor, case_ref, purpose="add legal need")
    number = (
        session.scalar(select(func.max(CaseNeed.number)).where(CaseNeed.case_id == case.id)) or 0
    ) + 1
    row = CaseNeed(
        case_id=case.id,
        number=number,
        need=need,
        country=code,
        holder=holder,
        holder_name=clean_text(holder_name, "holder name"),
        urgency=urgency,
        description=clean_text(description, "description"),
        identifiers=parsed,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.need.add",
        "case",
        str(case.id),
        case_id=case.id,
        details={"number": number, "need": need, "country": code, "holder": holder},
    )
    return row


def list_needs(session: Session, actor: Actor, case_ref: str) -> list[CaseNeed]:
    """The needs of a case, in the order they were added (the read is audited)."""
    case = get_case(session, actor, case_ref, purpose="list legal needs")
    query = select(CaseNeed).where(CaseNeed.case_id == case.id).order_by(CaseNeed.number)
    return list(session.scalars(query))


def need_summary(row: CaseNeed) -> dict[str, Any]:
    """A JSON-ready description of a need."""
    return {
        "number": row.number,
        "need": row.need,
        "country": row.country,
        "holder": row.holder,
        "holder_name": row.holder_name or None,
        "urgency": row.urgency,
        "description": row.description,
        "identifiers": list(row.identifiers or []),
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
    }


def _elements(kb: KnowledgeBase, kind: str, to: str, needs: set[str], urgency: str) -> list[str]:
    names: list[str] = []
    for checklist in kb.request_elements(kind, to):
        for e in checklist.elements:
            if e.when and e.when.needs_any and not needs & set(e.when.needs_any):
                continue
            if e.when and e.when.urgency and e.when.urgency != urgency:
                continue
            if e.element not in names:
                names.append(e.element)
    return names


def _step(row: CaseNeed, route: dict[str, Any]) -> dict[str, Any]:
    return {
        "need": row.number,
        "what": row.need,
        "country": row.country,
        "holder": row.holder_name or row.holder,
        "identifiers": [f"{i['type']}:{i['value']}" for i in row.identifiers or []],
        "mechanism": route["mechanism"],
        "name": route["name"],
        "channel": route["channel"],
        "legal_basis": route["legal_basis"],
        "preconditions": route["preconditions"],
        "status": route["status"],
        "request_kind": route["request_kind"],
    }


def _preserve(steps: list[dict[str, Any]], step: dict[str, Any]) -> None:
    """Add a preservation step, folding it into one for the same holder, country and route."""
    for other in steps:
        same = ("country", "holder", "mechanism", "identifiers")
        if all(other[k] == step[k] for k in same):
            other["needs"].append(step["need"])
            other["what"] = f"{other['what']}, {step['what']}"
            return
    steps.append({**step, "needs": [step["need"]]})


def case_plan(session: Session, actor: Actor, kb: KnowledgeBase, case_ref: str) -> dict[str, Any]:
    """The plan for a whole case: per need its routes, and the actions sorted by when to act."""
    case = get_case(session, actor, case_ref, purpose="legal plan")
    own = local_agency(session).country
    rows = list(
        session.scalars(
            select(CaseNeed).where(CaseNeed.case_id == case.id).order_by(CaseNeed.number)
        )
    )
    offence = next(
        (
            f"{o['jurisdiction']}:{o['reference']}"
            for o in case.offences or []
            if o.get("jurisdiction") == own
        ),
        None,
    )
    actions: dict[str, list[dict[str, Any]]] = {
        "preserve_today": [],
        "ask_providers": [],
        "police_channels": [],
        "unknown": [],
    }
    requests: dict[tuple[str, str], dict[str, Any]] = {}
    answers = []
    for row in rows:
        try:
            advice = advise(
                kb,
                own,
                row.country,
                row.need,
                holder=row.holder,
                urgency=row.urgency,
                offence=offence,
            )
        except LegalInputError:  # a case offence the advisor cannot parse: advise without it
            advice = advise(kb, own, row.country, row.need, holder=row.holder, urgency=row.urgency)
        answers.append({**need_summary(row), "advice": advice})
        routes = advice["routes"]
        if not routes:
            actions["unknown"].append(
                {
                    "need": row.number,
                    "what": row.need,
                    "country": row.country,
                    "message": advice["message"],
                    "reasons": [u["reason"] for u in advice["undetermined"]]
                    or [e["reason"] for e in advice["excluded"]],
                }
            )
            continue
        for route in routes:
            if route["class"] == "preservation":
                _preserve(actions["preserve_today"], _step(row, route))
        primary = next((r for r in routes if r["class"] != "preservation"), None)
        if primary is None:
            continue
        bucket = PRIMARY[primary["class"]]
        if bucket != "start_requests":
            actions[bucket].append(_step(row, primary))
            fallback = next(
                (r for r in routes if PRIMARY.get(r["class"]) == "start_requests"), None
            )
            if fallback is None:
                continue
            primary = {**fallback, "fallback": True}
        key = (row.country, primary["mechanism"])
        group = requests.setdefault(
            key,
            {
                "country": row.country,
                "country_name": kb.country_name(row.country),
                "mechanism": primary["mechanism"],
                "name": primary["name"],
                "request_kind": primary["request_kind"],
                "through": primary["channel"],
                "legal_basis": primary["legal_basis"],
                "expected_days": primary["expected_days"],
                "status": primary["status"],
                "needs": [],
                "preconditions": [],
                "fallback_only": True,
            },
        )
        group["needs"].append(
            {
                "need": row.number,
                "what": row.need,
                "holder": row.holder_name or row.holder,
                "identifiers": [f"{i['type']}:{i['value']}" for i in row.identifiers or []],
            }
        )
        group["fallback_only"] = group["fallback_only"] and bool(primary.get("fallback"))
        for p in primary["preconditions"]:
            if p not in group["preconditions"]:
                group["preconditions"].append(p)
    for group in requests.values():
        kind = group["request_kind"]
        wanted = {n["what"] for n in group["needs"]}
        urgency = "normal"
        group["must_contain"] = (
            _elements(kb, kind, group["country"], wanted, urgency) if kind else []
        )
    audit.record(
        session,
        actor.username,
        "legal.plan",
        "case",
        str(case.id),
        case_id=case.id,
        details={"needs": len(rows)},
    )
    return {
        "case": case.reference,
        "from": own,
        "needs": answers,
        "actions": {**actions, "start_requests": list(requests.values())},
        "message": None
        if rows
        else f"case {case.reference} has no needs abroad: add them with 'comity legal need add'",
    }
