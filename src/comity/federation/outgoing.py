"""Credentials this node uses to call a peer: what the peer's ``comity peer add`` printed.

``comity peer add`` on the FBI's node prints the username, password and token the CBI's node
must present when it calls the FBI (for TAXII pulls, later for other requests). The CBI keeps
them here, one file per peer in the node's key folder (``keys/peers/FBI.json``, mode 0600, the
folder 0700), next to the node's private keys and protected the same way::

    set_credentials(session, actor, settings, "FBI", Credentials(token="…"))
    creds = load_credentials(settings, "FBI")      # ConfigurationError if none were given
    creds.authorization()                           # "Bearer …" (else Basic)

Secrets never appear in logs, in ``repr``, in the audit log or in command output: only whether
each is set.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from comity.core.errors import ConfigurationError, InvalidInput
from comity.core.files import write_secret
from comity.core.settings import Settings
from comity.federation.services import get_peer
from comity.identity import audit
from comity.identity.services import Actor, normalize_code

FOLDER: Final = "peers"
MAX_SECRET_CHARS: Final = 1024


@dataclass(frozen=True)
class Credentials:
    """A username and password (HTTP Basic) and/or an API token (preferred when both)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("username", "password", "token"):
            value = getattr(self, name)
            if value is not None and (
                not value or len(value) > MAX_SECRET_CHARS or any(c in value for c in "\r\n")
            ):
                raise InvalidInput(f"the peer credential's {name} is empty, too long or multi-line")
        if self.token is None and (self.username is None or self.password is None):
            raise InvalidInput("give a token, or a username and a password")

    def authorization(self) -> str:
        """The ``Authorization`` header value: ``Bearer <token>``, else HTTP Basic."""
        if self.token is not None:
            return f"Bearer {self.token}"
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def summary(self) -> dict[str, Any]:
        """What may be shown: the username and whether a password and a token are set."""
        return {
            "username": self.username,
            "password": self.password is not None,
            "token": self.token is not None,
        }


def credentials_path(settings: Settings, code: str) -> Path:
    """Where the credentials for calling peer ``code`` are kept."""
    return settings.keys_dir / FOLDER / f"{normalize_code(code)}.json"


def set_credentials(
    session: Session, actor: Actor, settings: Settings, code: str, credentials: Credentials
) -> dict[str, Any]:
    """Keep ``credentials`` for calling peer ``code`` (administrators only); audited."""
    actor.require("administrator")
    peer = get_peer(session, code)
    path = credentials_path(settings, peer.agency.code)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    document = {
        "peer": peer.agency.code,
        "username": credentials.username,
        "password": credentials.password,
        "token": credentials.token,
    }
    write_secret(path, json.dumps(document).encode())
    audit.record(
        session,
        actor.username,
        "peer.credentials.set",
        "peer",
        peer.agency.code,
        details=credentials.summary(),
    )
    return {"peer": peer.agency.code, **credentials.summary()}


def load_credentials(settings: Settings, code: str) -> Credentials:
    """The credentials kept for peer ``code``; :class:`ConfigurationError` if there are none."""
    path = credentials_path(settings, code)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"no credentials for calling {normalize_code(code)}: set them with "
            f"'comity peer credentials {normalize_code(code)} --from FILE'",
            peer=normalize_code(code),
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {path.name}: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path.name} is damaged")
    return Credentials(
        username=document.get("username"),
        password=document.get("password"),
        token=document.get("token"),
    )


def credentials_from_document(document: Any) -> Credentials:
    """Credentials from the JSON ``comity peer add --json`` prints (or its ``credentials``)."""
    if isinstance(document, dict) and isinstance(document.get("credentials"), dict):
        document = document["credentials"]
    if not isinstance(document, dict):
        raise InvalidInput("not the JSON 'comity peer add --json' prints")
    values = {k: document.get(k) for k in ("username", "password", "token")}
    if not all(v is None or isinstance(v, str) for v in values.values()):
        raise InvalidInput("username, password and token must be strings")
    return Credentials(**values)
