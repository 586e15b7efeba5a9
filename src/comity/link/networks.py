"""Networks: ``comity link run``, ``networks`` and ``explain``.

    summary = run_linkage(ctx, None)                       # link every complaint held
    listing = list_networks(session, actor, settings)      # ranked, see SCORE below
    story = explain(session, actor, "N-000012", "NCRP-1", "IC3-7")

A run reads every valid identifier of every complaint, links them (:func:`comity.link.graph.
link`: warning lists and hubs link nothing) and gives each connected group a **stable id**: a
group keeps the id of the network most of its complaints were in; networks that came
together are ``merged`` into it; the other parts of a network that came apart get new ids and
a ``split`` event. Every change is recorded (:class:`~comity.link.models.NetworkEvent`), so an
operation that refers to a network can follow it.

**Score** (the ranking; higher first), each term documented in ``docs/linkage.md``::

    10 × log2(1 + victims)                     victims: distinct victim ids, else complaints
    + 5 × log10(1 + loss in US dollars)        at the node's link_exchange_rates; currencies
                                               without a rate are shown but not scored
    + 15 × (countries − 1)                     cross-border networks first (a peer
                                               holding one of its identifiers counts)
    + 10 × 0.5 ^ (days since last complaint / 90)

Complaints are personal data: every listing and explanation is in the audit log.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Select, delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.errors import InvalidInput, NotFound
from comity.core.settings import Settings
from comity.core.timeutil import utcnow
from comity.db.bulk import insert_many
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor
from comity.link.engines import OCCURRENCE_SCHEMA, get_engine, scratch_dir
from comity.link.evidence import evidence_rule
from comity.link.graph import HubPolicy, Key, Linkage, chain, link
from comity.link.models import (
    Complaint,
    ComplaintIdentifier,
    LinkRun,
    Network,
    NetworkEvent,
    NetworkMember,
)

READERS: Final = ("administrator", "supervisor", "analyst", "investigator")
HALF_LIFE_DAYS: Final = 90
OCCURRENCE_BATCH: Final = 200_000
"""Identifier occurrences read from the database at a time for an engine's input."""


def run_linkage(
    ctx: NodeContext, actor_name: str | None, *, full: bool = False, engine: str | None = None
) -> dict[str, Any]:
    """Link the complaints held into networks, keeping their ids; return a summary.

    After a first run, a run is **incremental**: it reads the complaints added since the last
    run, the complaints that share an identifier with them and the networks those are in, and
    links only that part; the rest cannot have changed. A run is full when ``full`` is asked,
    when the warning lists or the hub thresholds changed since the last run, or when a new
    complaint names an identifier busy enough to need a hub decision (see
    :mod:`comity.link.graph`); the summary's ``mode`` and ``why_full`` say which.

    A full run links with ``engine`` (default: the ``link_engine`` setting; see
    :mod:`comity.link.engines`); every engine gives the same networks. An incremental run
    reads little and links in memory.
    """
    from comity.intel.warninglists import for_settings

    lists = for_settings(ctx.settings)
    listed = evidence_rule(lists)
    hubs = HubPolicy(ctx.settings.link_hub_min_complaints, ctx.settings.link_hub_min_groups)
    fingerprint = _fingerprint(ctx.settings, lists.lists(), hubs)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*READERS)
        last = session.scalars(select(LinkRun).order_by(LinkRun.created_at.desc()).limit(1)).first()
        top = session.scalar(select(func.max(Complaint.seq))) or 0
        why_full = _why_full(last, fingerprint, full)
        scope: set[int] | None = None
        suppressed: dict[Key, str] = {}
        started = time.perf_counter()
        if why_full is None and last is not None:
            incremental = _incremental(session, last, listed, hubs)
            if isinstance(incremental, str):
                why_full = incremental
            else:
                scope, linkage, suppressed = incremental
        if why_full is not None:
            linkage = _link_all(ctx, session, engine or ctx.settings.link_engine, listed, hubs)
            suppressed = linkage.suppressed
        seconds = {"link": round(time.perf_counter() - started, 3)}
        complaints = session.scalar(select(func.count()).select_from(Complaint)) or 0
        record = LinkRun(
            complaints=complaints,
            requested_by=actor.username,
            details={
                "mode": "full" if why_full else "incremental",
                "why_full": why_full,
                "last_seq": top,
                "policy": fingerprint,
                "read": None if scope is None else len(scope),
                "suppressed": [[t, v, r] for (t, v), r in sorted(suppressed.items())],
                "hubs": {"min_complaints": hubs.min_complaints, "min_groups": hubs.min_groups},
            },
        )
        session.add(record)
        session.flush()
        changes = _assign(session, linkage, record, scope)
        seconds["store"] = round(time.perf_counter() - started - seconds["link"], 3)
        record.details = {**record.details, "seconds": seconds}
        record.networks = (
            session.scalar(
                select(func.count()).select_from(Network).where(Network.status == "active")
            )
            or 0
        )
        linked = session.scalar(select(func.count()).select_from(NetworkMember)) or 0
        audit.record(
            session,
            actor.username,
            "link.run",
            "link-run",
            str(record.id),
            details={
                "mode": record.details["mode"],
                "complaints": complaints,
                "networks": record.networks,
                **changes,
            },
        )
    return {
        "run": str(record.id),
        "mode": "full" if why_full else "incremental",
        "why_full": why_full,
        "engine": (engine or ctx.settings.link_engine) if why_full else "memory",
        "complaints": complaints,
        "read": complaints if scope is None else len(scope),
        "linked": linked,
        "networks": record.networks,
        "suppressed": len(suppressed),
        **changes,
        "seconds": seconds,
    }


def _fingerprint(settings: Settings, lists: list[Any], hubs: HubPolicy) -> str:
    """What a run's decisions depend on besides the complaints: the lists and thresholds."""
    from comity.intel.warninglists import LOCAL_DIR

    folder = settings.home / LOCAL_DIR
    files = (
        sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())
        if folder.is_dir()
        else []
    )
    text = repr(
        (
            [(i.id, i.origin, i.entries) for i in lists],
            files,
            hubs.min_complaints,
            hubs.min_groups,
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _why_full(last: LinkRun | None, fingerprint: str, asked: bool) -> str | None:
    if asked:
        return "asked for"
    if last is None:
        return "the first run"
    details = last.details or {}
    if details.get("policy") != fingerprint:
        return "the warning lists or the hub thresholds changed since the last run"
    if details.get("last_seq") is None:
        return "the last run recorded no position"
    return None


def _incremental(
    session: Session, last: LinkRun, listed: Callable[[str, str], str | None], hubs: HubPolicy
) -> tuple[set[int], Linkage, dict[Key, str]] | str:
    """The complaints a run since ``last`` must read, their linkage, and what the new
    complaints name that is not evidence; or why a full run is needed instead."""
    details = last.details or {}
    before = {(t, v): r for t, v, r in details.get("suppressed", [])}
    new = set(
        session.scalars(select(Complaint.seq).where(Complaint.seq > int(details["last_seq"])))
    )
    if not new:
        return set(), Linkage(), before
    named = _identifiers_of(session, new)
    new_keys = {key for keys in named.values() for key in keys} - set(before)
    suppressed = dict(before)
    for key in new_keys:
        reason = listed(*key)
        if reason is not None:
            suppressed[key] = reason
    evidence = sorted(new_keys - set(suppressed))
    holders = _holders(session, evidence)
    busy = [key for key in evidence if len(holders.get(key, ())) >= hubs.min_complaints]
    if busy:
        return (
            f"{busy[0][0]} {busy[0][1]} is named in {len(holders[busy[0]])} complaints: "
            "whether it is a hub is decided over all of them"
        )
    scope = set(new) | {seq for key in evidence for seq in holders.get(key, ())}
    scope |= _network_members(session, scope)
    occurrences = [
        (seq, t, v)
        for seq, keys in _identifiers_of(session, scope).items()
        for t, v in keys
        if (t, v) not in suppressed
    ]
    no_hubs = HubPolicy(min_complaints=len(scope) + 2, min_groups=hubs.min_groups)
    linkage = link(occurrences, lambda _t, _v: None, no_hubs)
    return scope, linkage, suppressed


def _link_all(
    ctx: NodeContext,
    session: Session,
    engine_name: str,
    listed: Callable[[str, str], str | None],
    hubs: HubPolicy,
) -> Linkage:
    """Link every complaint held, with the engine named ``engine_name``."""
    occurrences = (
        select(
            ComplaintIdentifier.complaint_seq,
            ComplaintIdentifier.obs_type,
            ComplaintIdentifier.value,
        )
        .where(ComplaintIdentifier.valid.is_(True))
        .execution_options(yield_per=OCCURRENCE_BATCH)
    )
    if engine_name == "memory":
        rows = session.connection().execute(occurrences)
        return link(((int(s), str(t), str(v)) for s, t, v in rows), listed, hubs)
    engine = get_engine(engine_name, ctx.settings)
    with scratch_dir(ctx.settings) as workdir:
        source = workdir / "occurrences.parquet"
        with pq.ParquetWriter(source, OCCURRENCE_SCHEMA) as writer:
            for part in session.connection().execute(occurrences).partitions():
                seqs, types, values = zip(*part, strict=True)
                writer.write_table(
                    pa.table(
                        [
                            pa.array(seqs, pa.int64()),
                            pa.array(types, pa.string()),
                            pa.array(values, pa.string()),
                        ],
                        schema=OCCURRENCE_SCHEMA,
                    )
                )
        partition = engine.link(source, listed, hubs, workdir)
    return Linkage(groups=partition.groups(), suppressed=partition.suppressed)


def _chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _identifiers_of(session: Session, seqs: Iterable[int]) -> dict[int, list[Key]]:
    """The valid identifiers of each of ``seqs``."""
    found: dict[int, list[Key]] = defaultdict(list)
    for chunk in _chunks(seqs):
        for seq, obs_type, value in session.execute(
            select(
                ComplaintIdentifier.complaint_seq,
                ComplaintIdentifier.obs_type,
                ComplaintIdentifier.value,
            ).where(
                ComplaintIdentifier.complaint_seq.in_(chunk), ComplaintIdentifier.valid.is_(True)
            )
        ):
            found[int(seq)].append((str(obs_type), str(value)))
    return found


def _holders(session: Session, keys: list[Key]) -> dict[Key, set[int]]:
    """Every complaint naming each of ``keys`` (valid identifiers only)."""
    found: dict[Key, set[int]] = defaultdict(set)
    for chunk in _chunks(keys, 400):
        for obs_type, value, seq in session.execute(
            select(
                ComplaintIdentifier.obs_type,
                ComplaintIdentifier.value,
                ComplaintIdentifier.complaint_seq,
            ).where(
                tuple_(ComplaintIdentifier.obs_type, ComplaintIdentifier.value).in_(chunk),
                ComplaintIdentifier.valid.is_(True),
            )
        ):
            found[(str(obs_type), str(value))].add(int(seq))
    return found


def _network_members(session: Session, seqs: set[int]) -> set[int]:
    """Every complaint of the networks any of ``seqs`` is in."""
    networks: set[str] = set()
    for chunk in _chunks(seqs):
        networks.update(
            session.scalars(
                select(NetworkMember.network_id).where(NetworkMember.complaint_seq.in_(chunk))
            )
        )
    members: set[int] = set()
    for chunk in _chunks(networks):
        members.update(
            session.scalars(
                select(NetworkMember.complaint_seq).where(NetworkMember.network_id.in_(chunk))
            )
        )
    return members


def _assign(
    session: Session, linkage: Linkage, record: LinkRun, scope: set[int] | None = None
) -> dict[str, int]:
    """Give each group its stable id; record what changed; rewrite the membership.

    Each earlier network's **heir** is the group holding most of its complaints (the larger
    group on a tie). A group keeps the id of the network it is heir to that has most
    complaints in it (the older on a tie); other networks it is heir to are merged into that
    one. A group heir to none gets a new id — ``split`` from the networks its complaints were
    in, if any, else ``created``. A network none of whose complaints is linked now is
    ``dissolved``. With a ``scope`` (an incremental run), only those complaints and the
    networks they are in are touched: the scope holds every complaint of those networks.
    """
    before: dict[int, str] = {}
    if scope is None:
        before = dict(
            session.execute(select(NetworkMember.complaint_seq, NetworkMember.network_id)).all()
        )
    else:
        for chunk in _chunks(scope):
            before.update(
                session.execute(
                    select(NetworkMember.complaint_seq, NetworkMember.network_id).where(
                        NetworkMember.complaint_seq.in_(chunk)
                    )
                ).all()
            )
    old_sizes = Counter(before.values())
    active = select(Network.id, Network.number).where(Network.status == "active")
    if scope is not None:
        active = active.where(Network.id.in_(set(before.values()) or {""}))
    numbers: dict[str, int] = dict(session.execute(active).all())
    next_number = (session.scalar(select(func.max(Network.number))) or 0) + 1
    groups = sorted(linkage.groups, key=len, reverse=True)
    held = [Counter(before[seq] for seq in group if seq in before) for group in groups]
    heir: dict[str, int] = {}
    for index, counts in enumerate(held):
        for nid, n in counts.items():
            best = heir.get(nid)
            if best is None or n > held[best][nid]:
                heir[nid] = index  # groups are sorted largest first: ties go to the larger
    parts: dict[str, list[int]] = defaultdict(list)
    for index, counts in enumerate(held):
        for nid in counts:
            parts[nid].append(index)
    members: list[tuple[int, str]] = []
    events: list[dict[str, Any]] = []
    counts_of = Counter[str]()
    now = utcnow()
    ids: list[str] = []
    created: list[tuple[str, int, int]] = []
    changed: dict[str, dict[str, Any]] = {}

    def event(network_id: str, kind: str, **details: Any) -> None:
        events.append(
            {"network_id": network_id, "kind": kind, "details": details, "run_id": record.id}
        )
        counts_of[kind] += 1

    def change(network_id: str, **values: Any) -> None:
        changed.setdefault(network_id, {"id": network_id, "updated_at": now}).update(values)

    for index, group in enumerate(groups):
        mine = sorted(
            (nid for nid in held[index] if heir[nid] == index),
            key=lambda nid: (-held[index][nid], numbers[nid]),
        )
        if not mine:
            network_id = f"N-{next_number:06d}"
            created.append((network_id, next_number, len(group)))
            next_number += 1
            if held[index]:
                event(network_id, "split", part_of=sorted(held[index]), complaints=len(group))
            else:
                event(network_id, "created", complaints=len(group))
        else:
            network_id = mine[0]
            for other in mine[1:]:
                change(other, status="merged", merged_into=network_id)
                event(other, "merged", into=network_id)
            if mine[1:]:
                event(network_id, "merged", absorbed=mine[1:], complaints=len(group))
            elif len(group) > old_sizes[network_id]:
                event(network_id, "grown", complaints=len(group), was=old_sizes[network_id])
            elif len(group) < old_sizes[network_id]:
                event(network_id, "shrunk", complaints=len(group), was=old_sizes[network_id])
            if len(group) != old_sizes[network_id]:
                change(network_id, complaints=len(group))
        ids.append(network_id)
        members.extend((seq, network_id) for seq in group)
    for nid, indexes in parts.items():
        if len(indexes) > 1:
            event(nid, "split", into=sorted({ids[i] for i in indexes} - {nid}))
    kept = set(ids)
    for nid in numbers:
        if nid not in heir and nid not in kept and nid not in changed:
            change(nid, status="dissolved", complaints=0)
            event(nid, "dissolved")
    insert_many(
        session,
        Network,
        [(nid, number, n, "active", now, now) for nid, number, n in created],
        columns=("id", "number", "complaints", "status", "created_at", "updated_at"),
    )
    if changed:
        session.execute(update(Network), list(changed.values()))
    session.flush()
    if scope is None:
        session.execute(delete(NetworkMember))
    else:
        for chunk in _chunks(scope):
            session.execute(delete(NetworkMember).where(NetworkMember.complaint_seq.in_(chunk)))
    insert_many(session, NetworkMember, members, columns=("complaint_seq", "network_id"))
    if events:
        insert_many(session, NetworkEvent, events)
    return {k: counts_of[k] for k in ("created", "grown", "shrunk", "merged", "split", "dissolved")}


def _latest_suppressed(session: Session) -> dict[Key, str]:
    last = session.scalars(select(LinkRun).order_by(LinkRun.created_at.desc()).limit(1)).first()
    if last is None:
        return {}
    return {(t, v): r for t, v, r in (last.details or {}).get("suppressed", [])}


def score(
    victims: int, losses: dict[str, Decimal], countries: int, last_seen: date, settings: Settings
) -> float:
    """A network's rank (see the module): victims, losses, countries, recency."""
    usd = sum(
        (
            amount * settings.link_exchange_rates[currency]
            for currency, amount in losses.items()
            if currency in settings.link_exchange_rates
        ),
        Decimal(0),
    )
    days = max((utcnow().date() - last_seen).days, 0)
    value = (
        10 * math.log2(1 + victims)
        + 5 * math.log10(1 + float(usd))
        + 15 * max(countries - 1, 0)
        + 10 * 0.5 ** (days / HALF_LIFE_DAYS)
    )
    return float(round(value, 2))


def list_networks(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    network_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """The active networks, ranked by score, each as ``comity link networks --json`` prints.

    Every network is ranked (one pass over the linked complaints: counts, losses, dates,
    countries); only the ``limit`` networks from ``offset`` on are read in full — their
    complaints and identifiers. ``total`` counts them all.
    """
    if (limit is not None and limit < 1) or offset < 0:
        raise InvalidInput("limit must be at least 1 and offset at least 0")
    actor.require(*READERS)
    query = select(Network.id).where(Network.status == "active")
    if network_id is not None:
        query = query.where(Network.id == network_id)
    active = set(session.scalars(query))
    if network_id is not None and not active:
        raise NotFound(f"no active network {network_id!r}", network=network_id)
    from comity.intel.warninglists import for_settings
    from comity.link.match import shared_with_peers

    listed = evidence_rule(for_settings(settings))
    suppressed_now = _latest_suppressed(session)

    def not_evidence(key: Key) -> bool:
        if key not in suppressed_now:
            reason = listed(*key)
            if reason is None:
                return False
            suppressed_now[key] = reason
        return True

    peers = shared_with_peers(session)
    shared = _shared_by_network(
        session, active, {k: p for k, p in peers.items() if not not_evidence(k)}
    )
    from comity.federation.models import Peer

    peer_country = {p.agency.code: p.agency.country for p in session.scalars(select(Peer))}
    summaries = _summaries(session, active, network_id)
    ranked: list[tuple[float, str]] = []
    for nid, summary in summaries.items():
        countries = summary.countries | {peer_country.get(p, p) for p in shared.get(nid, ())}
        summary.score = score(
            summary.victims, summary.losses, len(countries), summary.last, settings
        )
        ranked.append((-summary.score, nid))
    ranked.sort()
    page = [nid for _score, nid in ranked[offset : None if limit is None else offset + limit]]
    complaints, identifiers = _members(session, page)
    result: list[dict[str, Any]] = []
    for nid in page:
        summary = summaries[nid]
        named = identifiers.get(nid, {})
        for key in named:
            not_evidence(key)
        result.append(
            {
                "id": nid,
                "complaints": sorted(complaints.get(nid, [])),
                "identifiers": [
                    {"type": t, "value": v, "complaints": n, "also_held_by": peers.get((t, v), [])}
                    for (t, v), n in sorted(named.items())
                    if (t, v) not in suppressed_now
                ],
                "shared_with": sorted(shared.get(nid, ())),
                "suppressed": [
                    {"type": t, "value": v, "reason": suppressed_now[(t, v)]}
                    for (t, v) in sorted(named)
                    if (t, v) in suppressed_now
                ],
                "countries": sorted(summary.countries),
                "victims": summary.victims,
                "loss": {c: _money(a) for c, a in sorted(summary.losses.items())},
                "first_seen": summary.first.isoformat(),
                "last_seen": summary.last.isoformat(),
                "score": summary.score,
            }
        )
    audit.record(
        session,
        actor.username,
        "link.networks",
        "network",
        network_id or "*",
        details={
            "networks": len(result),
            "complaints": sum(len(n["complaints"]) for n in result),
            "offset": offset,
            "total": len(ranked),
        },
    )
    return {"networks": result, "total": len(ranked), "offset": offset, "limit": limit}


@dataclass(slots=True)
class _Summary:
    """What a network's rank needs, gathered in one pass over its complaints."""

    first: date
    last: date
    countries: set[str] = field(default_factory=set)
    losses: dict[str, Decimal] = field(default_factory=dict)
    victim_ids: set[str] | None = None
    anonymous: int = 0
    score: float = 0.0

    @property
    def victims(self) -> int:
        """Distinct victim ids, plus complaints without one."""
        return len(self.victim_ids or ()) + self.anonymous


def _summaries(session: Session, active: set[str], network_id: str | None) -> dict[str, _Summary]:
    """Each active network's summary, from one streamed read of its linked complaints."""
    query = (
        select(
            NetworkMember.network_id,
            Complaint.country,
            Complaint.received_on,
            Complaint.loss_amount,
            Complaint.currency,
            Complaint.victim_id,
        )
        .join(Complaint, Complaint.seq == NetworkMember.complaint_seq)
        .execution_options(yield_per=OCCURRENCE_BATCH)
    )
    if network_id is not None:
        query = query.where(NetworkMember.network_id == network_id)
    found: dict[str, _Summary] = {}
    for nid, country, received_on, loss, currency, victim_id in session.execute(query):
        if nid not in active:
            continue
        summary = found.get(nid)
        if summary is None:
            summary = found[nid] = _Summary(received_on, received_on)
        elif received_on < summary.first:
            summary.first = received_on
        elif received_on > summary.last:
            summary.last = received_on
        summary.countries.add(country)
        if loss is not None and currency is not None:
            summary.losses[currency] = summary.losses.get(currency, Decimal(0)) + Decimal(loss)
        if victim_id:
            if summary.victim_ids is None:
                summary.victim_ids = set()
            summary.victim_ids.add(victim_id)
        else:
            summary.anonymous += 1
    return found


def _shared_by_network(
    session: Session, active: set[str], peers: dict[Key, list[str]]
) -> dict[str, set[str]]:
    """The peers known to hold an identifier of each network (identifiers that link only)."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(peers, 400):
        for nid, obs_type, value in session.execute(
            _network_identifiers().where(
                tuple_(ComplaintIdentifier.obs_type, ComplaintIdentifier.value).in_(chunk)
            )
        ):
            if nid in active:
                found[nid].update(peers[(obs_type, value)])
    return found


def _network_identifiers() -> Select[str, str, str]:
    """``(network id, type, value)`` of every valid identifier of every linked complaint."""
    return (
        select(NetworkMember.network_id, ComplaintIdentifier.obs_type, ComplaintIdentifier.value)
        .join(ComplaintIdentifier, ComplaintIdentifier.complaint_seq == NetworkMember.complaint_seq)
        .where(ComplaintIdentifier.valid.is_(True))
    )


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _members(
    session: Session, network_ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, dict[Key, int]]]:
    """The complaint ids of each network, and how many of its complaints name each identifier."""
    complaints: dict[str, list[str]] = defaultdict(list)
    identifiers: dict[str, dict[Key, int]] = defaultdict(Counter)
    for chunk in _chunks(network_ids):
        for network_id, complaint_id in session.execute(
            select(NetworkMember.network_id, Complaint.complaint_id)
            .join(Complaint, Complaint.seq == NetworkMember.complaint_seq)
            .where(NetworkMember.network_id.in_(chunk))
        ):
            complaints[network_id].append(complaint_id)
        for network_id, obs_type, value in session.execute(
            _network_identifiers().where(NetworkMember.network_id.in_(chunk))
        ):
            identifiers[network_id][(obs_type, value)] += 1
    return complaints, identifiers


def explain(
    session: Session,
    actor: Actor,
    network_id: str,
    source: str | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """How a network's complaints are linked: each identifier that links and whom it links;
    with ``source`` and ``target`` (complaint ids), the shortest chain between the two."""
    actor.require(*READERS)
    if (source is None) != (target is None):
        raise InvalidInput("give both --from and --to, or neither")
    network = session.get(Network, network_id)
    if network is None:
        raise NotFound(f"no network {network_id!r}", network=network_id)
    if network.status == "merged":
        raise NotFound(
            f"network {network_id} was merged into {network.merged_into}",
            network=network_id,
            merged_into=network.merged_into,
        )
    seqs = dict(
        session.execute(
            select(Complaint.seq, Complaint.complaint_id)
            .join(NetworkMember, NetworkMember.complaint_seq == Complaint.seq)
            .where(NetworkMember.network_id == network_id)
        ).all()
    )
    suppressed = _latest_suppressed(session)
    linking = _linking(session, list(seqs), suppressed)
    result: dict[str, Any] = {"network": network_id, "complaints": len(seqs)}
    if source is not None and target is not None:
        ids = {cid: seq for seq, cid in seqs.items()}
        for given in (source, target):
            if given not in ids:
                raise NotFound(
                    f"complaint {given!r} is not in network {network_id}",
                    complaint=given,
                    network=network_id,
                )
        steps = chain(linking, ids[source], ids[target]) or []
        result.update(
            {
                "from": source,
                "to": target,
                "chain": [
                    {"from": seqs[a], "identifier": {"type": k[0], "value": k[1]}, "to": seqs[b]}
                    for a, k, b in steps
                ],
            }
        )
    else:
        result["links"] = [
            {"type": t, "value": v, "complaints": sorted(seqs[s] for s in members)}
            for (t, v), members in sorted(linking.items())
        ]
    audit.record(
        session,
        actor.username,
        "link.explain",
        "network",
        network_id,
        details={"from": source, "to": target},
    )
    return result


def _linking(
    session: Session, seqs: Iterable[int], suppressed: dict[Key, str]
) -> dict[Key, list[int]]:
    """The identifiers two or more of ``seqs`` share and that link (not suppressed)."""
    named: dict[Key, set[int]] = defaultdict(set)
    for seq, keys in _identifiers_of(session, seqs).items():
        for key in keys:
            named[key].add(seq)
    return {
        key: sorted(members)
        for key, members in named.items()
        if len(members) > 1 and key not in suppressed
    }
