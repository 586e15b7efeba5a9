"""Commands: ``comity peer add|list|show|rotate-key|revoke-key|credentials``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, emit, kv, state
from comity.core.errors import InvalidInput
from comity.core.keys import format_fingerprint
from comity.federation.services import (
    add_peer,
    peer_for,
    peer_summary,
    peers_for,
    read_descriptor,
    revoke_peer_key,
    rotate_peer_key,
)

peer_app = typer.Typer(
    help="Other agencies' nodes this node cooperates with.", no_args_is_help=True
)


def _read_key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read key file {path}: {exc}") from exc


@peer_app.command("add")
def peer_add(
    ctx: typer.Context,
    code: str = typer.Argument(None, help="The peer agency's code, e.g. FBI."),
    agency: str = typer.Option(None, "--agency", help="The peer agency's full name."),
    country: str = typer.Option(None, "--country", help="ISO 3166-1 alpha-2 country code."),
    url: str = typer.Option(None, "--url", help="The peer node's URL."),
    public_key: Path = typer.Option(
        None, "--public-key", help="File with the peer's Ed25519 public key."
    ),
    encryption_key: Path = typer.Option(
        None, "--encryption-key", help="File with the peer's X25519 public key."
    ),
    descriptor: Path = typer.Option(
        None, "--descriptor", help="The peer's node descriptor (comity node export)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Register a peer; prints the credentials that peer uses to call this node."""
    st = state(ctx)
    if descriptor is not None:
        info = read_descriptor(descriptor)
        if code and code.upper() != str(info["code"]).upper():
            raise InvalidInput(f"the descriptor is for {info['code']}, not {code}")
        values: dict[str, Any] = {
            "code": info["code"],
            "agency": agency or info["agency"],
            "country": country or info["country"],
            "url": url or info["url"],
            "signing_key": info["signing_key"],
            "encryption_key": info["encryption_key"],
        }
    else:
        if not (code and agency and country):
            raise InvalidInput("give CODE, --agency and --country, or --descriptor FILE")
        values = {
            "code": code,
            "agency": agency,
            "country": country,
            "url": url,
            "signing_key": _read_key(public_key),
            "encryption_key": _read_key(encryption_key),
        }
    with acting(st) as (session, actor):
        result = add_peer(session, actor, **values)

    def human(d: dict[str, Any]) -> None:
        console.print(f"Registered peer {d['code']}.")
        if d["fingerprint"]:
            console.print(
                f"Signing key fingerprint: {format_fingerprint(d['fingerprint'])}", highlight=False
            )
        console.print("Credentials for that peer to call this node (shown once):")
        kv(list(d["credentials"].items()))

    emit(result, as_json, human)


@peer_app.command("list")
def peer_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the registered peers."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = {"peers": [peer_summary(p) for p in peers_for(session, actor)]}

    def human(d: dict[str, Any]) -> None:
        table = Table("code", "agency", "country", "url", "status")
        for p in d["peers"]:
            table.add_row(p["code"], p["agency"], p["country"], p["url"] or "-", p["status"])
        console.print(table)

    emit(data, as_json, human)


def _print_peer(d: dict[str, Any]) -> None:
    kv(
        [
            ("code", d["code"]),
            ("agency", d["agency"]),
            ("country", d["country"]),
            ("url", d["url"] or "-"),
            ("status", d["status"]),
        ]
    )
    for key in d["keys"]:
        console.print(
            f"  {key['kind']:<10} {key['status']:<8} {format_fingerprint(key['fingerprint'])}",
            highlight=False,
        )


@peer_app.command("show")
def peer_show(ctx: typer.Context, code: str, as_json: bool = JsonOption) -> None:
    """Show a peer with its keys' fingerprints (compare them out of band)."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = peer_summary(peer_for(session, actor, code))
    emit(data, as_json, _print_peer)


@peer_app.command("rotate-key")
def peer_rotate_key(
    ctx: typer.Context,
    code: str,
    key_file: Path = typer.Option(..., "--key", help="File with the new public key."),
    kind: str = typer.Option("signing", "--kind", help="signing or encryption"),
    reason: str = typer.Option("rotation announced by the peer", "--reason"),
    as_json: bool = JsonOption,
) -> None:
    """Replace a peer's key; the old one is retired (still verifies what it signed before)."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = rotate_peer_key(session, actor, code, kind, _read_key(key_file) or "", reason)
    emit(data, as_json, _print_peer)


@peer_app.command("revoke-key")
def peer_revoke_key(
    ctx: typer.Context,
    code: str,
    fingerprint: str,
    reason: str = typer.Option(..., "--reason", help="Why (e.g. key compromised)."),
    as_json: bool = JsonOption,
) -> None:
    """Revoke a peer's key: nothing signed with it is trusted any more."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = revoke_peer_key(session, actor, code, fingerprint.replace(" ", ""), reason)
    emit(data, as_json, _print_peer)


def _read_secret(path: Path, what: str) -> str:
    """The text of ``path`` without surrounding blanks (``-``: standard input): a secret."""
    import sys

    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the {what} from {path}: {exc}") from exc
    return text.strip()


@peer_app.command("credentials")
def peer_credentials(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The peer agency's code, e.g. FBI."),
    source: Path = typer.Option(
        None,
        "--from",
        help="The JSON the peer's 'comity peer add --json' printed ('-': standard input).",
    ),
    username: str = typer.Option(None, "--username", help="Username for HTTP Basic."),
    password_file: Path = typer.Option(
        None, "--password-file", help="File holding the password ('-': standard input)."
    ),
    token_file: Path = typer.Option(
        None, "--token-file", help="File holding the API token ('-': standard input)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Keep the credentials this node presents when it calls the peer (TAXII pulls).

    They are what the peer's administrator got from 'comity peer add' for this node, kept in
    keys/peers/CODE.json (mode 0600). Without options, shows which are set (never the secrets).
    """
    import json

    from comity.federation.outgoing import (
        Credentials,
        credentials_from_document,
        load_credentials,
        set_credentials,
    )

    st = state(ctx)
    if source is None and username is None and password_file is None and token_file is None:
        with acting(st) as (session, actor):
            peer = peer_for(session, actor, code)
            data = {"peer": peer.agency.code, **load_credentials(st.settings, code).summary()}
        emit(data, as_json)
        return
    if source is not None:
        if username or password_file or token_file:
            raise InvalidInput("give --from, or --username/--password-file/--token-file")
        try:
            document = json.loads(_read_secret(source, "credentials"))
        except ValueError as exc:
            raise InvalidInput(f"{source} is not JSON") from exc
        credentials = credentials_from_document(document)
    else:
        credentials = Credentials(
            username=username,
            password=_read_secret(password_file, "password") if password_file else None,
            token=_read_secret(token_file, "token") if token_file else None,
        )
    with acting(st) as (session, actor):
        data = set_credentials(session, actor, st.settings, code, credentials)
    emit(data, as_json, lambda d: console.print(f"Credentials for calling {d['peer']} kept."))
