"""Errors of the joint-operations domain.

Every error derives from :class:`OperationError` (a :class:`~comity.core.errors.ComityError`)
and carries data::

    try:
        change_status(session, actor, "OP-2026-0001", "closed")
    except InvalidTransition as exc:
        exc.data["current"], exc.data["allowed"]    # 'planned', ['active', 'cancelled']
"""

from __future__ import annotations

from comity.core.errors import ComityError, InvalidInput, NotFound


class OperationError(ComityError):
    """Root of the operations domain's errors (exit 3 unless a subclass says otherwise)."""


class OperationInputError(OperationError, InvalidInput):
    """Input an operation cannot take (exit 2, HTTP 400): a bad time, amount, currency, target
    or text; ``data`` names the value."""


class UnknownOperation(OperationError, NotFound):
    """No operation has that id (``data["operation"]``)."""


class UnknownTask(OperationError, NotFound):
    """The operation has no task of that number (``data["task"]``)."""


class UnknownNetwork(OperationError, NotFound):
    """No fraud network has that id (``data["network"]``)."""


class UnknownAgency(OperationError, NotFound):
    """The agency is neither this node's nor a registered peer's (``data["agency"]``)."""


class OperationConflict(OperationInputError):
    """The operation's state does not allow this (exit 2, HTTP 409): a change not allowed
    from its status, an agency that is not part of it, a network that is no longer active."""

    http_status = 409
    slug = "operation-conflict"
    title = "Not allowed in the operation's present state"


class InvalidTransition(OperationConflict):
    """A status change the lifecycle does not allow (``data["current"]``, ``data["to"]``,
    ``data["allowed"]``)."""

    slug = "invalid-transition"
    title = "Status change not allowed"
