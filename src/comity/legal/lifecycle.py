"""A request's life: its states, who may move it, its deadlines, and the figures supervisors see.

    kb = current_kb(session)
    advance(session, actor, kb, "REQ-2026-0001", "review", note="ready for the legal officer")
    advance(session, legal_officer, kb, "REQ-2026-0001", "transmitted",
            at=parse_at("2026-01-10T10:00+05:30"))
    renew(session, legal_officer, kb, "REQ-2026-0001", note="renewed with the provider")
    deadlines(session, kb, request)   # [{'kind': 'preservation-lapses', 'due': '2026-07-09', …}]
    due(session, actor, kb, 14)       # what falls due in the next 14 days, overdue first
    stats(session, supervisor, kb)    # pending by country and age, median days to an answer

States (:data:`comity.legal.models.STATES`): ``draft`` → ``review`` → (a letter rogatory:
``central-authority-concurrence`` → ``court-issued``; an MLA request:
``central-authority-approval``) → ``transmitted`` → ``acknowledged`` → ``executing`` →
``executed`` | ``partially-executed`` | ``refused`` → ``closed``; ``withdrawn`` from any open
state. Every move is an event (who, when it happened, why) and is audited. Deadlines come from
the knowledge base's preservation periods; where it has none, the deadline says so (``due``
null) rather than guessing.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.cases.services import can_see
from comity.core.errors import InvalidInput
from comity.core.timeutil import isoformat, parse_time, utcnow
from comity.identity import audit
from comity.identity.services import Actor, node_info
from comity.legal.errors import InvalidTransition, LegalInputError, RequestConflict, UnknownRequest
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import ANSWERED, OPEN_STATES, OUTCOMES, STATES, LegalRequest, RequestEvent
from comity.legal.particulars import (
    FLAG_FIELDS,
    TEXT_FIELDS,
    clean_text,
    parse_identifier,
    parse_offence,
    parse_period,
)
from comity.legal.requests import (
    REQUEST_WRITE_ROLES,
    check_choice,
    history,
    request_summary,
    require_access,
)
from comity.legal.schema import PreservationPeriodEntry

TRANSMIT_ROLES: Final = ("legal_officer", "supervisor", "administrator")
"""Roles that may record the central authority's and the court's steps and a transmission."""
FORMAL_STATES: Final = (
    "central-authority-concurrence",
    "court-issued",
    "central-authority-approval",
    "transmitted",
)
STATS_ROLES: Final = ("supervisor", "legal_officer", "administrator")
CLOCK_SLACK: Final = timedelta(minutes=1)
"""A move may be dated this far ahead of the node's clock (another machine's clock drift)."""
MAX_WINDOW_DAYS: Final = 3660
AGE_BUCKETS: Final = (("0-30", 30), ("31-90", 90), ("91-180", 180), ("181-365", 365))
FORMAL_ROUTES: Final = {
    "letter-rogatory": ("central-authority-concurrence", "court-issued"),
    "mla-request": ("central-authority-approval",),
}
"""The formal steps between review and transmission, per kind; other kinds go straight on."""
FOLLOW_UP_KINDS: Final = ("mla-request", "letter-rogatory")
IN_FLIGHT: Final = ("transmitted", "acknowledged", "executing")


# --- the state machine -----------------------------------------------------------------------


def next_states(kind: str, current: str) -> tuple[str, ...]:
    """The states a request of ``kind`` may move to from ``current`` (in lifecycle order)."""
    steps = FORMAL_ROUTES.get(kind, ())
    route = ("review", *steps, "transmitted")
    out: set[str] = set()
    if current in route[:-1]:
        out.add(route[route.index(current) + 1])
    if current == "draft":
        out.add("review")
    if current == "review":
        out.add("draft")
    if current in ("transmitted", "acknowledged"):
        out.update({IN_FLIGHT[IN_FLIGHT.index(current) + 1], "refused"})
    if current == "executing":
        out.update(ANSWERED)
    if current in OPEN_STATES:
        out.add("withdrawn")
    if current in OUTCOMES:
        out.add("closed")
    return tuple(s for s in STATES if s in out)


def parse_at(text: str, what: str = "time") -> datetime:
    """An ISO 8601 time with its UTC offset (``2026-01-10T10:00+05:30``), for ``--at``."""
    try:
        return parse_time(text.strip())
    except InvalidInput:
        raise LegalInputError(
            f"{what} {text[:60]!r} is not a time with its offset, such as 2026-01-10T10:00+05:30",
            at=text[:100],
        ) from None


def _moment(request: LegalRequest, at: datetime | None, now: datetime) -> datetime:
    """``at`` (default now), refused in the future or before the request's last move."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise LegalInputError("a time needs its UTC offset", at=at.isoformat())
    if at > now + CLOCK_SLACK:
        raise LegalInputError(
            f"the time {isoformat(at)} is in the future (now {isoformat(now)})", at=isoformat(at)
        )
    moves = [e for e in request.events if e.action in ("state", "renew")]
    if moves and at < moves[-1].at:
        last = moves[-1]
        raise LegalInputError(
            f"the time {isoformat(at)} is before the request's last move "
            f"({last.action} to {last.to_state} at {isoformat(last.at)})",
            at=isoformat(at),
            last=isoformat(last.at),
        )
    return at


def _load(session: Session, actor: Actor, request_id: str) -> LegalRequest:
    key = request_id.strip().upper()
    sound = 0 < len(key) <= 40 and key.isprintable()
    request = session.get(LegalRequest, key, with_for_update=True) if sound else None
    if request is None:
        raise UnknownRequest(f"no request {request_id[:40]!r}", request=request_id[:40])
    require_access(session, actor, request)
    return request


def _event(
    request: LegalRequest,
    action: str,
    to: str,
    at: datetime,
    now: datetime,
    actor: Actor,
    note: str,
) -> None:
    request.events.append(
        RequestEvent(
            request_id=request.id,
            seq=max((e.seq for e in request.events), default=0) + 1,
            action=action,
            from_state=request.state,
            to_state=to,
            at=at,
            recorded_at=now,
            actor=actor.username,
            note=note,
        )
    )


def advance(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    request_id: str,
    state: str,
    note: str = "",
    at: datetime | None = None,
) -> LegalRequest:
    """Move a request to ``state`` as of ``at`` (default now), recording who and why (audited).

    A move the lifecycle does not allow raises :class:`InvalidTransition`; an unknown state, a
    time in the future or before the request's last move, :class:`LegalInputError`. The
    central authority's and court's steps and the transmission need a legal officer, a
    supervisor or an administrator. ``kb`` is the knowledge base the caller reads (unused by
    the move itself; kept so every lifecycle call takes the same arguments).
    """
    wanted = check_choice(state, STATES, "state")
    why = clean_text(note, "note")
    request = _load(session, actor, request_id)
    actor.require(*(TRANSMIT_ROLES if wanted in FORMAL_STATES else REQUEST_WRITE_ROLES))
    allowed = next_states(request.kind, request.state)
    if wanted not in allowed:
        raise InvalidTransition(
            f"request {request.id} ({request.kind}) is {request.state}: it can move to "
            + (", ".join(allowed) if allowed else "nothing (closed is final)")
            + f", not {wanted}",
            request=request.id,
            current=request.state,
            to=wanted,
            allowed=list(allowed),
        )
    now = utcnow()
    moment = _moment(request, at, now)
    previous = request.state
    _event(request, "state", wanted, moment, now, actor, why)
    request.state = wanted
    request.updated_at = now
    if wanted == "transmitted":
        request.transmitted_at = moment
    if wanted in ANSWERED:
        request.answered_at = moment
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.advance",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={"from": previous, "to": wanted, "at": isoformat(moment), "note": why},
    )
    return request


# --- preservation periods and deadlines ------------------------------------------------------


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


def _zone(session: Session) -> ZoneInfo:
    return ZoneInfo(node_info(session).timezone)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
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
    if request.kind != "preservation" or request.state not in IN_FLIGHT:
        return []
    if request.transmitted_at is None:
        return []
    case = session.get(Case, request.case_id) if request.case_id else None
    period = applicable_period(kb, request)
    sent = _local_day(request.transmitted_at, _zone(session))
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


def renew(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    request_id: str,
    note: str = "",
    at: datetime | None = None,
) -> LegalRequest:
    """Record the renewal of a transmitted preservation request (audited), as often as the
    applicable period allows (US §2703(f): once, for 90 days) and before it lapses."""
    actor.require(*TRANSMIT_ROLES)
    why = clean_text(note, "note")
    request = _load(session, actor, request_id)
    if request.kind != "preservation" or request.state not in IN_FLIGHT:
        raise RequestConflict(
            f"request {request.id} is a {request.kind} in state {request.state}: only a "
            "transmitted, still open preservation request is renewed",
            request=request.id,
            state=request.state,
        )
    period = applicable_period(kb, request)
    if period is None or not period.renewals:
        which = f"{period.id} ({', '.join(period.legal_basis)})" if period else "no period"
        raise RequestConflict(
            f"the knowledge base gives no renewal of a preservation in {request.to_country}: "
            f"{which}",
            request=request.id,
            period=period.id if period else None,
        )
    if request.renewals >= period.renewals:
        raise RequestConflict(
            f"request {request.id} was renewed {request.renewals} time(s): "
            f"{', '.join(period.legal_basis)} allows {period.renewals}",
            request=request.id,
            renewals=request.renewals,
            allowed=period.renewals,
        )
    now = utcnow()
    moment = _moment(request, at, now)
    lapse = deadlines(session, kb, request)[0]["due"]
    if lapse is not None and _local_day(moment, _zone(session)).isoformat() > lapse:
        raise RequestConflict(
            f"the preservation of request {request.id} lapsed on {lapse}: a renewal dated "
            f"{isoformat(moment)} comes too late; send a new preservation request",
            request=request.id,
            lapsed=lapse,
        )
    _event(request, "renew", request.state, moment, now, actor, why)
    request.renewals += 1
    request.updated_at = now
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.request.renew",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={"at": isoformat(moment), "renewals": request.renewals, "note": why},
    )
    return request


# --- what comes due, and the figures ---------------------------------------------------------


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


def _visible(session: Session, actor: Actor, requests: list[LegalRequest]) -> list[LegalRequest]:
    cases: dict[Any, Case | None] = {}
    out = []
    for request in requests:
        if request.case_id is None:
            if actor.user.has_role("legal_officer", "supervisor", "administrator"):
                out.append(request)
            continue
        if request.case_id not in cases:
            cases[request.case_id] = session.get(Case, request.case_id)
        case = cases[request.case_id]
        if case is not None and can_see(actor, case):
            out.append(request)
    return out


def due(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    within_days: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Deadlines of the requests ``actor`` may see falling due within ``within_days`` (overdue
    ones flagged ``overdue``), soonest first; those the KB cannot date (``due`` null) last."""
    today = _local_day(now or utcnow(), _zone(session))
    horizon = today + timedelta(days=within_days)
    query = select(LegalRequest).where(
        LegalRequest.kind == "preservation", LegalRequest.state.in_(IN_FLIGHT)
    )
    found = []
    for request in _visible(session, actor, list(session.scalars(query))):
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


def _bucket(days: int) -> str:
    for name, limit in AGE_BUCKETS:
        if days <= limit:
            return name
    return "over-365"


def stats(
    session: Session, actor: Actor, kb: KnowledgeBase, now: datetime | None = None
) -> dict[str, Any]:
    """Figures from this node's outgoing requests: the pending ones by country and age (from
    transmission, or creation if not yet sent), and the median days to an answer per country."""
    actor.require(*STATS_ROLES)
    moment = now or utcnow()
    buckets = [name for name, _ in AGE_BUCKETS] + ["over-365"]
    rows = list(session.scalars(select(LegalRequest).where(LegalRequest.direction == "outgoing")))
    by_country: dict[str, int] = {}
    by_age = dict.fromkeys(buckets, 0)
    by_both: dict[str, dict[str, int]] = {}
    waits: dict[str, list[float]] = {}
    for r in rows:
        if r.state in OPEN_STATES:
            age = _bucket((moment - (r.transmitted_at or r.created_at)).days)
            by_country[r.to_country] = by_country.get(r.to_country, 0) + 1
            by_age[age] += 1
            by_both.setdefault(r.to_country, dict.fromkeys(buckets, 0))[age] += 1
        if r.transmitted_at is not None and r.answered_at is not None:
            days = (r.answered_at - r.transmitted_at).total_seconds() / 86400
            waits.setdefault(r.to_country, []).append(days)
    answered = {
        c: {"count": len(v), "median_days": round(statistics.median(v), 1)}
        for c, v in sorted(waits.items())
    }
    countries = sorted(set(by_country) | set(answered))
    audit.record(session, actor.username, "legal.request.stats", "legal_request", None)
    return {
        "as_of": isoformat(moment),
        "pending": {
            "total": sum(by_country.values()),
            "by_country": dict(sorted(by_country.items())),
            "by_age": by_age,
            "by_country_and_age": dict(sorted(by_both.items())),
        },
        "answered": answered,
        "countries": {c: kb.country_name(c) for c in countries},
    }


# --- views and input -------------------------------------------------------------------------


def request_view(session: Session, kb: KnowledgeBase, request: LegalRequest) -> dict[str, Any]:
    """A request with the states it may move to, its history and its deadlines (JSON-ready)."""
    return {
        **request_summary(session, request),
        "next": list(next_states(request.kind, request.state)),
        "history": history(request),
        "deadlines": deadlines(session, kb, request),
    }


def particulars_changes(fields: Mapping[str, Any], country: str) -> dict[str, Any]:
    """Raw particulars (as typed: ``IN:BNS 318(4)``, ``email-addr:x@y.com``, ``FROM..TO``)
    parsed into the changes :func:`comity.legal.particulars.merge` takes; ``None`` and empty
    values are left out. Identifiers are read as written in ``country``."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None or value == "" or value == []:
            continue
        if name in TEXT_FIELDS:
            text = clean_text(str(value), name)
            if text:
                out[name] = text
        elif name in FLAG_FIELDS:
            out[name] = bool(value)
        elif name == "offences":
            out[name] = [parse_offence(v) for v in value]
        elif name == "identifiers":
            out[name] = [parse_identifier(v, country) for v in value]
        elif name == "assistance":
            items = [clean_text(v, "assistance") for v in value]
            out[name] = [v for v in items if v]
        elif name == "period":
            out[name] = parse_period(str(value))
        else:
            raise LegalInputError(f"a request has no field {name!r}", field=name)
    return out
