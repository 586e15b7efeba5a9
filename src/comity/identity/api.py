"""HTTP routes for the node, its users and its audit log.

They mirror ``comity node``, ``comity user`` and ``comity audit``: the same services, the same
JSON. A user's API token appears in the answer that creates it, and never again.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from comity.federation.services import export_descriptor
from comity.identity import audit
from comity.identity.services import (
    create_user,
    describe_node,
    export_audit,
    list_users,
    new_token_for,
    read_audit,
    rotate_node_keys,
    user_summary,
)
from comity.web.auth import ActorDep, StandaloneActorDep
from comity.web.deps import CtxDep, SessionDep

router = APIRouter(prefix="/api/v1")


class UserCreate(BaseModel):
    """A new user of this node."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(min_length=1, max_length=10)
    display_name: str | None = Field(None, max_length=200)
    password: SecretStr | None = Field(
        None, min_length=12, max_length=1024, description="For HTTP Basic authentication."
    )


class KeyRotationReason(BaseModel):
    """Why the node's keys are replaced."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("scheduled rotation", min_length=1, max_length=500)


@router.get("/node", tags=["node"])
def node(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """This node's agency, country, URL and public keys."""
    return describe_node(session)


@router.get("/node/descriptor", tags=["node"])
def node_descriptor(session: SessionDep, actor: ActorDep, ctx: CtxDep) -> dict[str, Any]:
    """This node's self-signed descriptor, for a peer to register it."""
    return export_descriptor(session, ctx.keys)


@router.post("/node/keys/rotate", tags=["node"])
async def node_rotate_keys(
    body: KeyRotationReason, ctx: CtxDep, actor: StandaloneActorDep
) -> dict[str, Any]:
    """Replace this node's keys; retired keys still open what they sealed."""
    return await anyio.to_thread.run_sync(lambda: rotate_node_keys(ctx, actor, body.reason))


@router.post("/users", status_code=201, tags=["users"])
def add_user(body: UserCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Create a user with roles; the answer holds the user's first API token."""
    user, token = create_user(
        session,
        actor,
        username=body.username,
        display_name=body.display_name or body.username,
        roles=body.roles,
        password=body.password.get_secret_value() if body.password else None,
    )
    return {**user_summary(user), "token": token}


@router.get("/users", tags=["users"])
def users(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """List the node's users."""
    return {"users": [user_summary(u) for u in list_users(session, actor)]}


@router.post("/users/{username}/tokens", status_code=201, tags=["users"])
def user_token(username: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Issue a new API token for a user (administrators only)."""
    return new_token_for(session, actor, username)


@router.get("/audit", tags=["audit"])
def audit_log(
    session: SessionDep,
    actor: ActorDep,
    case: Annotated[str | None, Query(description="Only entries about this case (id).")] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> dict[str, Any]:
    """Audit entries, oldest first (administrators and supervisors)."""
    return read_audit(session, actor, case, limit)


@router.get("/audit/verify", tags=["audit"])
def audit_verify(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Recompute the audit log's hash chain.

    The report comes with status 200 whether or not the chain is intact: read ``ok``.
    """
    return audit.verify_audit(session).as_dict()


@router.get(
    "/audit/export",
    tags=["audit"],
    response_class=Response,
    responses={200: {"content": {"application/jsonl": {}}}},
)
def audit_export(session: SessionDep, actor: ActorDep) -> Response:
    """The audit log as JSON Lines, each entry with its chain hashes (the export is audited)."""
    lines = export_audit(session, actor)
    return Response(("\n".join(lines) + "\n").encode(), media_type="application/jsonl")
