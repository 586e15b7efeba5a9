"""Models of evidence items, their encrypted blobs, custody events and ledger heads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin

_BIGINT = BigInteger().with_variant(Integer, "sqlite")

CUSTODY_ACTIONS = (
    "acquired",
    "accessed",
    "copied",
    "analysed",
    "exported",
    "transferred",
    "received",
    "returned",
    "disposed",
)


class Blob(Base):
    """An encrypted blob in the evidence store, addressed by HMAC(node secret, SHA-256)."""

    __tablename__ = "blobs"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceItem(IdMixin, Base):
    """One item of digital evidence (a file) in a case."""

    __tablename__ = "evidence_items"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    exhibit: Mapped[str] = mapped_column(String(100), unique=True)
    root_exhibit: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(String(2000))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    blob_address: Mapped[str] = mapped_column(ForeignKey("blobs.address"))
    acquisition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    origin_agency: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blob: Mapped[Blob] = relationship()


class CustodyEvent(Base):
    """One event of an item's custody ledger; append-only (the database refuses changes).

    ``body`` is the event's canonical JSON (RFC 8785) exactly as hashed;
    ``hash = SHA-256(prev_hash || "\\n" || body)``.
    """

    __tablename__ = "custody_events"
    __table_args__ = (UniqueConstraint("item_id", "item_seq", name="uq_custody_events_item_seq"),)

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    item_seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The signed head of an item's ledger: event count and last hash, signed by this node."""

    __tablename__ = "ledger_heads"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence_items.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCheckpoint(IdMixin, Base):
    """A signed head received from another node with a package (its part of the chain)."""

    __tablename__ = "ledger_checkpoints"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(Text)
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PackageRecord(IdMixin, Base):
    """An evidence package this node wrote (``out``) or imported (``in``), and its receipt."""

    __tablename__ = "packages"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    peer_code: Mapped[str] = mapped_column(String(32))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    receipt: Mapped[str | None] = mapped_column(Text)
    receipt_recorded_at: Mapped[datetime | None] = mapped_column()
