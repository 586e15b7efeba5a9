"""Authentication: ``Authorization: Bearer <API token>`` or HTTP Basic (username, password).

``Authorization: Token <API token>`` is accepted as a synonym of ``Bearer``: it is the scheme
the OASIS TAXII client library (``taxii2-client``'s ``TokenAuth``) sends.

People use API tokens; peer nodes may use the username and password ``comity peer add`` gave
them. A request without valid credentials gets a 401 problem document with a
``WWW-Authenticate`` challenge for both schemes. Authorization (roles, case membership) is
left to the services, which receive the :class:`~comity.identity.services.Actor`.

Credentials are never logged; failures are logged with the scheme and, for Basic, the username.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import HTTPBase, HTTPBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.orm import Session

from comity.core.errors import NotAuthenticated
from comity.identity.services import Actor, authenticate_password, authenticate_token
from comity.web.deps import CtxDep, SessionDep

log = logging.getLogger("comity.web.auth")

MAX_CREDENTIAL_LENGTH = 4096


class _Scheme(SecurityBase):
    """Declares a security scheme in the OpenAPI description; the header is read below."""

    def __init__(self, model: HTTPBase, scheme_name: str) -> None:
        self.model = model
        self.scheme_name = scheme_name

    async def __call__(self, request: Request) -> None:
        return None


bearer_scheme = _Scheme(
    HTTPBearer(bearerFormat="opaque", description="An API token issued by this node."),
    "bearerAuth",
)
basic_scheme = _Scheme(
    HTTPBase(scheme="basic", description="Username and password, e.g. a peer's credentials."),
    "basicAuth",
)


@dataclass(frozen=True)
class Credentials:
    """What the client presented; ``repr`` never shows the secret."""

    scheme: str
    secret: str = field(repr=False)
    username: str | None = None


def parse_authorization(header: str | None) -> Credentials:
    """Parse an ``Authorization`` header; raise :class:`NotAuthenticated` if unusable."""
    if not header:
        raise NotAuthenticated("this operation needs credentials: a bearer token or Basic auth")
    if len(header) > MAX_CREDENTIAL_LENGTH:
        raise NotAuthenticated("the Authorization header is too long")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    kind = scheme.lower()
    if kind in ("bearer", "token") and value:
        return Credentials("bearer", value)
    if kind == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated("malformed Basic credentials") from None
        username, sep, password = decoded.partition(":")
        if not sep or not username:
            raise NotAuthenticated("malformed Basic credentials")
        return Credentials("basic", password, username)
    raise NotAuthenticated("unsupported authorization scheme: use Bearer or Basic")


def authenticate(session: Session, credentials: Credentials) -> Actor:
    """Return the actor the credentials belong to, or raise :class:`NotAuthenticated`."""
    try:
        if credentials.scheme == "bearer":
            return authenticate_token(session, credentials.secret)
        return authenticate_password(session, credentials.username or "", credentials.secret)
    except NotAuthenticated:
        log.info(
            "authentication failed (%s%s)",
            credentials.scheme,
            f", user {credentials.username!r}" if credentials.username else "",
        )
        raise


def request_credentials(
    request: Request,
    _bearer: Annotated[None, Security(bearer_scheme)],
    _basic: Annotated[None, Security(basic_scheme)],
) -> Credentials:
    """The credentials of the request (checked against the database by the next step)."""
    return parse_authorization(request.headers.get("authorization"))


CredentialsDep = Annotated[Credentials, Depends(request_credentials)]


def current_actor(session: SessionDep, credentials: CredentialsDep) -> Actor:
    """The authenticated actor, resolved in the request's transaction."""
    return authenticate(session, credentials)


def standalone_actor(ctx: CtxDep, credentials: CredentialsDep) -> Actor:
    """The authenticated actor, resolved in a short transaction of its own.

    For routes whose services open their own transactions or that stream large bodies: they
    must not hold the request's transaction (on SQLite, a write lock) while they work.
    """
    with ctx.transaction() as session:
        return authenticate(session, credentials)


ActorDep = Annotated[Actor, Depends(current_actor, scope="function")]
StandaloneActorDep = Annotated[Actor, Depends(standalone_actor)]
