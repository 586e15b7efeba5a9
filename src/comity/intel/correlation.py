"""The observable index and correlation: every identifier the node knows, and where.

    refs = [NewRef("phone-number", "+919876543210", kind="intel", ref=stix_id, ...)]
    matches = index(session, refs, policy)   # stores the refs, records matches with earlier ones

Values are normalized (:mod:`comity.intel.observables`) before they reach the index, so the
same identifier written ten ways is one entry. Each new reference to a value already known
from elsewhere is recorded as a :class:`~comity.intel.models.Correlation`.

Values that occur everywhere do not correlate (:class:`CorrelationPolicy`): one on a warning
list (:mod:`comity.intel.warninglists`: a bank's helpline, a big brand's domain, a free
e-mail provider) is still indexed, so a search finds it, but records no correlation; and a
value already known from ``correlation_cap`` places (a setting, 50 by default) stops
correlating further — a search shows it as "known from N places". The policy comes from the
node's settings (``CorrelationPolicy.for_settings(ctx.settings)``), built once by the caller
and passed to every function that indexes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from comity.db.bulk import insert_many
from comity.intel.models import Correlation, ObservableRef

if TYPE_CHECKING:
    from comity.core.settings import Settings

_CHUNK = 400

MAX_VALUE_LENGTH = 500


class NewRef(NamedTuple):
    """A reference to a normalized identifier, about to be indexed.

    The fields are :class:`~comity.intel.models.ObservableRef`'s columns, in order, so a list
    of them goes to the database as it is.
    """

    obs_type: str
    value: str
    kind: str
    ref: str
    agency: str
    collection_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    tlp: str | None = None
    origin_peer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CorrelationPolicy:
    """What keeps a value from correlating: warning lists, and a cap on its places."""

    cap: int
    """A value known from this many places correlates no further."""
    suppression: Callable[[str, str], str | None]
    """``(type, canonical value) -> reason`` when a warning list names the value."""

    @classmethod
    def for_settings(cls, settings: Settings | None = None) -> CorrelationPolicy:
        """The policy of a node's settings (default: the environment's)."""
        from comity.intel.warninglists import for_settings

        if settings is None:
            from comity.core.settings import load_settings

            settings = load_settings()
        return cls(
            cap=max(settings.correlation_cap, 1), suppression=for_settings(settings).suppression
        )


def capped(places: int, cap: int) -> str:
    """How a value over the correlation cap is described."""
    return f"known from {places} places (the correlation cap is {cap}): not correlated further"


@dataclass
class IndexResult:
    """What :func:`index_refs` did: correlations recorded, and values kept from correlating."""

    stored: int = 0
    correlations: int = 0
    suppressed: dict[tuple[str, str], str] = field(default_factory=dict)
    """``(type, value) -> reason`` for values that matched earlier places but did not correlate."""


def index(session: Session, refs: Sequence[NewRef], policy: CorrelationPolicy) -> int:
    """Store ``refs`` (skipping ones already stored); record and count their correlations."""
    return index_refs(session, refs, policy).correlations


def index_refs(session: Session, refs: Sequence[NewRef], policy: CorrelationPolicy) -> IndexResult:
    """Store ``refs`` (skipping ones already stored) and record their correlations.

    A new reference correlates with every earlier place of its value, unless the value is
    on a warning list or already known from ``policy.cap`` places (see the module).
    """
    result = IndexResult()
    unique: dict[tuple[str, str, str, str], NewRef] = {}
    for new in refs:
        if len(new.value) <= MAX_VALUE_LENGTH:
            unique.setdefault((new.obs_type, new.value, new.kind, new.ref), new)
    if not unique:
        return result
    keys = sorted({(r.obs_type, r.value) for r in unique.values()})
    known_refs, known_values = _known(session, keys)
    fresh = [r for key, r in unique.items() if key not in known_refs]
    if not fresh:
        return result
    insert_many(session, ObservableRef, fresh, columns=NewRef._fields)
    result.stored = len(fresh)
    matched_keys = sorted({(r.obs_type, r.value) for r in fresh} & known_values)
    if not matched_keys:
        return result
    live = []
    for key in matched_keys:
        reason = policy.suppression(*key)
        if reason is None:
            live.append(key)
        else:
            result.suppressed[key] = reason
    fresh_keys = {(r.obs_type, r.value, r.kind, r.ref) for r in fresh}
    fresh_count: dict[tuple[str, str], int] = defaultdict(int)
    for r in fresh:
        fresh_count[(r.obs_type, r.value)] += 1
    places = _counts(session, live)
    under_cap = []
    for key in live:
        earlier = places.get(key, 0) - fresh_count[key]
        if earlier >= policy.cap:
            result.suppressed[key] = capped(places.get(key, 0), policy.cap)
        else:
            under_cap.append(key)
    rows = _rows(session, under_cap)
    correlations: list[dict[str, object]] = []
    for (obs_type, value), entries in rows.items():
        new_ones = [e for e in entries if (obs_type, value, e.kind, e.ref) in fresh_keys]
        old_ones = [e for e in entries if (obs_type, value, e.kind, e.ref) not in fresh_keys]
        room = policy.cap - len(old_ones)
        new_ones = sorted(new_ones, key=lambda e: e.seq)[: max(room, 0)]
        correlations.extend(
            {"obs_type": obs_type, "value": value, "new_ref": n.seq, "known_ref": o.seq}
            for n in new_ones
            for o in old_ones
            if o.ref != n.ref
        )
    if correlations:
        insert_many(session, Correlation, correlations)
    result.correlations = len(correlations)
    return result


def forget(session: Session, kind: str, ref: str, collection_id: uuid.UUID | None) -> int:
    """Remove the index entries of one place (an object deleted from a collection) and the
    correlations recorded with them; return how many entries went.

    ::

        forget(session, "intel", "indicator--…", collection.id)
    """
    seqs = list(
        session.scalars(
            select(ObservableRef.seq).where(
                ObservableRef.kind == kind,
                ObservableRef.ref == ref,
                ObservableRef.collection_id == collection_id,
            )
        )
    )
    if not seqs:
        return 0
    session.execute(
        delete(Correlation).where(
            or_(Correlation.new_ref.in_(seqs), Correlation.known_ref.in_(seqs))
        )
    )
    session.execute(delete(ObservableRef).where(ObservableRef.seq.in_(seqs)))
    return len(seqs)


def _counts(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """How many places (references) each of ``keys`` has."""
    found: dict[tuple[str, str], int] = {}
    for chunk in _chunks(keys):
        for obs_type, value, count in session.execute(
            select(ObservableRef.obs_type, ObservableRef.value, func.count())
            .where(tuple_(ObservableRef.obs_type, ObservableRef.value).in_(chunk))
            .group_by(ObservableRef.obs_type, ObservableRef.value)
        ):
            found[(obs_type, value)] = count
    return found


def _known(
    session: Session, keys: Sequence[tuple[str, str]]
) -> tuple[set[tuple[str, str, str, str]], set[tuple[str, str]]]:
    """The stored refs to any of ``keys``, and which of ``keys`` are known at all."""
    refs: set[tuple[str, str, str, str]] = set()
    values: set[tuple[str, str]] = set()
    for chunk in _chunks(keys):
        for obs_type, value, kind, ref in session.execute(
            select(
                ObservableRef.obs_type, ObservableRef.value, ObservableRef.kind, ObservableRef.ref
            ).where(tuple_(ObservableRef.obs_type, ObservableRef.value).in_(chunk))
        ):
            refs.add((obs_type, value, kind, ref))
            values.add((obs_type, value))
    return refs, values


def _rows(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[ObservableRef]]:
    grouped: dict[tuple[str, str], list[ObservableRef]] = defaultdict(list)
    for chunk in _chunks(keys):
        for row in session.scalars(
            select(ObservableRef).where(
                tuple_(ObservableRef.obs_type, ObservableRef.value).in_(chunk)
            )
        ):
            grouped[(row.obs_type, row.value)].append(row)
    return grouped


def _chunks(keys: Sequence[tuple[str, str]]) -> Iterable[list[tuple[str, str]]]:
    for start in range(0, len(keys), _CHUNK):
        yield list(keys[start : start + _CHUNK])
