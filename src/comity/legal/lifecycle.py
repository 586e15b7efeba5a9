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
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.core.errors import InvalidInput
from comity.core.timeutil import isoformat, parse_time, utcnow
from comity.identity import audit
from comity.identity.services import Actor
from comity.legal.deadlines import (
    PRESERVING,
    applicable_period,
    deadlines,
    local_day,
    node_zone,
)
from comity.legal.errors import InvalidTransition, LegalInputError, RequestConflict
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import ANSWERED, OPEN_STATES, OUTCOMES, STATES, LegalRequest
from comity.legal.particulars import (
    FLAG_FIELDS,
    TEXT_FIELDS,
    check_choice,
    clean_text,
    parse_identifier,
    parse_offence,
    parse_period,
)
from comity.legal.requests import (
    LEGAL_OFFICE_ROLES,
    REQUEST_WRITE_ROLES,
    add_event,
    history,
    load_request,
    request_summary,
    require_access,
)

TRANSMIT_ROLES: Final = LEGAL_OFFICE_ROLES
"""Roles that may record the central authority's and the court's steps and a transmission."""
FORMAL_STATES: Final = (
    "central-authority-concurrence",
    "court-issued",
    "central-authority-approval",
    "transmitted",
)
STATS_ROLES: Final = LEGAL_OFFICE_ROLES
CLOCK_SLACK: Final = timedelta(minutes=1)
"""A move may be dated this far ahead of the node's clock (another machine's clock drift)."""
AGE_BUCKETS: Final = (("0-30", 30), ("31-90", 90), ("91-180", 180), ("181-365", 365))
FORMAL_ROUTES: Final = {
    "letter-rogatory": ("central-authority-concurrence", "court-issued"),
    "mla-request": ("central-authority-approval",),
}
"""The formal steps between review and transmission, per kind; other kinds go straight on."""
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
    request = load_request(session, request_id, for_update=True)
    require_access(session, actor, request)
    return request


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
    add_event(request, "state", wanted, at=moment, now=now, by=actor.username, note=why)
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
    if request.kind != "preservation" or request.state not in PRESERVING:
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
    if lapse is not None and local_day(moment, node_zone(session)).isoformat() > lapse:
        raise RequestConflict(
            f"the preservation of request {request.id} lapsed on {lapse}: a renewal dated "
            f"{isoformat(moment)} comes too late; send a new preservation request",
            request=request.id,
            lapsed=lapse,
        )
    add_event(request, "renew", request.state, at=moment, now=now, by=actor.username, note=why)
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


# --- the figures ---------------------------------------------------------------------------


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
