"""Models of linkage: ingested complaints, the identifiers they name, and the ingests.

A complaint is stored once, under the agency's own id (``complaint_id``), with a hash of its
content: the same row ingested again changes nothing, and a different row under the same id is
refused. Its identifiers — from the structured columns and from the narrative — are stored
normalized (one canonical value per identifier, :mod:`comity.intel.observables`) with the form
the victim wrote. Complaints hold personal data: they never leave the node that ingested them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class ComplaintIngest(IdMixin, Base):
    """One run of ``comity link ingest`` over one file: its counts and how far it got.

    ``line`` is the last line (row, for Parquet) whose complaints are committed: a run over
    the same file (same SHA-256) that finds an unfinished ingest goes on after it.
    """

    __tablename__ = "link_ingests"

    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="running")
    """``running`` (or interrupted) or ``complete``."""
    line: Mapped[int] = mapped_column(Integer, default=0)
    ingested: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The first rejections and warnings, each ``{"line", "reason"}``."""
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(Base):
    """One complaint, as the agency's system recorded it."""

    __tablename__ = "link_complaints"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(100), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    received_on: Mapped[date] = mapped_column(Date)
    victim_region: Mapped[str | None] = mapped_column(String(200))
    victim_age: Mapped[int | None] = mapped_column(Integer)
    loss_amount: Mapped[str | None] = mapped_column(String(32))
    """A decimal string (``"245000.50"``): exact, whatever the database."""
    currency: Mapped[str | None] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(100))
    narrative: Mapped[str | None] = mapped_column(Text)
    victim_id: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the complaint's content (:func:`comity.link.rows.content_hash`)."""
    ingest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("link_ingests.id"))
    source_line: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintIdentifier(Base):
    """An identifier a complaint names, normalized; where it was found and as what."""

    __tablename__ = "link_identifiers"
    __table_args__ = (
        UniqueConstraint("complaint_seq", "obs_type", "value", name="uq_link_identifiers"),
        Index("ix_link_identifiers_value", "obs_type", "value"),
    )

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    complaint_seq: Mapped[int] = mapped_column(ForeignKey("link_complaints.seq"))
    obs_type: Mapped[str] = mapped_column(String(40))
    """The STIX type name (``phone-number``, ``email-addr``, ``domain-name``…)."""
    value: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(String(500))
    """The first form the complaint wrote it in."""
    origin: Mapped[str] = mapped_column(String(16))
    """``field`` (a structured column), ``narrative`` (extracted), ``derived`` (the
    registrable domain of a URL or e-mail address)."""
    valid: Mapped[bool] = mapped_column(Boolean)


class Network(Base):
    """A fraud network: complaints linked by the identifiers they share.

    Its id is stable: the network keeps it as it grows; when networks merge, the one with the
    most complaints (the oldest on a tie) keeps its id and the others are ``merged`` into it;
    when one splits, its largest part keeps the id. Every change is a :class:`NetworkEvent`.
    """

    __tablename__ = "link_networks"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    """``active``, ``merged`` (into ``merged_into``) or ``dissolved`` (nothing links it now)."""
    merged_into: Mapped[str | None] = mapped_column(String(20))
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkMember(Base):
    """Which network a complaint is in (a complaint linked to no other is in none)."""

    __tablename__ = "link_network_members"

    complaint_seq: Mapped[int] = mapped_column(ForeignKey("link_complaints.seq"), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("link_networks.id"), index=True)


class NetworkEvent(Base):
    """A change to a network: ``created``, ``grown``, ``shrunk``, ``merged``, ``split``,
    ``dissolved``, with what it involved (``details``)."""

    __tablename__ = "link_network_events"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("link_networks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("link_runs.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkRun(IdMixin, Base):
    """One run of ``comity link run``: what it read and found."""

    __tablename__ = "link_runs"

    complaints: Mapped[int] = mapped_column(Integer, default=0)
    networks: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkMatch(Base):
    """One private set intersection with a peer, on either side (:mod:`comity.link.match`).

    The requester keeps its PSI key in a 0600 file until the answer comes; both sides keep
    the identifiers found shared, and nothing of the other side's other identifiers.
    """

    __tablename__ = "link_matches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``requester`` or ``responder`` (a node may play both in a test of itself)."""
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    """``requested``, ``answered``, ``complete``."""
    asked: Mapped[int] = mapped_column(Integer)
    """How many identifiers the requester asked about (all the responder learns)."""
    offered: Mapped[int | None] = mapped_column(Integer)
    """How many this node put in (its own side)."""
    shared: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    """``[[type, value], …]``: what both hold."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
