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
    + 15 × (countries − 1)                     cross-border networks first
    + 10 × 0.5 ^ (days since last complaint / 90)

Complaints are personal data: every listing and explanation is in the audit log.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from comity.context import NodeContext
from comity.core.errors import InvalidInput, NotFound
from comity.core.settings import Settings
from comity.core.timeutil import utcnow
from comity.db.bulk import insert_many
from comity.identity import audit
from comity.identity.services import Actor, resolve_actor
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


def run_linkage(ctx: NodeContext, actor_name: str | None) -> dict[str, Any]:
    """Link every complaint held; update the networks, keeping their ids; return a summary."""
    from comity.intel.warninglists import for_settings

    listed = evidence_rule(for_settings(ctx.settings))
    hubs = HubPolicy(ctx.settings.link_hub_min_complaints, ctx.settings.link_hub_min_groups)
    with ctx.transaction() as session:
        actor = resolve_actor(session, actor_name)
        actor.require(*READERS)
        occurrences = session.execute(
            select(
                ComplaintIdentifier.complaint_seq,
                ComplaintIdentifier.obs_type,
                ComplaintIdentifier.value,
            ).where(ComplaintIdentifier.valid.is_(True))
        ).all()
        complaints = session.scalar(select(func.count()).select_from(Complaint)) or 0
        linkage = link(((int(s), str(t), str(v)) for s, t, v in occurrences), listed, hubs)
        record = LinkRun(
            complaints=complaints,
            networks=len(linkage.groups),
            requested_by=actor.username,
            details={
                "suppressed": [[t, v, r] for (t, v), r in sorted(linkage.suppressed.items())],
                "hubs": {"min_complaints": hubs.min_complaints, "min_groups": hubs.min_groups},
            },
        )
        session.add(record)
        session.flush()
        changes = _assign(session, linkage, record)
        audit.record(
            session,
            actor.username,
            "link.run",
            "link-run",
            str(record.id),
            details={"complaints": complaints, "networks": len(linkage.groups), **changes},
        )
    return {
        "run": str(record.id),
        "complaints": complaints,
        "linked": sum(len(g) for g in linkage.groups),
        "networks": len(linkage.groups),
        "suppressed": len(linkage.suppressed),
        **changes,
    }


def _assign(session: Session, linkage: Linkage, record: LinkRun) -> dict[str, int]:
    """Give each group its stable id; record what changed; rewrite the membership.

    Each earlier network's **heir** is the group holding most of its complaints (the larger
    group on a tie). A group keeps the id of the network it is heir to that has most
    complaints in it (the older on a tie); other networks it is heir to are merged into that
    one. A group heir to none gets a new id — ``split`` from the networks its complaints were
    in, if any, else ``created``. A network none of whose complaints is linked now is
    ``dissolved``.
    """
    before: dict[int, str] = dict(
        session.execute(select(NetworkMember.complaint_seq, NetworkMember.network_id)).all()
    )
    old_sizes = Counter(before.values())
    networks = {n.id: n for n in session.scalars(select(Network).where(Network.status == "active"))}
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

    def event(network_id: str, kind: str, **details: Any) -> None:
        events.append(
            {"network_id": network_id, "kind": kind, "details": details, "run_id": record.id}
        )
        counts_of[kind] += 1

    for index, group in enumerate(groups):
        mine = sorted(
            (nid for nid in held[index] if heir[nid] == index),
            key=lambda nid: (-held[index][nid], networks[nid].number),
        )
        if not mine:
            network = Network(id=f"N-{next_number:06d}", number=next_number, complaints=0)
            next_number += 1
            session.add(network)
            networks[network.id] = network
            if held[index]:
                event(network.id, "split", part_of=sorted(held[index]), complaints=len(group))
            else:
                event(network.id, "created", complaints=len(group))
        else:
            network = networks[mine[0]]
            for other in mine[1:]:
                networks[other].status, networks[other].merged_into = "merged", network.id
                networks[other].updated_at = now
                event(other, "merged", into=network.id)
            if mine[1:]:
                event(network.id, "merged", absorbed=mine[1:], complaints=len(group))
            elif len(group) > old_sizes[network.id]:
                event(network.id, "grown", complaints=len(group), was=old_sizes[network.id])
            elif len(group) < old_sizes[network.id]:
                event(network.id, "shrunk", complaints=len(group), was=old_sizes[network.id])
        network.complaints, network.updated_at = len(group), now
        ids.append(network.id)
        members.extend((seq, network.id) for seq in group)
    for nid, indexes in parts.items():
        if len(indexes) > 1:
            event(nid, "split", into=sorted({ids[i] for i in indexes} - {nid}))
    for nid, network in networks.items():
        if network.status == "active" and nid not in heir and nid not in set(ids):
            network.status, network.complaints, network.updated_at = "dissolved", 0, now
            event(nid, "dissolved")
    session.flush()
    session.execute(delete(NetworkMember))
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
    session: Session, actor: Actor, settings: Settings, *, network_id: str | None = None
) -> dict[str, Any]:
    """The active networks, ranked by score, each as ``comity link networks --json`` prints."""
    actor.require(*READERS)
    query = select(Network).where(Network.status == "active")
    if network_id is not None:
        query = query.where(Network.id == network_id)
    networks = {n.id: n for n in session.scalars(query)}
    if network_id is not None and not networks:
        raise NotFound(f"no active network {network_id!r}", network=network_id)
    complaints, identifiers = _members(session, list(networks))
    suppressed_now = _latest_suppressed(session)
    from comity.intel.warninglists import for_settings

    listed = evidence_rule(for_settings(settings))
    for named_keys in identifiers.values():
        for key in named_keys:
            if key not in suppressed_now:
                reason = listed(*key)
                if reason is not None:
                    suppressed_now[key] = reason
    result = []
    for nid in networks:
        rows = complaints.get(nid, [])
        if not rows:
            continue
        named = identifiers.get(nid, {})
        losses: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            if row.loss_amount is not None and row.currency is not None:
                losses[row.currency] += Decimal(row.loss_amount)
        victim_ids = {row.victim_id for row in rows if row.victim_id}
        victims = len(victim_ids) + sum(1 for row in rows if not row.victim_id)
        countries = sorted({row.country for row in rows})
        last_seen = max(row.received_on for row in rows)
        result.append(
            {
                "id": nid,
                "complaints": sorted(row.complaint_id for row in rows),
                "identifiers": [
                    {"type": t, "value": v, "complaints": n}
                    for (t, v), n in sorted(named.items())
                    if (t, v) not in suppressed_now
                ],
                "suppressed": [
                    {"type": t, "value": v, "reason": suppressed_now[(t, v)]}
                    for (t, v) in sorted(named)
                    if (t, v) in suppressed_now
                ],
                "countries": countries,
                "victims": victims,
                "loss": {c: _money(a) for c, a in sorted(losses.items())},
                "first_seen": min(row.received_on for row in rows).isoformat(),
                "last_seen": last_seen.isoformat(),
                "score": score(victims, losses, len(countries), last_seen, settings),
            }
        )
    result.sort(key=lambda n: (-n["score"], n["id"]))
    audit.record(
        session,
        actor.username,
        "link.networks",
        "network",
        network_id or "*",
        details={"networks": len(result), "complaints": sum(len(n["complaints"]) for n in result)},
    )
    return {"networks": result}


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _members(
    session: Session, network_ids: list[str]
) -> tuple[dict[str, list[Any]], dict[str, dict[Key, int]]]:
    complaints: dict[str, list[Any]] = defaultdict(list)
    identifiers: dict[str, dict[Key, int]] = defaultdict(Counter)
    for start in range(0, len(network_ids), 500):
        chunk = network_ids[start : start + 500]
        for row in session.execute(
            select(
                NetworkMember.network_id,
                Complaint.complaint_id,
                Complaint.country,
                Complaint.received_on,
                Complaint.loss_amount,
                Complaint.currency,
                Complaint.victim_id,
            )
            .join(Complaint, Complaint.seq == NetworkMember.complaint_seq)
            .where(NetworkMember.network_id.in_(chunk))
        ):
            complaints[row.network_id].append(row)
        for network_id, obs_type, value in session.execute(
            select(
                NetworkMember.network_id, ComplaintIdentifier.obs_type, ComplaintIdentifier.value
            )
            .join(
                ComplaintIdentifier,
                ComplaintIdentifier.complaint_seq == NetworkMember.complaint_seq,
            )
            .where(NetworkMember.network_id.in_(chunk), ComplaintIdentifier.valid.is_(True))
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
    named: dict[Key, list[int]] = defaultdict(list)
    wanted = list(seqs)
    for start in range(0, len(wanted), 500):
        for seq, obs_type, value in session.execute(
            select(
                ComplaintIdentifier.complaint_seq,
                ComplaintIdentifier.obs_type,
                ComplaintIdentifier.value,
            ).where(
                ComplaintIdentifier.complaint_seq.in_(wanted[start : start + 500]),
                ComplaintIdentifier.valid.is_(True),
            )
        ):
            named[(obs_type, value)].append(seq)
    return {
        key: sorted(set(members))
        for key, members in named.items()
        if len(set(members)) > 1 and key not in suppressed
    }
