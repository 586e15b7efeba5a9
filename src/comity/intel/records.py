"""The node's own records in the observable index: evidence items and cases.

    counts = index_node_records(session, policy=CorrelationPolicy.for_settings(ctx.settings))
    # {"evidence": 2, "cases": 1, "stored": 7, "correlations": 3}

Evidence items are indexed by their hashes (SHA-256, and MD5 and SHA-1 when computed) as
``file-sha256`` / ``file-md5`` / ``file-sha1`` references of kind ``evidence``; cases by the
identifiers their title and summary name (phone numbers, accounts, UPI IDs, domains… found by
:func:`~comity.intel.observables.extract`, names left out) as references of kind ``case``.
Each reference carries its case, so a search can say which case — and which investigators —
an identifier belongs to, to those allowed to see it.

The run is incremental: a watermark per source (:class:`~comity.intel.models.IndexWatermark`)
remembers the newest ``created_at`` (evidence) or ``updated_at`` (cases) read; the next run
reads from a little before it (:data:`OVERLAP`, for transactions that committed late), and
what is already indexed is skipped. Search runs it first, and so does every import, so a new
identifier is matched against evidence and cases as well as intelligence. The watermark rows
are locked for the run, so two indexers never insert the same references.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.core.timeutil import utcnow
from comity.evidence.models import EvidenceItem
from comity.identity.models import Agency
from comity.intel.correlation import CorrelationPolicy, NewRef, index_refs
from comity.intel.models import IndexWatermark

SOURCES: Final = ("evidence", "case")

OVERLAP: Final = timedelta(minutes=10)
"""How far before its watermark a run reads again (a record stamped before the watermark but
committed after the last run is found by the next)."""

_HASHES: Final = (("sha256", "file-sha256"), ("md5", "file-md5"), ("sha1", "file-sha1"))
_NOT_IDENTIFIERS: Final = frozenset({"person-name", "organization-name"})


def index_node_records(session: Session, *, policy: CorrelationPolicy) -> dict[str, int]:
    """Index the evidence items and cases added or changed since the last run.

    Returns how many items and cases were read, references stored and correlations recorded.
    """
    marks = _watermarks(session)
    agency = session.scalars(select(Agency).where(Agency.is_local.is_(True))).first()
    code = agency.code if agency is not None else "LOCAL"
    country = _country(agency.country) if agency is not None else None
    refs: list[NewRef] = []
    items, newest_item = _evidence(session, marks["evidence"].position, code, refs)
    cases, newest_case = _cases(session, marks["case"].position, code, country, refs)
    result = index_refs(session, refs, policy)
    now = utcnow()
    for source, newest in (("evidence", newest_item), ("case", newest_case)):
        mark = marks[source]
        if newest is not None and (mark.position is None or newest > mark.position):
            mark.position = newest
        mark.updated_at = now
    session.flush()
    return {
        "evidence": items,
        "cases": cases,
        "stored": result.stored,
        "correlations": result.correlations,
    }


def _watermarks(session: Session) -> dict[str, IndexWatermark]:
    """The watermark rows, locked for this transaction (created if missing)."""
    query = select(IndexWatermark).where(IndexWatermark.source.in_(SOURCES)).with_for_update()
    found = {mark.source: mark for mark in session.scalars(query)}
    for source in SOURCES:
        if source not in found:
            found[source] = IndexWatermark(source=source, position=None)
            session.add(found[source])
    session.flush()
    return found


def _country(code: str) -> str | None:
    """The agency's country if phone numbers know it (the default region for extraction)."""
    from comity.intel.errors import UnknownCountry
    from comity.intel.observables import check_country

    try:
        return check_country(code)
    except UnknownCountry:
        return None


def _since(position: datetime | None) -> datetime | None:
    return position - OVERLAP if position is not None else None


def _evidence(
    session: Session, position: datetime | None, code: str, refs: list[NewRef]
) -> tuple[int, datetime | None]:
    from comity.intel.observables import normalize

    query = select(
        EvidenceItem.id,
        EvidenceItem.case_id,
        EvidenceItem.sha256,
        EvidenceItem.md5,
        EvidenceItem.sha1,
        EvidenceItem.origin_agency,
        EvidenceItem.created_at,
    ).order_by(EvidenceItem.created_at)
    since = _since(position)
    if since is not None:
        query = query.where(EvidenceItem.created_at >= since)
    count, newest = 0, position
    for row in session.execute(query):
        count += 1
        hashes: dict[str, Any] = {"sha256": row.sha256, "md5": row.md5, "sha1": row.sha1}
        for column, obs_type in _HASHES:
            if hashes[column]:
                observable = normalize(obs_type, hashes[column])
                if observable.valid:
                    refs.append(
                        NewRef(
                            obs_type,
                            observable.value,
                            "evidence",
                            str(row.id),
                            row.origin_agency or code,
                            case_id=row.case_id,
                        )
                    )
        newest = row.created_at if newest is None else max(newest, row.created_at)
    return count, newest


def _cases(
    session: Session,
    position: datetime | None,
    code: str,
    country: str | None,
    refs: list[NewRef],
) -> tuple[int, datetime | None]:
    from comity.intel.observables import extract

    query = select(Case.id, Case.title, Case.summary, Case.updated_at).order_by(Case.updated_at)
    since = _since(position)
    if since is not None:
        query = query.where(Case.updated_at >= since)
    count, newest = 0, position
    for row in session.execute(query):
        count += 1
        text = f"{row.title}\n{row.summary or ''}"
        for found in extract(text, country=country):
            if found.valid and found.type not in _NOT_IDENTIFIERS:
                refs.append(
                    NewRef(found.type, found.value, "case", str(row.id), code, case_id=row.id)
                )
        newest = row.updated_at if newest is None else max(newest, row.updated_at)
    return count, newest
