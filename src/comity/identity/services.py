"""Node set-up, users, roles, tokens and authentication.

summary = init_node(ctx, agency="Central Bureau of Investigation", code="CBI", country="IN")
with ctx.transaction() as session:
    actor = resolve_actor(session, "admin")
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.context import ADDRESS_KEY_FILE, RETIRED_DIR, NodeContext
from comity.core.errors import (
    AlreadyExists,
    ConfigurationError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from comity.core.files import write_secret
from comity.core.ids import new_secret
from comity.core.keys import NodeKeys
from comity.core.settings import write_config
from comity.core.timeutil import utcnow, zone
from comity.identity import audit
from comity.identity.models import (
    PEER_ROLE,
    ROLES,
    Agency,
    ApiToken,
    NodeInfo,
    PublicKeyRecord,
    User,
)
from comity.identity.passwords import check_password, hash_password

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Actor:
    """The authenticated user on whose behalf a service acts."""

    user: User
    agency: Agency

    @property
    def username(self) -> str:
        """The acting user's name."""
        return self.user.username

    def require(self, *roles: str) -> None:
        """Raise :class:`PermissionDenied` unless the user holds one of ``roles``."""
        if not self.user.has_role(*roles):
            raise PermissionDenied(
                f"user {self.username!r} needs one of the roles: {', '.join(roles)}",
                user=self.username,
                roles=list(roles),
            )


def normalize_code(code: str) -> str:
    """Validate and upper-case an agency code (``CBI``, ``FBI``...)."""
    value = code.strip().upper()
    if not _CODE.match(value):
        raise InvalidInput(
            f"invalid agency code {code!r}: letters, digits, - and _ only", code=code
        )
    return value


def normalize_country(country: str) -> str:
    """Validate an ISO 3166-1 alpha-2 country code."""
    value = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise InvalidInput(
            f"invalid country {country!r}: use an ISO 3166-1 alpha-2 code", country=country
        )
    return value


def node_info(session: Session) -> NodeInfo:
    """Return this node's record; raise :class:`ConfigurationError` before ``comity init``."""
    info = session.scalars(select(NodeInfo)).first()
    if info is None:
        raise ConfigurationError("the node is not initialized: run 'comity init'")
    return info


def local_agency(session: Session) -> Agency:
    """Return this node's own agency."""
    return node_info(session).agency


def init_node(
    ctx: NodeContext,
    *,
    agency: str | None,
    code: str | None,
    country: str | None,
    url: str | None = None,
    timezone: str | None = None,
    admin_username: str = "admin",
    migrate_schema: bool = True,
) -> dict[str, Any]:
    """Create the node (keys, agency, administrator and token), or upgrade an existing one.

    On an existing node only the schema is upgraded; giving another agency is an error.
    Returns a summary; the administrator's token is in it only when the node was created.
    ``migrate_schema=False`` skips the schema upgrade (tests migrate once per session).
    """
    settings = ctx.settings
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if migrate_schema:
        from comity.db import migrate  # imported here: Alembic is only needed by init

        migrate.upgrade(ctx.engine)
    with ctx.transaction() as session:
        existing = session.scalars(select(NodeInfo)).first()
        if existing is not None:
            if code and normalize_code(code) != existing.agency.code:
                raise AlreadyExists(
                    f"this home already holds the node of {existing.agency.code}",
                    agency_code=existing.agency.code,
                )
            return {"created": False, **describe_node(session)}
    if not (agency and code and country):
        raise InvalidInput("a new node needs --agency, --agency-code and --country")
    code = normalize_code(code)
    country = normalize_country(country)
    tz = timezone or settings.timezone
    zone(tz)
    keys_dir = settings.keys_dir
    if (keys_dir / "signing.pem").exists():
        raise AlreadyExists(f"keys already exist in {keys_dir}; refusing to overwrite them")
    keys = NodeKeys.generate()
    token = new_secret()
    try:
        keys.save(keys_dir, settings.passphrase)
        write_secret(keys_dir / ADDRESS_KEY_FILE, _random_bytes(32))
        with ctx.transaction() as session:
            own = Agency(code=code, name=agency.strip(), country=country, is_local=True)
            session.add(own)
            session.flush()
            session.add(NodeInfo(agency_id=own.id, url=url, timezone=tz))
            _add_key_records(session, own, keys.signing_public, keys.encryption_public)
            admin = User(
                username=admin_username,
                display_name="Node administrator",
                agency_id=own.id,
                roles=["administrator"],
            )
            session.add(admin)
            session.flush()
            session.add(ApiToken(user_id=admin.id, token_hash=token_digest(token), label="init"))
            audit.record(
                session, admin.username, "node.init", "node", code, details={"country": country}
            )
            summary = describe_node(session)
    except BaseException:
        shutil.rmtree(keys_dir, ignore_errors=True)
        raise
    config = {"timezone": tz}
    if url:
        config["url"] = url
    write_config(settings, config)
    return {"created": True, **summary, "admin": {"username": admin_username, "token": token}}


def _random_bytes(n: int) -> bytes:
    import os

    return os.urandom(n)


def _add_key_records(session: Session, agency: Agency, signing: str, encryption: str) -> None:
    from comity.core.keys import b64u_decode, fingerprint

    for kind, value in (("signing", signing), ("encryption", encryption)):
        session.add(
            PublicKeyRecord(
                agency_id=agency.id,
                kind=kind,
                public_key=value,
                fingerprint=fingerprint(b64u_decode(value)),
            )
        )
    session.flush()
    session.refresh(agency)  # agency.keys may have been loaded before these were added


def active_key(agency: Agency, kind: str) -> PublicKeyRecord:
    """Return the agency's active key of ``kind``."""
    for record in reversed(agency.keys):
        if record.kind == kind and record.status == "active":
            return record
    raise NotFound(f"agency {agency.code} has no active {kind} key", agency=agency.code)


def describe_node(session: Session) -> dict[str, Any]:
    """Return this node's public description (agency, country, URL, keys)."""
    info = node_info(session)
    agency = info.agency
    signing = active_key(agency, "signing")
    encryption = active_key(agency, "encryption")
    return {
        "id": str(info.id),
        "agency": {"code": agency.code, "name": agency.name, "country": agency.country},
        "url": info.url,
        "timezone": info.timezone,
        "keys": {
            "signing": {"public_key": signing.public_key, "fingerprint": signing.fingerprint},
            "encryption": {
                "public_key": encryption.public_key,
                "fingerprint": encryption.fingerprint,
            },
        },
    }


def rotate_node_keys(ctx: NodeContext, actor: Actor, reason: str) -> dict[str, Any]:
    """Replace the node's keys; the old ones are kept (retired) to open what they sealed."""
    actor.require("administrator")
    old = ctx.keys
    new = NodeKeys.generate()
    keys_dir = ctx.settings.keys_dir
    retired = keys_dir / RETIRED_DIR / old.encryption_fingerprint[:16]
    old.save(retired, ctx.settings.passphrase)
    with ctx.transaction() as session:
        agency = local_agency(session)
        now = utcnow()
        for record in agency.keys:
            if record.status == "active":
                record.status, record.status_changed_at, record.reason = "retired", now, reason
        _add_key_records(session, agency, new.signing_public, new.encryption_public)
        new.save(keys_dir, ctx.settings.passphrase)
        audit.record(
            session,
            actor.username,
            "node.rotate_keys",
            "node",
            agency.code,
            details={"reason": reason, "new_signing": new.signing_fingerprint},
        )
        summary = describe_node(session)
    with contextlib.suppress(AttributeError):
        del ctx.keys
    return summary


def token_digest(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(session: Session, username: str) -> User:
    """Return the user ``username`` or raise :class:`NotFound`."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}", username=username)
    return user


def resolve_actor(session: Session, username: str | None) -> Actor:
    """Return the actor for ``username`` (default: the first administrator)."""
    user: User | None
    if username:
        user = get_user(session, username)
    else:
        user = next(
            (
                u
                for u in session.scalars(select(User).order_by(User.created_at))
                if u.has_role("administrator")
            ),
            None,
        )
        if user is None:
            raise ConfigurationError("the node is not initialized: run 'comity init'")
    if not user.is_active:
        raise PermissionDenied(f"user {user.username!r} is disabled", username=user.username)
    return Actor(user, user.agency)


def authenticate_token(session: Session, token: str) -> Actor:
    """Return the actor owning an API token."""
    row = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None)
        )
    ).first()
    if row is None or not row.user.is_active:
        raise NotAuthenticated("invalid or revoked API token")
    return Actor(row.user, row.user.agency)


def authenticate_password(session: Session, username: str, password: str) -> Actor:
    """Return the actor for HTTP Basic credentials."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active or not check_password(password, user.password_hash):
        raise NotAuthenticated("invalid username or password")
    return Actor(user, user.agency)


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    roles: list[str],
    password: str | None = None,
) -> tuple[User, str]:
    """Create a person on this node with ``roles``; return the user and a new API token."""
    actor.require("administrator")
    if not _USERNAME.match(username):
        raise InvalidInput(f"invalid username {username!r}", username=username)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(
            f"unknown role(s) {unknown}; choose from {', '.join(ROLES)}", roles=roles
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalars(select(User).where(User.username == username)).first():
        raise AlreadyExists(f"user {username!r} exists", username=username)
    user = User(
        username=username,
        display_name=display_name,
        agency_id=local_agency(session).id,
        roles=sorted(set(roles)),
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    token = issue_token(session, user, "created with the user")
    audit.record(
        session, actor.username, "user.create", "user", username, details={"roles": user.roles}
    )
    return user, token


def create_service_user(session: Session, agency: Agency, username: str) -> tuple[User, str, str]:
    """Create a peer's service account; return it with a new password and token."""
    if session.scalars(select(User).where(User.username == username)).first():
        raise AlreadyExists(f"user {username!r} exists", username=username)
    password = new_secret(24)
    user = User(
        username=username,
        display_name=f"Peer node {agency.code}",
        agency_id=agency.id,
        roles=[PEER_ROLE],
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user, password, issue_token(session, user, "peer credentials")


def issue_token(session: Session, user: User, label: str) -> str:
    """Create an API token for ``user`` and return it (only its hash is kept)."""
    token = new_secret()
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label=label))
    session.flush()
    return token


def list_users(session: Session, actor: Actor) -> list[User]:
    """Return the node's users."""
    actor.require("administrator", "supervisor")
    return list(session.scalars(select(User).order_by(User.username)))


def user_summary(user: User) -> dict[str, Any]:
    """A JSON-ready description of a user."""
    return {
        "id": str(user.id),
        "username": user.username,
        "display_name": user.display_name,
        "agency": user.agency.code,
        "roles": user.roles,
        "active": user.is_active,
    }


AUDIT_ROLES = ("administrator", "supervisor")


def new_token_for(session: Session, actor: Actor, username: str) -> dict[str, str]:
    """Issue a new API token for ``username`` (administrators only); the issue is audited."""
    actor.require("administrator")
    user = get_user(session, username)
    token = issue_token(session, user, f"issued by {actor.username}")
    audit.record(session, actor.username, "user.token", "user", username)
    return {"username": username, "token": token}


def read_audit(
    session: Session, actor: Actor, case: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    """Audit entries, oldest first, optionally about one case id (administrators, supervisors)."""
    actor.require(*AUDIT_ROLES)
    case_id = None
    if case:
        from comity.core.ids import parse_id

        case_id = parse_id(case, "case id")
    rows = [
        json.loads(e.body) | {"hash": e.hash}
        for e in audit.entries(session, case_id=case_id, limit=limit)
    ]
    return {"entries": rows}


def export_audit(session: Session, actor: Actor) -> list[str]:
    """The audit log as JSON Lines (administrators, supervisors); the export is itself audited."""
    actor.require(*AUDIT_ROLES)
    lines = list(audit.export_lines(session))
    audit.record(
        session, actor.username, "audit.export", "audit", None, details={"entries": len(lines)}
    )
    return lines
