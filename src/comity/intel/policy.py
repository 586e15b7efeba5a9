"""What may leave this node: the one place the TLP rules are enforced.

Every path out of the node — TAXII reads, ``comity intel export``, private matching and any
later federation channel — asks this module, never its own copy of the rules:

1. TLP:RED never leaves the node.
2. What a peer gave us under TLP:AMBER or TLP:AMBER+STRICT is never passed on to anyone else
   (it may go back to the peer that gave it).
3. Nothing goes above the recipient's ceiling: a peer's sharing agreement sets it; a file
   export names it (``--max-tlp``, AMBER+STRICT at most).

    recipient = Recipient.peer(peer, agreement.max_tlp)
    reason = refusal("amber", origin_peer_id=None, recipient=recipient)   # None: may go
    rows = session.scalars(select(IntelObject).where(releasable(recipient)))

:func:`refusal` (one object, with the reason) and :func:`releasable` (a SQL condition, for
paging) state the same rules; a test checks they agree on every combination.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, not_

from comity.intel.models import IntelObject
from comity.intel.tlp import LEVELS, RANK, allows

NEVER_RELEASED = "red"
NOT_PASSED_ON = ("amber", "amber+strict")


@dataclass(frozen=True)
class Recipient:
    """Who would receive intelligence: a peer (by id) or an outside file, and its ceiling."""

    label: str
    max_tlp: str
    peer_id: uuid.UUID | None = None

    @classmethod
    def peer(cls, peer_id: uuid.UUID, code: str, max_tlp: str) -> Recipient:
        """A peer under its sharing agreement's ceiling."""
        return cls(label=f"peer {code}", max_tlp=max_tlp, peer_id=peer_id)

    @classmethod
    def file(cls, max_tlp: str) -> Recipient:
        """A file leaving the node for an unnamed recipient."""
        return cls(label="an export file", max_tlp=max_tlp)


def refusal(level: str, origin_peer_id: uuid.UUID | None, recipient: Recipient) -> str | None:
    """Why an object at ``level`` from ``origin_peer_id`` may not go to ``recipient``.

    ``None`` means it may go.
    """
    if level == NEVER_RELEASED:
        return "TLP:RED never leaves this node"
    if (
        level in NOT_PASSED_ON
        and origin_peer_id is not None
        and origin_peer_id != recipient.peer_id
    ):
        return f"received from a peer under TLP:{level.upper()}: not passed on to others"
    if not allows(level, recipient.max_tlp):
        return (
            f"TLP:{level.upper()} is above what {recipient.label} may receive "
            f"(up to TLP:{recipient.max_tlp.upper()})"
        )
    return None


def releasable(recipient: Recipient) -> ColumnElement[bool]:
    """A SQL condition on :class:`IntelObject` selecting what ``recipient`` may receive."""
    levels = [
        level
        for level in LEVELS
        if level != NEVER_RELEASED and RANK[level] <= RANK[recipient.max_tlp]
    ]
    passed_on = [level for level in NOT_PASSED_ON if level in levels]
    from_others = (
        IntelObject.origin_peer_id.is_not(None)
        if recipient.peer_id is None
        else and_(
            IntelObject.origin_peer_id.is_not(None),
            IntelObject.origin_peer_id != recipient.peer_id,
        )
    )
    condition: ColumnElement[bool] = IntelObject.tlp.in_(levels)
    if passed_on:
        condition = and_(condition, not_(and_(IntelObject.tlp.in_(passed_on), from_others)))
    return condition
