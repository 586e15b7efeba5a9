"""Models of the node's identity: agencies, keys, users, tokens, the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin

ROLES = (
    "administrator",
    "analyst",
    "investigator",
    "legal_officer",
    "forensic_examiner",
    "supervisor",
)
PEER_ROLE = "peer"


class Agency(IdMixin, Base):
    """A law-enforcement agency: this node's own (``is_local``) or a peer's."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    keys: Mapped[list[PublicKeyRecord]] = relationship(
        back_populates="agency", order_by="PublicKeyRecord.created_at"
    )


class NodeInfo(IdMixin, Base):
    """The single row describing this node."""

    __tablename__ = "node_info"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    url: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()


class PublicKeyRecord(IdMixin, Base):
    """A public key of an agency: ``kind`` signing (Ed25519) or encryption (X25519).

    ``status`` is ``active``, ``retired`` (rotated out: still verifies what it signed before) or
    ``revoked`` (compromised: nothing it signs is trusted any more).
    """

    __tablename__ = "public_keys"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(500))

    agency: Mapped[Agency] = relationship(back_populates="keys")


class User(IdMixin, Base):
    """A person (or a peer node's service account) who may act on this node."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()

    def has_role(self, *roles: str) -> bool:
        """Tell whether the user holds any of ``roles``."""
        return any(role in self.roles for role in roles)


class ApiToken(IdMixin, Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class ChainHead(Base):
    """The head of an append-only hash chain (the audit log): its length and last hash.

    Appending updates this row first, which serializes writers on SQLite and PostgreSQL alike.
    """

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """An entry of the append-only, hash-chained audit log: a change or a read of case data."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
