"""The observable index and correlation: every identifier the node knows, and where.

    refs = [NewRef("phone-number", "+919876543210", kind="intel", ref=stix_id, ...)]
    matches = index(session, refs)      # stores the refs, records matches with earlier ones

Values are normalized (:mod:`comity.intel.observables`) before they reach the index, so the
same identifier written ten ways is one entry. Each new reference to a value already known
from elsewhere is recorded as a :class:`~comity.intel.models.Correlation`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from comity.db.bulk import insert_many
from comity.intel.models import Correlation, ObservableRef

_CHUNK = 400

MAX_VALUE_LENGTH = 500


@dataclass(frozen=True)
class NewRef:
    """A reference to a normalized identifier, about to be indexed."""

    obs_type: str
    value: str
    kind: str
    ref: str
    agency: str
    collection_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    tlp: str | None = None
    origin_peer_id: uuid.UUID | None = None


def index(session: Session, refs: Sequence[NewRef]) -> int:
    """Store ``refs`` (skipping ones already stored); record and count their correlations."""
    unique: dict[tuple[str, str, str, str], NewRef] = {}
    for new in refs:
        if len(new.value) <= MAX_VALUE_LENGTH:
            unique.setdefault((new.obs_type, new.value, new.kind, new.ref), new)
    if not unique:
        return 0
    keys = sorted({(r.obs_type, r.value) for r in unique.values()})
    known_refs, known_values = _known(session, keys)
    fresh = [r for key, r in unique.items() if key not in known_refs]
    if not fresh:
        return 0
    insert_many(
        session,
        ObservableRef,
        [
            {
                "obs_type": r.obs_type,
                "value": r.value,
                "kind": r.kind,
                "ref": r.ref,
                "agency": r.agency,
                "collection_id": r.collection_id,
                "case_id": r.case_id,
                "tlp": r.tlp,
                "origin_peer_id": r.origin_peer_id,
            }
            for r in fresh
        ],
    )
    matched_keys = sorted({(r.obs_type, r.value) for r in fresh} & known_values)
    if not matched_keys:
        return 0
    rows = _rows(session, matched_keys)
    fresh_keys = {(r.obs_type, r.value, r.kind, r.ref) for r in fresh}
    correlations: list[dict[str, object]] = []
    for (obs_type, value), entries in rows.items():
        new_ones = [e for e in entries if (obs_type, value, e.kind, e.ref) in fresh_keys]
        old_ones = [e for e in entries if (obs_type, value, e.kind, e.ref) not in fresh_keys]
        correlations.extend(
            {"obs_type": obs_type, "value": value, "new_ref": n.seq, "known_ref": o.seq}
            for n in new_ones
            for o in old_ones
            if o.ref != n.ref
        )
    if correlations:
        insert_many(session, Correlation, correlations)
    return len(correlations)


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
