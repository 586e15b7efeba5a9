"""Models of intelligence: collections, sharing agreements, STIX objects and the observable index.

A STIX object is stored once per collection and version (its ``modified`` timestamp), as the
JSON it arrived in, with its TLP level, where it came from and when it was added. ``added_us``
(microseconds since the epoch) is TAXII's ``date_added``: unique and strictly increasing within
a collection, so paging by it never skips nor repeats an object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin
from comity.federation.models import Peer

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Collection(IdMixin, Base):
    """A named set of intelligence objects; the unit of sharing and of TAXII access."""

    __tablename__ = "intel_collections"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    last_added_us: Mapped[int] = mapped_column(BigInteger, default=0)
    """The latest ``added_us`` in this collection; the next object gets a greater one."""


class SharingAgreement(IdMixin, Base):
    """What one peer may do with one collection, and the highest TLP it may receive."""

    __tablename__ = "intel_sharing_agreements"
    __table_args__ = (UniqueConstraint("collection_id", "peer_id"),)

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intel_collections.id"))
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id"))
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    max_tlp: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))

    collection: Mapped[Collection] = relationship()
    peer: Mapped[Peer] = relationship()


class IntelImport(IdMixin, Base):
    """One import (a file, a TAXII POST, a pull): its counts and outcome; TAXII's status."""

    __tablename__ = "intel_imports"

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intel_collections.id"))
    format: Mapped[str] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    peer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("peers.id"))
    requested_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="complete")
    total: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntelObject(Base):
    """One version of one STIX object in one collection."""

    __tablename__ = "intel_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version", name="uq_intel_objects_version"),
        UniqueConstraint("collection_id", "added_us", name="uq_intel_objects_added"),
        Index("ix_intel_objects_stix_id", "stix_id"),
    )

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intel_collections.id"))
    stix_id: Mapped[str] = mapped_column(String(200))
    stix_type: Mapped[str] = mapped_column(String(100))
    spec_version: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(40))
    """``modified`` as written, else ``created``, else the date it was added (for SCOs)."""
    added_us: Mapped[int] = mapped_column(BigInteger)
    tlp: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    origin_peer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("peers.id"))
    """The peer that gave us this object, if one did (its AMBER is not passed on)."""
    added_by: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("intel_imports.id"))


class ObservableRef(Base):
    """Where a normalized identifier occurs: an intelligence object, evidence, a case."""

    __tablename__ = "intel_observable_refs"
    __table_args__ = (
        # Its leading columns serve lookups by (obs_type, value): no second index needed.
        UniqueConstraint("obs_type", "value", "kind", "ref"),
    )

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    obs_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    """``intel`` (a STIX object), ``evidence`` (an evidence item), ``case`` (a case record)."""
    ref: Mapped[str] = mapped_column(String(200))
    collection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("intel_collections.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    tlp: Mapped[str | None] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(32))
    origin_peer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("peers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correlation(Base):
    """A recorded match: a new reference to an identifier the node already knew."""

    __tablename__ = "intel_correlations"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    obs_type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))
    new_ref: Mapped[int] = mapped_column(ForeignKey("intel_observable_refs.seq"), index=True)
    known_ref: Mapped[int] = mapped_column(ForeignKey("intel_observable_refs.seq"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PullCursor(IdMixin, Base):
    """How far ``comity intel pull`` has read one collection of one peer."""

    __tablename__ = "intel_pull_cursors"
    __table_args__ = (UniqueConstraint("peer_id", "remote_collection"),)

    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id"))
    remote_collection: Mapped[str] = mapped_column(String(200))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intel_collections.id"))
    added_after: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexWatermark(Base):
    """How far the observable index has read one kind of the node's own records.

    ``source`` is ``evidence`` (evidence items, by ``created_at``) or ``case`` (cases, by
    ``updated_at``); :func:`comity.intel.records.index_node_records` reads what is newer.
    """

    __tablename__ = "intel_index_watermarks"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
