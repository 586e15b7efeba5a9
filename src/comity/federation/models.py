"""The peer record."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comity.core.timeutil import utcnow
from comity.db.base import Base, IdMixin
from comity.identity.models import Agency, User


class Peer(IdMixin, Base):
    """Another agency's node that this node cooperates with."""

    __tablename__ = "peers"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), unique=True)
    url: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()
    user: Mapped[User] = relationship()
