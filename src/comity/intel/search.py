"""Search: every place an identifier appears on this node, whoever wrote it and however.

    result = search(session, actor, "0091 98765 43210")

The value may be written any way an analyst meets it — nationally or internationally,
defanged, in another case, with spaces or dashes: it is read as the identifiers it can be
(:func:`~comity.intel.observables.extract`, else each normalizer that accepts it), and each
is looked up by its canonical value in the observable index. Before looking, the node's
evidence items and cases are indexed up to now (:func:`~comity.intel.records.index_node_records`).

For each identifier the result lists every **place** it appears:

- ``intel``: a STIX object — its id and type, each collection holding it, the TLP, the agency
  it came from (a peer's, or this node's) and its source;
- ``evidence``: an evidence item — case reference, exhibit, file name;
- ``case``: a case whose title or summary names it — reference, title, status, and the
  members (investigators…) on it;

the **correlations** recorded between those places, the **agencies** involved, and whether it
is **suppressed** (a warning list names it, or it is known from more places than the
correlation cap) and why. Evidence and cases appear only to those who may see the case
(:func:`comity.cases.services.can_see`); the others are counted under ``hidden``, so an
investigator learns that someone holds a case on it without reading it. Every search is in
the audit log. Peers' service accounts may not search.

Shape (``comity intel search VALUE --json`` prints it)::

    {"query", "country",
     "identifiers": [{"type", "value", "suppressed": null | {"by", "reason"},
                      "places": [{"place", "kind", ...}], "hidden": {"evidence", "case"},
                      "correlations": [{"places": [known, new], "recorded_at"}],
                      "agencies": [...]}],
     "not_valid": [{"type", "value", "reason"}]}
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from comity.cases.models import Case, CaseMember
from comity.cases.services import can_see
from comity.core.timeutil import isoformat
from comity.evidence.models import EvidenceItem
from comity.federation.models import Peer
from comity.identity import audit
from comity.identity.models import ROLES, Agency
from comity.identity.services import Actor
from comity.intel.correlation import CorrelationPolicy, capped
from comity.intel.errors import IntelInputError, UnknownCountry
from comity.intel.models import Collection, Correlation, IntelObject, ObservableRef
from comity.intel.stix import timestamp_of

MAX_QUERY: Final = 2000
"""The longest value searched for (characters)."""

MAX_PLACES: Final = 500
"""At most this many places are listed per identifier (the count is always given)."""

_ORDER: Final = (
    "phone-number",
    "bank-account",
    "upi-id",
    "cryptocurrency-wallet",
    "email-addr",
    "file-sha256",
    "file-sha1",
    "file-md5",
    "ipv4-addr",
    "ipv6-addr",
    "url",
    "domain-name",
)
"""Types tried, in this order, when extraction does not recognize the whole value."""

_NAMES: Final = ("person-name", "organization-name")
_NAME_LIKE: Final = re.compile(r"[^\W\d_][^\W\d_ .'-]*(?:[ .'-]+[^\W\d_]+)*\.?")
"""Words of letters (any script) with spaces, dots, apostrophes, hyphens: maybe a name."""


def interpret(raw: str, country: str | None) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The identifiers ``raw`` can be, canonical, and the readings that are not valid.

    Extraction decides first (it tells a phone number from an IP address); when it does not
    recognize the whole value, each normalizer that accepts it counts; names last.
    """
    from comity.intel.observables import extract, normalize

    text = raw.strip()
    found: list[tuple[str, str]] = []
    not_valid: list[dict[str, Any]] = []
    whole = False
    for item in extract(text, country=country):
        spans = item.start == 0 and item.end == len(text)
        if item.valid:
            found.append((item.type, item.value))
            whole = whole or spans
        elif spans:
            not_valid.append({"type": item.type, "value": item.value, "reason": item.reason})
    if not whole:
        for obs_type in _ORDER:
            observable = normalize(obs_type, text, country=country)
            if observable.valid and (obs_type != "url" or "/" in text):
                found.append((obs_type, observable.value))
        if not found and not not_valid:
            candidates = ["user-account"] if text[:1] == "@" or ":" in text else []
            candidates += [*_NAMES] if _NAME_LIKE.fullmatch(text) else []
            for obs_type in candidates:
                observable = normalize(obs_type, text, country=country)
                if observable.valid:
                    found.append((obs_type, observable.value))
    return list(dict.fromkeys(found)), not_valid


def search(
    session: Session,
    actor: Actor,
    raw_value: str,
    country: str | None = None,
    *,
    policy: CorrelationPolicy,
) -> dict[str, Any]:
    """Every place ``raw_value`` (any written form) appears on this node; see the module.

    ``policy`` is the node's correlation policy (``CorrelationPolicy.for_settings``).
    """
    from comity.intel.observables import check_country
    from comity.intel.records import index_node_records

    actor.require(*ROLES)
    if not raw_value.strip():
        raise IntelInputError("nothing to search for", field="value")
    if len(raw_value) > MAX_QUERY:
        raise IntelInputError(f"a search value has at most {MAX_QUERY} characters", field="value")
    if country is not None:
        country = check_country(country)
    else:
        try:
            country = check_country(actor.agency.country)
        except UnknownCountry:
            country = None
    index_node_records(session, policy=policy)
    identifiers, not_valid = interpret(raw_value, country)
    context = _Context(session, actor)
    results = [context.identifier(obs_type, value, policy) for obs_type, value in identifiers]
    audit.record(
        session,
        actor.username,
        "intel.search",
        "observable",
        None,
        details={
            "query": raw_value.strip()[:200],
            "country": country,
            "identifiers": [{"type": t, "value": v} for t, v in identifiers],
            "places": sum(len(r["places"]) for r in results),
            "cases": sorted(context.cases_seen),
        },
    )
    return {
        "query": raw_value.strip(),
        "country": country,
        "identifiers": results,
        "not_valid": not_valid,
    }


class _Context:
    """Lookups shared by the identifiers of one search."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.cases_seen: set[str] = set()
        self.collections = dict(session.execute(select(Collection.id, Collection.name)).all())
        self.peers = dict(
            session.execute(
                select(Peer.id, Agency.code).join(Agency, Peer.agency_id == Agency.id)
            ).all()
        )

    def identifier(self, obs_type: str, value: str, policy: CorrelationPolicy) -> dict[str, Any]:
        """The places, correlations and suppression of one canonical identifier."""
        refs = list(
            self.session.scalars(
                select(ObservableRef)
                .where(ObservableRef.obs_type == obs_type, ObservableRef.value == value)
                .order_by(ObservableRef.seq)
            )
        )
        reason = policy.suppression(obs_type, value)
        suppressed = {"by": "warning list", "reason": reason} if reason else None
        if suppressed is None and len(refs) > policy.cap:
            suppressed = {"by": "correlation cap", "reason": capped(len(refs), policy.cap)}
        places, hidden = self._places(refs[:MAX_PLACES])
        visible = {place["place"] for place in places}
        correlations = []
        hidden_links = 0
        for row in self.session.scalars(
            select(Correlation)
            .where(Correlation.obs_type == obs_type, Correlation.value == value)
            .order_by(Correlation.seq)
        ):
            if row.known_ref in visible and row.new_ref in visible:
                correlations.append(
                    {
                        "places": [row.known_ref, row.new_ref],
                        "recorded_at": isoformat(row.created_at),
                    }
                )
            else:
                hidden_links += 1
        return {
            "type": obs_type,
            "value": value,
            "suppressed": suppressed,
            "count": len(refs),
            "places": places,
            "hidden": hidden,
            "correlations": correlations,
            "hidden_correlations": hidden_links,
            "agencies": sorted({a for p in places for a in _agencies(p)}),
        }

    def _places(self, refs: list[ObservableRef]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        by_kind: dict[str, list[ObservableRef]] = defaultdict(list)
        for ref in refs:
            by_kind[ref.kind].append(ref)
        described: dict[int, dict[str, Any]] = {}
        hidden = {"evidence": 0, "case": 0}
        described.update(self._intel(by_kind["intel"]))
        for kind, method in (("evidence", self._evidence), ("case", self._cases)):
            shown, unseen = method(by_kind[kind])
            described.update(shown)
            hidden[kind] = unseen
        return [described[ref.seq] for ref in refs if ref.seq in described], hidden

    def _intel(self, refs: list[ObservableRef]) -> dict[int, dict[str, Any]]:
        if not refs:
            return {}
        rows: dict[str, list[IntelObject]] = defaultdict(list)
        for row in self.session.scalars(
            select(IntelObject)
            .where(IntelObject.stix_id.in_({ref.ref for ref in refs}))
            .order_by(IntelObject.added_us)
        ):
            rows[row.stix_id].append(row)
        found = {}
        for ref in refs:
            latest: dict[uuid.UUID, IntelObject] = {}
            for row in rows.get(ref.ref, []):
                if (
                    row.collection_id not in latest
                    or row.version >= latest[row.collection_id].version
                ):
                    latest[row.collection_id] = row
            found[ref.seq] = {
                "place": ref.seq,
                "kind": "intel",
                "stix_id": ref.ref,
                "stix_type": ref.ref.split("--", 1)[0],
                "agency": ref.agency,
                "in": [self._holding(row) for row in latest.values()],
            }
        return found

    def _holding(self, row: IntelObject) -> dict[str, Any]:
        origin = self.peers.get(row.origin_peer_id) if row.origin_peer_id else None
        return {
            "collection": self.collections.get(row.collection_id, str(row.collection_id)),
            "tlp": row.tlp,
            "from_agency": origin or self.actor.agency.code,
            "from_peer": origin is not None,
            "source": row.source,
            "source_kind": row.source_kind,
            "added_by": row.added_by,
            "added_at": timestamp_of(row.added_us),
        }

    def _visible_cases(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, Case]:
        if not ids:
            return {}
        cases = self.session.scalars(
            select(Case)
            .where(Case.id.in_(ids))
            .options(selectinload(Case.members).selectinload(CaseMember.user))
        )
        return {case.id: case for case in cases if can_see(self.actor, case)}

    def _evidence(self, refs: list[ObservableRef]) -> tuple[dict[int, dict[str, Any]], int]:
        if not refs:
            return {}, 0
        ids = {_uuid(ref.ref) for ref in refs} - {None}
        items = {
            item.id: item
            for item in self.session.scalars(select(EvidenceItem).where(EvidenceItem.id.in_(ids)))
        }
        cases = self._visible_cases({item.case_id for item in items.values()})
        found, hidden = {}, 0
        for ref in refs:
            item = items.get(_uuid(ref.ref))  # type: ignore[arg-type]
            case = cases.get(item.case_id) if item is not None else None
            if item is None or case is None:
                hidden += 1
                continue
            self.cases_seen.add(case.reference)
            found[ref.seq] = {
                "place": ref.seq,
                "kind": "evidence",
                "case": case.reference,
                "exhibit": item.exhibit,
                "name": item.name,
                "agency": item.origin_agency,
                "added_at": isoformat(item.created_at),
            }
        return found, hidden

    def _cases(self, refs: list[ObservableRef]) -> tuple[dict[int, dict[str, Any]], int]:
        cases = self._visible_cases({ref.case_id for ref in refs if ref.case_id is not None})
        found, hidden = {}, 0
        for ref in refs:
            case = cases.get(ref.case_id) if ref.case_id is not None else None
            if case is None:
                hidden += 1
                continue
            self.cases_seen.add(case.reference)
            found[ref.seq] = {
                "place": ref.seq,
                "kind": "case",
                "case": case.reference,
                "title": case.title,
                "status": case.status,
                "agencies": list(case.agencies),
                "members": [
                    {
                        "username": member.user.username,
                        "name": member.user.display_name,
                        "role": member.role,
                    }
                    for member in case.members
                ],
            }
        return found, hidden


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _agencies(place: dict[str, Any]) -> list[str]:
    if place["kind"] == "intel":
        return [holding["from_agency"] for holding in place["in"]] or [place["agency"]]
    if place["kind"] == "case":
        return list(place["agencies"])
    return [place["agency"]]
