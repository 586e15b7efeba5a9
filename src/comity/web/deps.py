"""Dependencies every route shares: the node context and one transaction per request.

    @router.get("/api/v1/cases")
    def cases(session: SessionDep, actor: ActorDep) -> dict[str, Any]: ...

The session's transaction is committed when the route function returns — before the response
is sent, so a client never sees a success whose changes were then lost — and rolled back when
it raises. Routes that call services opening their own transactions (evidence ingest, key
rotation) take no session: they use :data:`~comity.web.auth.StandaloneActorDep`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from comity.context import NodeContext


def get_ctx(request: Request) -> NodeContext:
    """The application's node context."""
    ctx: NodeContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[NodeContext, Depends(get_ctx)]


def db_session(ctx: CtxDep) -> Iterator[Session]:
    """A session in the request's transaction (committed on success, rolled back on error)."""
    with ctx.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session, scope="function")]
