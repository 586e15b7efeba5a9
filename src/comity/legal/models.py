"""Models of legal cooperation: knowledge-base versions, what a case needs abroad, requests.

A request's life is a list of events (who moved it, when, why); its ``state`` is the last one.
Knowledge-base versions are append-only: a revert is a new version that names the one it undoes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base

COMMON_START: Final = ("draft", "review")
AFTER_TRANSMISSION: Final = ("transmitted", "acknowledged", "executing")
OUTCOMES: Final = ("executed", "partially-executed", "refused", "withdrawn")
STATES: Final = (
    "draft",
    "review",
    "central-authority-concurrence",
    "court-issued",
    "central-authority-approval",
    "transmitted",
    "acknowledged",
    "executing",
    "executed",
    "partially-executed",
    "refused",
    "withdrawn",
    "closed",
)
ANSWERED: Final = ("executed", "partially-executed", "refused")
"""Outcomes that are an answer from the requested state (``withdrawn`` is ours)."""
OPEN_STATES: Final = tuple(s for s in STATES if s not in (*OUTCOMES, "closed"))


class KnowledgeVersion(Base):
    """One change to the node's knowledge base: an imported file, or the revert of one."""

    __tablename__ = "legal_kb_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(16))
    """``import`` or ``revert``."""
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(300), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    reverts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseNeed(Base):
    """Something a case needs from abroad: evidence, an asset frozen, a person found."""

    __tablename__ = "legal_case_needs"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_legal_case_needs_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    need: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    """Where the data, asset or person is (the requested state)."""
    holder: Mapped[str] = mapped_column(String(12))
    holder_name: Mapped[str] = mapped_column(String(300), default="")
    urgency: Mapped[str] = mapped_column(String(12), default="normal")
    description: Mapped[str] = mapped_column(Text, default="")
    identifiers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalRequest(Base):
    """A request for assistance abroad, from draft to closed."""

    __tablename__ = "legal_requests"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_legal_requests_number"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    """``REQ-2026-0001`` (or the sender's id for an imported request)."""
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    from_country: Mapped[str] = mapped_column(String(2))
    to_country: Mapped[str] = mapped_column(String(2), index=True)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    holder: Mapped[str] = mapped_column(String(12), default="provider")
    urgency: Mapped[str] = mapped_column(String(12), default="normal")
    state: Mapped[str] = mapped_column(String(32), default="draft", index=True)
    particulars: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the draft says: facts, offences, identifiers, period, assistance… (see
    :mod:`comity.legal.particulars`)."""
    direction: Mapped[str] = mapped_column(String(10), default="outgoing")
    """``outgoing`` (ours) or ``incoming`` (imported from the requesting agency)."""
    peer_agency: Mapped[str] = mapped_column(String(32), default="")
    """For an incoming request, the agency that sent it; for an outgoing one, the one it was
    exported to."""
    remote_id: Mapped[str] = mapped_column(String(24), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    transmitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """For an incoming request: the rendered document it came with (``name``, ``media_type``,
    ``sha256``, ``bytes`` and ``path`` under the node's home)."""

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.seq", cascade="all, delete-orphan"
    )


class RequestEvent(Base):
    """A move of a request (or a renewal): who, when it happened, when recorded, and why."""

    __tablename__ = "legal_request_events"

    request_id: Mapped[str] = mapped_column(ForeignKey("legal_requests.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(16))
    """``create``, ``state``, ``renew``, ``update`` or ``import``."""
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()
    """When it happened (given by the user, never in the future)."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[LegalRequest] = relationship(back_populates="events")
