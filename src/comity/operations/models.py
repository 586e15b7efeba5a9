"""Models of joint operations: the operation, its agencies, targets, tasks, outcomes, notes.

An operation comes from a fraud network (``link_networks.id``) and keeps, from the moment it
was created, the network's complaint count and its identifiers (as its first targets): the
network may grow, merge or dissolve later, the operation's record of what it set out against
does not change. Times are stored in UTC; amounts as exact decimal strings (``"245000.5"``),
whatever the database.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin
from comity.identity.models import Agency
from comity.link.models import Network

STATUSES: Final = ("planned", "active", "executed", "closed", "cancelled")
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "planned": ("active", "cancelled"),
    "active": ("executed", "planned", "cancelled"),
    "executed": ("closed",),
    "closed": (),
    "cancelled": (),
}
"""Which status may follow which: ``active`` → ``planned`` is a postponement; ``closed`` and
``cancelled`` are final."""

CARRIED_OUT: Final = ("executed", "closed")
"""The statuses of operations that took place (the ones ``comity operation stats`` counts)."""

TARGET_KINDS: Final = ("identifier", "suspect", "premises")
COUNT_KINDS: Final = (
    "arrests",
    "searches",
    "devices_seized",
    "accounts_frozen",
    "victims_identified",
)
FUNDS_KINDS: Final = ("funds_frozen", "funds_recovered")
OUTCOME_KINDS: Final = COUNT_KINDS + FUNDS_KINDS


class Operation(Base):
    """A joint operation against one fraud network."""

    __tablename__ = "operation_operations"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_operation_operations_number"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    """``OP-2026-0001``: the year (in the node's time zone) and a sequence number in it."""
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="planned", index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("link_networks.id"), index=True)
    network_complaints: Mapped[int] = mapped_column(Integer)
    """How many complaints the network had when the operation was created."""
    planned_at: Mapped[datetime | None] = mapped_column()
    """The synchronized time of action, UTC."""
    executed_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the operation was carried out (set on ``executed``), UTC."""
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    network: Mapped[Network] = relationship()
    agencies: Mapped[list[OperationAgency]] = relationship(
        back_populates="operation",
        cascade="all, delete-orphan",
        order_by="OperationAgency.position",
    )
    targets: Mapped[list[OperationTarget]] = relationship(
        cascade="all, delete-orphan", order_by="OperationTarget.number"
    )
    tasks: Mapped[list[OperationTask]] = relationship(
        cascade="all, delete-orphan", order_by="OperationTask.number"
    )
    outcomes: Mapped[list[OperationOutcome]] = relationship(
        cascade="all, delete-orphan", order_by="OperationOutcome.number"
    )
    notes: Mapped[list[OperationNote]] = relationship(
        cascade="all, delete-orphan", order_by="OperationNote.number"
    )
    history: Mapped[list[OperationStatusChange]] = relationship(
        cascade="all, delete-orphan", order_by="OperationStatusChange.number"
    )


class OperationAgency(Base):
    """An agency taking part: this node's own (``lead``) or a peer's (``partner``), with the
    time zone the operation's times are shown to it in."""

    __tablename__ = "operation_agencies"

    operation_id: Mapped[str] = mapped_column(
        ForeignKey("operation_operations.id"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    operation: Mapped[Operation] = relationship(back_populates="agencies")
    agency: Mapped[Agency] = relationship()


class OperationTarget(IdMixin, Base):
    """A target in one jurisdiction: an identifier, a suspect or premises."""

    __tablename__ = "operation_targets"
    __table_args__ = (
        UniqueConstraint("operation_id", "number", name="uq_operation_targets_number"),
    )

    operation_id: Mapped[str] = mapped_column(ForeignKey("operation_operations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    jurisdiction: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))
    """``identifier``, ``suspect`` or ``premises``."""
    obs_type: Mapped[str | None] = mapped_column(String(40))
    """For an identifier: its STIX type (``phone-number``, ``upi-id``…)."""
    value: Mapped[str | None] = mapped_column(String(500))
    """For an identifier: its canonical value (:func:`comity.intel.observables.normalize`)."""
    name: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))
    """``network`` (taken from the network at creation) or ``added`` (by a user)."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """For a network identifier: how many of the network's complaints named it."""
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationTask(IdMixin, Base):
    """A task of the operation, assigned to one of its agencies."""

    __tablename__ = "operation_tasks"
    __table_args__ = (UniqueConstraint("operation_id", "number", name="uq_operation_tasks_number"),)

    operation_id: Mapped[str] = mapped_column(ForeignKey("operation_operations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str] = mapped_column(String(32))
    due: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationOutcome(IdMixin, Base):
    """A result one agency reports: a count (arrests…) or an amount of funds in a currency."""

    __tablename__ = "operation_outcomes"
    __table_args__ = (
        UniqueConstraint("operation_id", "number", name="uq_operation_outcomes_number"),
    )

    operation_id: Mapped[str] = mapped_column(ForeignKey("operation_operations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    count: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[str | None] = mapped_column(String(40))
    """A decimal string (``"245000.5"``): exact, whatever the database."""
    currency: Mapped[str | None] = mapped_column(String(3))
    """ISO 4217 code of ``amount``."""
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationNote(IdMixin, Base):
    """A free-text note on the operation."""

    __tablename__ = "operation_notes"
    __table_args__ = (UniqueConstraint("operation_id", "number", name="uq_operation_notes_number"),)

    operation_id: Mapped[str] = mapped_column(ForeignKey("operation_operations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationStatusChange(IdMixin, Base):
    """One change of an operation's status: from, to, who, when, why."""

    __tablename__ = "operation_status_changes"
    __table_args__ = (
        UniqueConstraint("operation_id", "number", name="uq_operation_status_changes_number"),
    )

    operation_id: Mapped[str] = mapped_column(ForeignKey("operation_operations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
