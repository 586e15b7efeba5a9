"""Joint operations: created from a fraud network, planned, carried out, counted.

    op = create_operation(session, actor, settings, network_id="N-000001",
                          agencies=["FBI=America/New_York"], planned_at="2026-03-14T06:00+05:30")
    add_target(session, actor, op.id, "suspect", "IN", name="Ravi Kumar", aliases=["RK"])
    change_status(session, actor, op.id, "active")
    add_outcome(session, actor, op.id, agency="CBI", kind="arrests", count=4)
    add_outcome(session, actor, op.id, agency="CBI", kind="funds_frozen",
                amount="2.45 lakh", currency="INR")
    change_status(session, actor, op.id, "executed")
    operation_stats(session, actor, year=2026)  # {'operations': 1, 'outcomes': {'arrests': 4…

Every change and every read is in the audit log (``operation.*``). Each function works in the
caller's transaction and checks everything before it writes: an error leaves nothing behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from comity.core.errors import AlreadyExists, InvalidInput, NotFound
from comity.core.settings import Settings
from comity.core.timeutil import isoformat, utcnow
from comity.identity import audit
from comity.identity.models import Agency
from comity.identity.services import Actor, local_agency, node_info, normalize_code
from comity.operations.errors import (
    InvalidTransition,
    OperationConflict,
    OperationInputError,
    UnknownAgency,
    UnknownNetwork,
    UnknownOperation,
    UnknownTask,
)
from comity.operations.models import (
    CARRIED_OUT,
    COUNT_KINDS,
    FUNDS_KINDS,
    OUTCOME_KINDS,
    STATUSES,
    TARGET_KINDS,
    TRANSITIONS,
    Operation,
    OperationAgency,
    OperationNote,
    OperationOutcome,
    OperationStatusChange,
    OperationTarget,
    OperationTask,
)
from comity.operations.money import amount_text, check_amount, check_currency, money, parse_amount
from comity.operations.timing import (
    check_past,
    check_planned,
    check_zone,
    country_zone,
    local_view,
    parse_due,
    parse_moment,
    year_bounds,
)

WRITERS: Final = ("administrator", "supervisor", "investigator", "analyst")
"""Roles that may create and change operations."""
READERS: Final = WRITERS
"""Roles that may see operations and their figures."""

OPEN: Final = ("planned", "active")
"""Statuses in which agencies, targets and the planned time may change."""
WORKING: Final = ("planned", "active", "executed")
"""Statuses in which tasks may be added and done."""
RECORDING: Final = ("active", "executed")
"""Statuses in which outcomes may be recorded."""

MAX_TITLE: Final = 300
MAX_TEXT: Final = 10_000
MAX_NAME: Final = 200
MAX_ADDRESS: Final = 500
MAX_CITY: Final = 100
MAX_ALIASES: Final = 20
MAX_IDENTIFIER: Final = 500
MAX_COUNT: Final = 1_000_000
"""A count above this in one outcome is not believable."""
NOT_IDENTIFIERS: Final = frozenset({"person-name", "organization-name"})
"""Observable types that are names: a person is a ``suspect`` target, not an identifier."""

_NUMBERING_LOCK: Final = 0x636F6D07  # "com" + 7: operation ids (a 32-bit advisory lock key)
_AGENCY_SPEC: Final = re.compile(r"\s*([^=\s]+)\s*(?:=\s*(\S+)\s*)?")
_IFSC: Final = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}:")
_IBAN: Final = re.compile(r"([A-Z]{2})\d{2}[A-Z0-9]+")


# --- input -----------------------------------------------------------------------------------


def clean_text(
    value: str | None, what: str, limit: int, *, required: bool = True, multiline: bool = False
) -> str:
    """``value`` stripped; refuse it empty (when ``required``), longer than ``limit``, or with
    control characters (line breaks and tabs allowed when ``multiline``)."""
    text_value = (value or "").strip()
    if required and not text_value:
        raise OperationInputError(f"{what} is empty", field=what)
    if len(text_value) > limit:
        raise OperationInputError(
            f"{what} is longer than {limit} characters", field=what, length=len(text_value)
        )
    allowed = {"\n", "\t", "\r"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text_value):
        raise OperationInputError(f"{what} contains control characters", field=what)
    return text_value


def parse_agency_spec(spec: str) -> tuple[str, str | None]:
    """Read ``CODE`` or ``CODE=ZONE`` (``FBI=America/New_York``) into a code and a zone."""
    match = _AGENCY_SPEC.fullmatch(spec or "")
    if match is None:
        raise OperationInputError(
            f"agency {spec[:60]!r} must look like FBI or FBI=America/New_York", agency=spec[:100]
        )
    try:
        code = normalize_code(match.group(1))
    except InvalidInput:
        raise OperationInputError(
            f"invalid agency code {match.group(1)[:40]!r}: letters, digits, - and _ only",
            agency=spec[:100],
        ) from None
    zone = check_zone(match.group(2)) if match.group(2) else None
    return code, zone


def check_jurisdiction(country: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case (raises for an unknown one)."""
    from comity.intel.observables import check_country

    return check_country(country or "")


# --- loading ---------------------------------------------------------------------------------


def _load(session: Session, operation_id: str, *, for_update: bool = False) -> Operation:
    key = (operation_id or "").strip().upper()
    sound = 0 < len(key) <= 20 and key.isprintable()
    operation = session.get(Operation, key, with_for_update=for_update) if sound else None
    if operation is None:
        raise UnknownOperation(f"no operation {operation_id[:40]!r}", operation=operation_id[:40])
    return operation


def _require_status(operation: Operation, allowed: Sequence[str], doing: str) -> None:
    if operation.status not in allowed:
        raise OperationConflict(
            f"operation {operation.id} is {operation.status}: {doing} only while it is "
            + " or ".join(allowed),
            operation=operation.id,
            current=operation.status,
            allowed=list(allowed),
        )


def _agency_codes(operation: Operation) -> list[str]:
    return [a.agency.code for a in operation.agencies]


def _require_agency(operation: Operation, code: str | None, session: Session) -> str:
    """The agency ``code`` (default: this node's) if it takes part in ``operation``."""
    chosen = local_agency(session).code if code is None else parse_agency_spec(code)[0]
    if chosen not in _agency_codes(operation):
        raise OperationConflict(
            f"agency {chosen} is not part of operation {operation.id} "
            f"(agencies: {', '.join(_agency_codes(operation))}); add it first",
            operation=operation.id,
            agency=chosen,
        )
    return chosen


def _touch(operation: Operation) -> None:
    operation.updated_at = utcnow()


def _next(items: Iterable[Any]) -> int:
    return max((item.number for item in items), default=0) + 1


# --- agencies --------------------------------------------------------------------------------


def _resolve_agency(session: Session, code: str, zone: str | None) -> tuple[Agency, str, str]:
    """The agency ``code`` (this node's or an active peer's), its time zone and its role."""
    own = node_info(session)
    if code == own.agency.code:
        return own.agency, zone or own.timezone, "lead"
    from comity.federation.services import get_peer

    try:
        peer = get_peer(session, code)
    except NotFound:
        raise UnknownAgency(
            f"agency {code} is neither this node's nor a registered peer's "
            "(register it with 'comity peer add')",
            agency=code,
        ) from None
    if peer.status != "active":
        raise OperationConflict(
            f"peer {code} is {peer.status}, not active", agency=code, peer_status=peer.status
        )
    chosen = zone or country_zone(peer.agency.country)
    if chosen is None:
        raise OperationInputError(
            f"agency {code} is in {peer.agency.country}, which has several time zones: "
            f"give it as {code}=ZONE, e.g. {code}=America/New_York",
            agency=code,
            country=peer.agency.country,
        )
    return peer.agency, chosen, "partner"


def _add_agencies(
    session: Session, operation: Operation, specs: Iterable[str], actor: Actor
) -> list[str]:
    """Validate every spec, then add the agencies not yet in ``operation``; return their codes.

    Raises :class:`AlreadyExists` for an agency named twice or already taking part.
    """
    present = set(_agency_codes(operation))
    chosen: list[tuple[Agency, str, str]] = []
    for spec in specs:
        code, zone = parse_agency_spec(spec)
        if code in present:
            raise AlreadyExists(
                f"agency {code} is already part of operation {operation.id or 'the operation'}",
                agency=code,
            )
        present.add(code)
        chosen.append(_resolve_agency(session, code, zone))
    position = max((a.position for a in operation.agencies), default=0)
    for agency, zone_name, role in chosen:
        position += 1
        operation.agencies.append(
            OperationAgency(
                agency=agency,
                agency_id=agency.id,
                position=position,
                role=role,
                timezone=zone_name,
                added_by=actor.username,
            )
        )
    return [agency.code for agency, _, _ in chosen]


def _zone_for(operation: Operation, zone: str | None) -> str | None:
    """``zone`` as an IANA name: an agency code of the operation stands for its time zone."""
    if zone is None:
        return None
    for member in operation.agencies:
        if member.agency.code == zone.strip().upper():
            return member.timezone
    return check_zone(zone)


# --- network targets -------------------------------------------------------------------------


def _identifier_jurisdiction(obs_type: str, value: str) -> str | None:
    """The country an identifier itself belongs to, where it says: a phone number's country,
    India for a UPI id or an IFSC account, an IBAN's country."""
    if obs_type == "upi-id":
        return "IN"
    if obs_type == "bank-account":
        if _IFSC.match(value):
            return "IN"
        iban = _IBAN.fullmatch(value)
        return iban.group(1) if iban else None
    if obs_type == "phone-number" and value.startswith("+"):
        import phonenumbers

        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(value))
        except phonenumbers.NumberParseException:
            return None
        return region if region and region != "ZZ" else None
    return None


def _network_targets(
    session: Session, actor: Actor, settings: Settings, network_id: str
) -> list[dict[str, Any]]:
    """The network's identifiers as targets, each in the jurisdiction it belongs to: its own
    country where it says (:func:`_identifier_jurisdiction`), else the country most of the
    complaints naming it came from."""
    from comity.link.models import Complaint, ComplaintIdentifier, NetworkMember
    from comity.link.networks import list_networks

    listing = list_networks(session, actor, settings, network_id=network_id)["networks"]
    if not listing:
        return []
    countries: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for obs_type, value, country, n in session.execute(
        select(
            ComplaintIdentifier.obs_type,
            ComplaintIdentifier.value,
            Complaint.country,
            func.count(),
        )
        .join(Complaint, Complaint.seq == ComplaintIdentifier.complaint_seq)
        .join(NetworkMember, NetworkMember.complaint_seq == Complaint.seq)
        .where(NetworkMember.network_id == network_id, ComplaintIdentifier.valid.is_(True))
        .group_by(ComplaintIdentifier.obs_type, ComplaintIdentifier.value, Complaint.country)
    ):
        countries[(obs_type, value)][country] += int(n)
    targets = []
    for item in listing[0]["identifiers"]:
        key = (item["type"], item["value"])
        named_in = countries.get(key, Counter())
        jurisdiction = _identifier_jurisdiction(*key) or (
            min(named_in, key=lambda c: (-named_in[c], c)) if named_in else None
        )
        if jurisdiction is None or len(item["value"]) > MAX_IDENTIFIER:
            continue
        targets.append(
            {
                "jurisdiction": jurisdiction,
                "obs_type": item["type"],
                "value": item["value"],
                "complaints": item["complaints"],
            }
        )
    return targets


# --- create ----------------------------------------------------------------------------------


def create_operation(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    network_id: str,
    title: str | None = None,
    summary: str = "",
    agencies: Sequence[str] = (),
    planned_at: str | None = None,
    zone: str | None = None,
) -> Operation:
    """Turn a fraud network into a joint operation (status ``planned``).

    The network must exist and be active, and have no other planned or active operation. The
    operation keeps the network's complaint count and identifiers (its first targets); this
    node's agency takes part, with the peers named in ``agencies`` (``FBI`` or
    ``FBI=America/New_York``). ``planned_at`` carries a UTC offset, or is read in ``zone`` (an
    IANA name or the code of a taking-part agency).
    """
    from comity.link.models import Network

    actor.require(*WRITERS)
    network_key = clean_text(network_id, "network", 20).upper()
    title_text = clean_text(title, "title", MAX_TITLE, required=False) or (
        f"Operation against network {network_key}"
    )
    summary_text = clean_text(summary, "summary", MAX_TEXT, required=False, multiline=True)
    network = session.get(Network, network_key)
    if network is None:
        raise UnknownNetwork(f"no network {network_id[:20]!r}", network=network_id[:20])
    if network.status != "active":
        where = f" into {network.merged_into}" if network.merged_into else ""
        raise OperationConflict(
            f"network {network.id} is {network.status}{where}, not active",
            network=network.id,
            network_status=network.status,
            merged_into=network.merged_into,
        )
    running = session.scalars(
        select(Operation.id).where(Operation.network_id == network.id, Operation.status.in_(OPEN))
    ).first()
    if running is not None:
        raise AlreadyExists(
            f"network {network.id} already has operation {running}, not yet carried out",
            network=network.id,
            operation=running,
        )
    operation = Operation(
        id="",
        title=title_text,
        summary=summary_text,
        status="planned",
        network_id=network.id,
        network_complaints=network.complaints,
        created_by=actor.username,
    )
    own = local_agency(session).code
    _add_agencies(session, operation, [own, *agencies], actor)
    now = utcnow()
    if planned_at is not None:
        moment = parse_moment(planned_at, zone_name=_zone_for(operation, zone), what="planned time")
        operation.planned_at = check_planned(moment, now)
    elif zone is not None:
        raise OperationInputError("a zone was given without a planned time", zone=zone[:64])
    targets = _network_targets(session, actor, settings, network.id)
    _lock_numbering(session)
    year = now.astimezone(ZoneInfo(node_info(session).timezone)).year
    number = (
        session.scalar(select(func.max(Operation.number)).where(Operation.year == year)) or 0
    ) + 1
    operation.id, operation.year, operation.number = f"OP-{year}-{number:04d}", year, number
    for index, target in enumerate(targets, start=1):
        operation.targets.append(
            OperationTarget(
                number=index,
                jurisdiction=target["jurisdiction"],
                kind="identifier",
                obs_type=target["obs_type"],
                value=target["value"],
                aliases=[],
                source="network",
                details={"complaints": target["complaints"]},
                added_by=actor.username,
            )
        )
    operation.history.append(
        OperationStatusChange(
            number=1, from_status=None, to_status="planned", changed_by=actor.username
        )
    )
    session.add(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.create",
        "operation",
        operation.id,
        details={
            "network": network.id,
            "complaints": network.complaints,
            "targets": len(targets),
            "agencies": _agency_codes(operation),
            "planned_at": isoformat(operation.planned_at) if operation.planned_at else None,
        },
    )
    return operation


def _lock_numbering(session: Session) -> None:
    """Serialize operation numbering until commit (SQLite transactions already hold the write
    lock; PostgreSQL takes an advisory lock keyed by the schema)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"),
            {"key": _NUMBERING_LOCK},
        )


# --- reads -----------------------------------------------------------------------------------


def get_operation(
    session: Session, actor: Actor, operation_id: str, *, purpose: str = "view"
) -> Operation:
    """Return an operation (audited as a read)."""
    actor.require(*READERS)
    operation = _load(session, operation_id)
    audit.record(
        session,
        actor.username,
        "operation.read",
        "operation",
        operation.id,
        details={"purpose": purpose},
    )
    return operation


def list_operations(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    network_id: str | None = None,
) -> list[Operation]:
    """The operations, newest first, optionally of one status or network (audited)."""
    actor.require(*READERS)
    query = select(Operation).order_by(Operation.year.desc(), Operation.number.desc())
    if status is not None:
        if status not in STATUSES:
            raise OperationInputError(
                f"status {status[:20]!r} is not one of {', '.join(STATUSES)}", status=status[:20]
            )
        query = query.where(Operation.status == status)
    if network_id is not None:
        network = clean_text(network_id, "network", 20).upper()
        query = query.where(Operation.network_id == network)
    operations = list(session.scalars(query))
    audit.record(
        session,
        actor.username,
        "operation.list",
        "operation",
        None,
        details={"count": len(operations), "status": status, "network": network_id},
    )
    return operations


# --- changes ---------------------------------------------------------------------------------


def change_status(
    session: Session,
    actor: Actor,
    operation_id: str,
    status: str,
    *,
    at: str | None = None,
    zone: str | None = None,
    reason: str = "",
) -> Operation:
    """Move an operation along its lifecycle (:data:`~comity.operations.models.TRANSITIONS`).

    ``executed`` records when it was carried out: ``at`` (a past time with an offset, or in
    ``zone``), else now. ``closed`` and ``cancelled`` are final.
    """
    actor.require(*WRITERS)
    wanted = (status or "").strip().lower()
    if wanted not in STATUSES:
        raise OperationInputError(
            f"status {status[:20]!r} is not one of {', '.join(STATUSES)}", status=status[:20]
        )
    why = clean_text(reason, "reason", MAX_TEXT, required=False, multiline=True)
    operation = _load(session, operation_id, for_update=True)
    allowed = TRANSITIONS[operation.status]
    if wanted not in allowed:
        raise InvalidTransition(
            f"operation {operation.id} is {operation.status}: it can become "
            + (" or ".join(allowed) if allowed else "nothing else (final)")
            + f", not {wanted}",
            operation=operation.id,
            current=operation.status,
            to=wanted,
            allowed=list(allowed),
        )
    now = utcnow()
    if wanted == "executed":
        moment = (
            parse_moment(at, zone_name=_zone_for(operation, zone), what="execution time")
            if at is not None
            else now
        )
        operation.executed_at = check_past(moment, now, "execution time")
    elif at is not None or zone is not None:
        raise OperationInputError(
            "a time is given only when the operation becomes executed", status=wanted
        )
    previous = operation.status
    operation.status = wanted
    operation.history.append(
        OperationStatusChange(
            number=_next(operation.history),
            from_status=previous,
            to_status=wanted,
            reason=why,
            changed_by=actor.username,
        )
    )
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.status",
        "operation",
        operation.id,
        details={
            "from": previous,
            "to": wanted,
            "executed_at": _when(operation.executed_at) if wanted == "executed" else None,
            "reason": why,
        },
    )
    return operation


def add_agencies(
    session: Session, actor: Actor, operation_id: str, specs: Sequence[str]
) -> Operation:
    """Add agencies (``FBI``, ``FBI=America/New_York``) to a planned or active operation."""
    actor.require(*WRITERS)
    if not specs:
        raise OperationInputError("name at least one agency")
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, OPEN, "agencies are added")
    added = _add_agencies(session, operation, specs, actor)
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.agency_add",
        "operation",
        operation.id,
        details={"agencies": added},
    )
    return operation


def schedule(
    session: Session, actor: Actor, operation_id: str, at: str, *, zone: str | None = None
) -> Operation:
    """Set the synchronized time of a planned or active operation (stored in UTC)."""
    actor.require(*WRITERS)
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, OPEN, "the planned time is set")
    moment = parse_moment(at, zone_name=_zone_for(operation, zone), what="planned time")
    previous = operation.planned_at
    operation.planned_at = check_planned(moment, utcnow())
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.schedule",
        "operation",
        operation.id,
        details={
            "from": isoformat(previous) if previous else None,
            "to": isoformat(operation.planned_at),
        },
    )
    return operation


def add_target(
    session: Session,
    actor: Actor,
    operation_id: str,
    kind: str,
    jurisdiction: str,
    *,
    obs_type: str | None = None,
    value: str | None = None,
    name: str | None = None,
    aliases: Sequence[str] = (),
    address: str | None = None,
    city: str | None = None,
) -> OperationTarget:
    """Add a target in ``jurisdiction``: an ``identifier`` (``obs_type`` and ``value``,
    normalized), a ``suspect`` (``name`` and ``aliases``) or ``premises`` (``address`` and
    ``city``) to a planned or active operation."""
    from comity.intel.observables import TYPES, normalize

    actor.require(*WRITERS)
    chosen = (kind or "").strip().lower()
    if chosen not in TARGET_KINDS:
        raise OperationInputError(
            f"target kind {kind[:20]!r} is not one of {', '.join(TARGET_KINDS)}", kind=kind[:20]
        )
    country = check_jurisdiction(jurisdiction)
    fields: dict[str, dict[str, Any]] = {
        "identifier": {"type": obs_type, "value": value},
        "suspect": {"name": name, "alias": list(aliases) or None},
        "premises": {"address": address, "city": city},
    }
    extra = [
        f for k, given in fields.items() if k != chosen for f, v in given.items() if v is not None
    ]
    if extra:
        raise OperationInputError(
            f"a {chosen} target does not take {', '.join(sorted(set(extra)))}",
            kind=chosen,
            fields=sorted(set(extra)),
        )
    target = OperationTarget(
        jurisdiction=country, kind=chosen, aliases=[], source="added", added_by=actor.username
    )
    if chosen == "identifier":
        type_name = clean_text(obs_type, "type", 40).lower()
        if type_name not in TYPES or type_name in NOT_IDENTIFIERS:
            known = [t for t in TYPES if t not in NOT_IDENTIFIERS]
            raise OperationInputError(
                f"identifier type {type_name!r} is not one of {', '.join(known)}",
                type=type_name,
                known=known,
            )
        raw = clean_text(value, "value", MAX_IDENTIFIER)
        observable = normalize(type_name, raw, country=country)
        if not observable.valid:
            raise OperationInputError(
                f"{type_name} {raw!r} is not valid: {observable.reason}",
                type=type_name,
                value=raw,
                reason=observable.reason,
            )
        if len(observable.value) > MAX_IDENTIFIER:
            raise OperationInputError(f"{type_name} is too long", type=type_name)
        target.obs_type, target.value = type_name, observable.value
        target.details = {"given": raw} if raw != observable.value else {}
    elif chosen == "suspect":
        target.name = clean_text(name, "name", MAX_NAME)
        if len(aliases) > MAX_ALIASES:
            raise OperationInputError(f"more than {MAX_ALIASES} aliases", aliases=len(aliases))
        cleaned = [clean_text(a, "alias", MAX_NAME) for a in aliases]
        target.aliases = list(dict.fromkeys(cleaned))
    else:
        target.address = clean_text(address, "address", MAX_ADDRESS)
        target.city = clean_text(city, "city", MAX_CITY)
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, OPEN, "targets are added")
    for existing in operation.targets:
        if existing.jurisdiction == country and _same_target(existing, target):
            raise AlreadyExists(
                f"operation {operation.id} already has this target (T{existing.number})",
                operation=operation.id,
                target=existing.number,
            )
    target.number = _next(operation.targets)
    operation.targets.append(target)
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.target_add",
        "operation",
        operation.id,
        details={"target": target.number, "kind": chosen, "jurisdiction": country},
    )
    return target


def _same_target(a: OperationTarget, b: OperationTarget) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "identifier":
        return (a.obs_type, a.value) == (b.obs_type, b.value)
    if a.kind == "suspect":
        return (a.name or "").casefold() == (b.name or "").casefold()
    return ((a.address or "").casefold(), (a.city or "").casefold()) == (
        (b.address or "").casefold(),
        (b.city or "").casefold(),
    )


def add_task(
    session: Session,
    actor: Actor,
    operation_id: str,
    title: str,
    *,
    agency: str | None = None,
    due: str | None = None,
) -> OperationTask:
    """Add a task for one of the operation's agencies (default: this node's), with an
    optional due date (``2026-03-20``)."""
    actor.require(*WRITERS)
    title_text = clean_text(title, "title", MAX_TITLE)
    due_date = parse_due(due, utcnow()) if due is not None else None
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, WORKING, "tasks are added")
    code = _require_agency(operation, agency, session)
    task = OperationTask(
        number=_next(operation.tasks),
        title=title_text,
        agency_code=code,
        due=due_date,
        done=False,
        created_by=actor.username,
    )
    operation.tasks.append(task)
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.task_add",
        "operation",
        operation.id,
        details={"task": task.number, "agency": code},
    )
    return task


def complete_task(session: Session, actor: Actor, operation_id: str, number: int) -> OperationTask:
    """Mark task ``number`` of an operation done."""
    actor.require(*WRITERS)
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, WORKING, "tasks are done")
    task = next((t for t in operation.tasks if t.number == number), None)
    if task is None:
        raise UnknownTask(
            f"operation {operation.id} has no task {number}", operation=operation.id, task=number
        )
    if task.done:
        raise OperationConflict(
            f"task {number} of {operation.id} was done already, by {task.done_by}",
            operation=operation.id,
            task=number,
        )
    task.done, task.done_by, task.done_at = True, actor.username, utcnow()
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.task_done",
        "operation",
        operation.id,
        details={"task": number},
    )
    return task


def add_outcome(
    session: Session,
    actor: Actor,
    operation_id: str,
    *,
    kind: str,
    agency: str | None = None,
    count: int | None = None,
    amount: str | Decimal | None = None,
    currency: str | None = None,
    note: str = "",
) -> OperationOutcome:
    """Record what an agency of the operation achieved (default: this node's agency).

    ``arrests``, ``searches``, ``devices_seized``, ``accounts_frozen`` and
    ``victims_identified`` take a ``count``; ``funds_frozen`` and ``funds_recovered`` an exact
    ``amount`` (``245000.50``, ``2,45,000``, ``2.45 lakh``) and an ISO 4217 ``currency``.
    Outcomes are recorded while the operation is active or executed.
    """
    actor.require(*WRITERS)
    chosen = (kind or "").strip().lower().replace("-", "_")
    if chosen not in OUTCOME_KINDS:
        raise OperationInputError(
            f"outcome {kind[:30]!r} is not one of {', '.join(OUTCOME_KINDS)}", kind=kind[:30]
        )
    note_text = clean_text(note, "note", MAX_TEXT, required=False, multiline=True)
    outcome = OperationOutcome(kind=chosen, note=note_text, recorded_by=actor.username)
    if chosen in COUNT_KINDS:
        if amount is not None or currency is not None:
            raise OperationInputError(
                f"{chosen} is a count: give --count, not an amount or currency", kind=chosen
            )
        if count is None or isinstance(count, bool) or not isinstance(count, int):
            raise OperationInputError(f"{chosen} needs a count", kind=chosen)
        if not 1 <= count <= MAX_COUNT:
            raise OperationInputError(
                f"count {count} is not between 1 and {MAX_COUNT:,}", kind=chosen, count=count
            )
        outcome.count = count
    else:
        if count is not None:
            raise OperationInputError(
                f"{chosen} is an amount: give --amount and --currency, not a count", kind=chosen
            )
        if amount is None or currency is None:
            raise OperationInputError(f"{chosen} needs an amount and a currency", kind=chosen)
        value = check_amount(amount) if isinstance(amount, Decimal) else parse_amount(str(amount))
        outcome.amount, outcome.currency = amount_text(value), check_currency(currency)
    operation = _load(session, operation_id, for_update=True)
    _require_status(operation, RECORDING, "outcomes are recorded")
    outcome.agency_code = _require_agency(operation, agency, session)
    outcome.number = _next(operation.outcomes)
    operation.outcomes.append(outcome)
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.outcome_add",
        "operation",
        operation.id,
        details={
            "outcome": outcome.number,
            "agency": outcome.agency_code,
            "kind": chosen,
            "count": outcome.count,
            "amount": outcome.amount,
            "currency": outcome.currency,
        },
    )
    return outcome


def add_note(session: Session, actor: Actor, operation_id: str, note: str) -> OperationNote:
    """Add a note to an operation (in any status)."""
    actor.require(*WRITERS)
    body = clean_text(note, "note", MAX_TEXT, multiline=True)
    operation = _load(session, operation_id, for_update=True)
    record = OperationNote(number=_next(operation.notes), text=body, author=actor.username)
    operation.notes.append(record)
    _touch(operation)
    session.flush()
    audit.record(
        session,
        actor.username,
        "operation.note_add",
        "operation",
        operation.id,
        details={"note": record.number},
    )
    return record


# --- figures ---------------------------------------------------------------------------------


def _totals(outcomes: Iterable[OperationOutcome]) -> dict[str, Any]:
    """Counts per kind, and funds per kind and currency (exact decimal strings)."""
    counts = dict.fromkeys(COUNT_KINDS, 0)
    funds: dict[str, dict[str, Decimal]] = {kind: defaultdict(Decimal) for kind in FUNDS_KINDS}
    for outcome in outcomes:
        if outcome.kind in counts and outcome.count is not None:
            counts[outcome.kind] += outcome.count
        elif outcome.kind in funds and outcome.amount is not None and outcome.currency:
            funds[outcome.kind][outcome.currency] += Decimal(outcome.amount)
    return {
        **counts,
        **{
            kind: {currency: money(total) for currency, total in sorted(by_currency.items())}
            for kind, by_currency in funds.items()
        },
    }


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def operation_stats(
    session: Session, actor: Actor, *, year: int | None = None, agency: str | None = None
) -> dict[str, Any]:
    """Roll the outcomes up: the operations carried out (executed or closed) — in ``year``,
    by when they were executed, in the node's time zone — optionally only those ``agency``
    took part in; the sums of every outcome of theirs, whenever it was recorded; funds per
    currency; and the same per agency. ``status_now`` counts every operation by its present
    status, whatever its year."""
    actor.require(*READERS)
    tz = node_info(session).timezone
    code = parse_agency_spec(agency)[0] if agency is not None else None
    if year is not None and not 1990 <= year <= 2100:
        raise OperationInputError(f"year {year} is not between 1990 and 2100", year=year)
    query = select(Operation).options(
        selectinload(Operation.agencies).selectinload(OperationAgency.agency),
        selectinload(Operation.outcomes),
    )
    everything = list(session.scalars(query))
    if code is not None:
        everything = [op for op in everything if code in _agency_codes(op)]
    counted = [op for op in everything if op.status in CARRIED_OUT and op.executed_at]
    if year is not None:
        start, end = year_bounds(year, tz)
        counted = [op for op in counted if op.executed_at and start <= op.executed_at < end]
    outcomes = [o for op in counted for o in op.outcomes]
    by_agency: dict[str, list[OperationOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_agency[outcome.agency_code].append(outcome)
    joint = sum(1 for op in counted if len(op.agencies) > 1)
    totals = _totals(outcomes)
    result = {
        "year": year,
        "basis": "executed",
        "timezone": tz,
        "agency": code,
        "operations": len(counted),
        "joint_operations": joint,
        "by_status": dict(sorted(Counter(op.status for op in counted).items())),
        "outcomes": totals,
        "by_agency": {c: _totals(items) for c, items in sorted(by_agency.items())},
        "status_now": {s: sum(1 for op in everything if op.status == s) for s in STATUSES},
        "summary": _summary_line(len(counted), joint, totals["arrests"], year),
    }
    audit.record(
        session,
        actor.username,
        "operation.stats",
        "operation",
        None,
        details={"year": year, "agency": code, "operations": len(counted)},
    )
    return result


def _summary_line(operations: int, joint: int, arrests: int, year: int | None) -> str:
    when = f"in {year}" if year is not None else "in all years"
    if operations == joint:
        counted = _plural(joint, "joint operation")
    else:
        counted = f"{_plural(operations, 'operation')} ({joint:,} joint)"
    return f"{counted}, {_plural(arrests, 'arrest')} {when}"


# --- descriptions ----------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None


def target_summary(target: OperationTarget) -> dict[str, Any]:
    """A JSON-ready description of a target."""
    data: dict[str, Any] = {
        "number": target.number,
        "jurisdiction": target.jurisdiction,
        "kind": target.kind,
        "source": target.source,
    }
    if target.kind == "identifier":
        data.update({"type": target.obs_type, "value": target.value})
        if "complaints" in target.details:
            data["complaints"] = target.details["complaints"]
    elif target.kind == "suspect":
        data.update({"name": target.name, "aliases": list(target.aliases)})
    else:
        data.update({"address": target.address, "city": target.city})
    data.update({"added_by": target.added_by, "added_at": isoformat(target.added_at)})
    return data


def task_summary(task: OperationTask) -> dict[str, Any]:
    """A JSON-ready description of a task."""
    return {
        "number": task.number,
        "title": task.title,
        "agency": task.agency_code,
        "due": task.due.isoformat() if task.due else None,
        "done": task.done,
        "done_by": task.done_by,
        "done_at": _when(task.done_at),
        "created_by": task.created_by,
    }


def outcome_summary(outcome: OperationOutcome) -> dict[str, Any]:
    """A JSON-ready description of an outcome."""
    return {
        "number": outcome.number,
        "agency": outcome.agency_code,
        "kind": outcome.kind,
        "count": outcome.count,
        "amount": money(Decimal(outcome.amount)) if outcome.amount is not None else None,
        "currency": outcome.currency,
        "note": outcome.note,
        "recorded_by": outcome.recorded_by,
        "recorded_at": isoformat(outcome.recorded_at),
    }


def note_summary(note: OperationNote) -> dict[str, Any]:
    """A JSON-ready description of a note."""
    return {
        "operation": note.operation_id,
        "number": note.number,
        "text": note.text,
        "author": note.author,
        "at": isoformat(note.created_at),
    }


def operation_summary(operation: Operation, *, full: bool = True) -> dict[str, Any]:
    """A JSON-ready description of an operation (``full=False``: without its lists)."""
    current = operation.network
    planned = operation.planned_at
    agencies = [
        {
            "code": member.agency.code,
            "name": member.agency.name,
            "country": member.agency.country,
            "role": member.role,
            "timezone": member.timezone,
        }
        for member in operation.agencies
    ]
    data: dict[str, Any] = {
        "id": operation.id,
        "title": operation.title,
        "status": operation.status,
        "next": list(TRANSITIONS[operation.status]),
        "network": {
            "id": operation.network_id,
            "complaints_at_creation": operation.network_complaints,
            "status_now": current.status,
            "merged_into": current.merged_into,
            "complaints_now": current.complaints,
        },
        "agencies": agencies,
        "planned_at": _when(planned),
        "planned_local": [
            {"agency": a["code"], **local_view(planned, a["timezone"])} for a in agencies
        ]
        if planned is not None
        else [],
        "executed_at": _when(operation.executed_at),
        "executed_local": [
            {"agency": a["code"], **local_view(operation.executed_at, a["timezone"])}
            for a in agencies
        ]
        if operation.executed_at is not None
        else [],
        "targets_by_jurisdiction": dict(
            sorted(Counter(t.jurisdiction for t in operation.targets).items())
        ),
        "tasks_open": sum(1 for t in operation.tasks if not t.done),
        "tasks_done": sum(1 for t in operation.tasks if t.done),
        "totals": _totals(operation.outcomes),
        "created_by": operation.created_by,
        "created_at": isoformat(operation.created_at),
        "updated_at": isoformat(operation.updated_at),
    }
    if full:
        data.update(
            {
                "summary": operation.summary,
                "targets": [target_summary(t) for t in operation.targets],
                "tasks": [task_summary(t) for t in operation.tasks],
                "outcomes": [outcome_summary(o) for o in operation.outcomes],
                "notes": [note_summary(n) for n in operation.notes],
                "history": [
                    {
                        "from": h.from_status,
                        "to": h.to_status,
                        "by": h.changed_by,
                        "at": isoformat(h.changed_at),
                        "reason": h.reason,
                    }
                    for h in operation.history
                ],
            }
        )
    return data
