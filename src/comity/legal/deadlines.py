"""Deadlines of preservation requests, from the knowledge base's preservation periods.

    applicable_period(kb, request)    # US: §2703(f) 90 days + one renewal; Budapest: ≥ 60 days
    deadlines(session, kb, request)   # [{'kind': 'preservation-lapses', 'due': '2026-07-09', …},
                                      #  {'kind': 'follow-up-mla', 'due': …, 'satisfied_by': None}]
    due(session, actor, kb, 14)       # what falls due in the next 14 days, overdue first

A preservation runs from its transmission until it lapses — while the requested state is
acknowledging and executing it, and after it reports it executed (the data is preserved, the
clock still runs) — until the request is closed, refused or withdrawn. Where the knowledge base
has no period for the requested country, the deadline says so (``due`` null) instead of
guessing one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.core.timeutil import utcnow
from comity.identity import audit
from comity.identity.services import Actor, node_info
from comity.legal.errors import LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import LegalRequest
from comity.legal.requests import visible
from comity.legal.schema import PreservationPeriodEntry

MAX_WINDOW_DAYS: Final = 3660
FOLLOW_UP_KINDS: Final = ("mla-request", "letter-rogatory")
PRESERVING: Final = ("transmitted", "acknowledged", "executing", "executed", "partially-executed")
"""States in which a preservation request keeps data preserved (and its clock runs)."""


def applicable_period(kb: KnowledgeBase, request: LegalRequest) -> PreservationPeriodEntry | None:
    """The preservation period for ``request``: the requested country's own, else that of a
    convention in force to which both countries are parties; ``None`` if the KB has neither."""
    periods = kb.preservation_periods()
    for period in periods:
        if period.applies_to.country == request.to_country:
            return period
    for period in periods:
        where = period.applies_to
        convention = kb.convention(where.convention) if where.convention else None
        if convention is None or where.domestic or convention.stage != "in-force":
            continue
        roles = [
            kb.member(convention.members, c) for c in (request.from_country, request.to_country)
        ]
        if all(m is not None and m.role == "party" for m in roles):
            return period
    return None


def node_zone(session: Session) -> ZoneInfo:
    """The node's time zone: deadlines fall on its calendar days."""
    return ZoneInfo(node_info(session).timezone)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in ``zone``."""
    return moment.astimezone(zone).date()


def _follow_up_by(session: Session, request: LegalRequest) -> LegalRequest | None:
    """The transmitted MLA request or letter rogatory that follows a preservation, if any."""
    if request.case_id is None:
        return None
    query = (
        select(LegalRequest)
        .where(
            LegalRequest.case_id == request.case_id,
            LegalRequest.to_country == request.to_country,
            LegalRequest.kind.in_(FOLLOW_UP_KINDS),
            LegalRequest.transmitted_at.is_not(None),
            LegalRequest.state != "withdrawn",
        )
        .order_by(LegalRequest.transmitted_at)
    )
    return session.scalars(query).first()


def deadlines(session: Session, kb: KnowledgeBase, request: LegalRequest) -> list[dict[str, Any]]:
    """The deadlines of an open, transmitted preservation request: when the preservation lapses,
    and the MLA request it promised (until one for the same case and country is transmitted)."""
    if request.kind != "preservation" or request.state not in PRESERVING:
        return []
    if request.transmitted_at is None:
        return []
    case = session.get(Case, request.case_id) if request.case_id else None
    period = applicable_period(kb, request)
    sent = local_day(request.transmitted_at, node_zone(session))
    base: dict[str, Any] = {"request": request.id, "case": case.reference if case else None}
    if period is None:
        reason = (
            f"the knowledge base has no preservation period for {request.to_country} "
            f"(requested from {request.from_country}): ask the requested state how long it keeps "
            "preserved data"
        )
        lapse: dict[str, Any] = {
            **base,
            "kind": "preservation-lapses",
            "due": None,
            "minimum": False,
            "basis": [],
            "source": None,
            "status": None,
            "note": reason,
            "period": None,
            "renewals": {"used": request.renewals, "allowed": None},
        }
    else:
        extra = request.renewals * (period.renewal_days or 0)
        expiry = sent + timedelta(days=period.days + extra)
        how = "at least until" if period.minimum else "until"
        renewed = (
            f" and {request.renewals} renewal(s) of {period.renewal_days} days"
            if request.renewals
            else ""
        )
        lapse = {
            **base,
            "kind": "preservation-lapses",
            "due": expiry.isoformat(),
            "minimum": period.minimum,
            "basis": list(period.legal_basis),
            "source": period.source,
            "status": period.status,
            "note": f"preserved {how} {expiry.isoformat()} ({period.days} days from "
            f"{sent.isoformat()}{renewed})" + (f". {period.note}" if period.note else ""),
            "period": period.id,
            "renewals": {"used": request.renewals, "allowed": period.renewals},
        }
    out = [lapse]
    if (request.particulars or {}).get("follow_up") is False:
        return out
    follower = _follow_up_by(session, request)
    out.append(
        {
            **{k: lapse[k] for k in ("request", "case", "due", "minimum", "basis")},
            "kind": "follow-up-mla",
            "source": lapse["source"],
            "status": lapse["status"],
            "note": (
                f"satisfied: {follower.id} ({follower.kind}) transmitted"
                if follower
                else f"the MLA request to {request.to_country} the preservation promised must be "
                "transmitted before the preservation lapses"
                + ("" if period else "; " + lapse["note"])
            ),
            "satisfied_by": follower.id if follower else None,
        }
    )
    return out


def parse_window(text: str) -> int:
    """``14d`` → 14, ``2w`` → 14: the days ahead ``comity request due`` looks."""
    raw = text.strip().lower()
    number, unit = raw[:-1], raw[-1:]
    if unit not in ("d", "w") or not number.isdigit() or len(number) > 5:
        raise LegalInputError(
            f"window {text[:20]!r} must be a number of days or weeks, such as 14d or 2w",
            within=text[:20],
        )
    days = int(number) * (7 if unit == "w" else 1)
    if days > MAX_WINDOW_DAYS:
        raise LegalInputError(f"window {text!r} is longer than {MAX_WINDOW_DAYS} days")
    return days


def due(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    within_days: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Deadlines of the requests ``actor`` may see falling due within ``within_days`` (overdue
    ones flagged ``overdue``), soonest first; those the KB cannot date (``due`` null) last."""
    today = local_day(now or utcnow(), node_zone(session))
    horizon = today + timedelta(days=within_days)
    query = select(LegalRequest).where(
        LegalRequest.kind == "preservation", LegalRequest.state.in_(PRESERVING)
    )
    found = []
    for request in visible(session, actor, list(session.scalars(query))):
        for item in deadlines(session, kb, request):
            if item.get("satisfied_by"):
                continue
            when = date.fromisoformat(item["due"]) if item["due"] else None
            if when is not None and when > horizon:
                continue
            found.append(
                {
                    **item,
                    "overdue": when is not None and when < today,
                    "days_left": (when - today).days if when else None,
                }
            )
    found.sort(key=lambda d: (d["due"] is None, d["due"] or "", d["request"], d["kind"]))
    audit.record(
        session,
        actor.username,
        "legal.request.due",
        "legal_request",
        None,
        details={"within_days": within_days, "count": len(found)},
    )
    return {"today": today.isoformat(), "within_days": within_days, "deadlines": found}
