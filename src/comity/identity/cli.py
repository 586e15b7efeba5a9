"""Commands: ``comity init``, ``comity node …``, ``comity user …``, ``comity audit …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, current_actor, emit, kv, state
from comity.core.files import write_atomic
from comity.core.keys import format_fingerprint
from comity.federation.services import export_descriptor
from comity.identity import audit
from comity.identity.services import (
    create_user,
    describe_node,
    export_audit,
    init_node,
    list_users,
    new_token_for,
    read_audit,
    rotate_node_keys,
    user_summary,
)

node_app = typer.Typer(help="This node: its agency, URL and public keys.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    agency: str = typer.Option(None, "--agency", help="Full name of this node's agency."),
    agency_code: str = typer.Option(None, "--agency-code", help="Short code, e.g. CBI."),
    country: str = typer.Option(None, "--country", help="ISO 3166-1 alpha-2 country code."),
    url: str = typer.Option(None, "--url", help="URL peers reach this node at."),
    timezone: str = typer.Option(None, "--timezone", help="IANA time zone, e.g. Asia/Kolkata."),
    admin: str = typer.Option("admin", "--admin", help="Username of the administrator."),
    as_json: bool = JsonOption,
) -> None:
    """Create this node (keys, agency, administrator and token) or upgrade its database."""
    result = init_node(
        state(ctx).ctx,
        agency=agency,
        code=agency_code,
        country=country,
        url=url,
        timezone=timezone,
        admin_username=admin,
    )

    def human(data: dict[str, Any]) -> None:
        verb = "Created" if data["created"] else "Upgraded"
        console.print(f"{verb} the node of {data['agency']['name']} ({data['agency']['code']}).")
        _print_node(data)
        if data.get("admin"):
            console.print(
                f"Administrator [bold]{data['admin']['username']}[/bold]; API token (shown once): "
                f"{data['admin']['token']}",
                highlight=False,
            )

    emit(result, as_json, human)


def _print_node(data: dict[str, Any]) -> None:
    kv(
        [
            ("id", data["id"]),
            (
                "agency",
                f"{data['agency']['name']} ({data['agency']['code']}), {data['agency']['country']}",
            ),
            ("url", data.get("url") or "-"),
            ("time zone", data.get("timezone")),
            ("signing key", data["keys"]["signing"]["public_key"]),
            ("  fingerprint", format_fingerprint(data["keys"]["signing"]["fingerprint"])),
            ("encryption key", data["keys"]["encryption"]["public_key"]),
            ("  fingerprint", format_fingerprint(data["keys"]["encryption"]["fingerprint"])),
        ]
    )


@node_app.command("show")
def node_show(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Show this node's agency, country, URL and public keys."""
    with state(ctx).ctx.transaction() as session:
        data = describe_node(session)
    emit(data, as_json, _print_node)


@node_app.command("export")
def node_export(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="Where to write the descriptor (JSON)."),
    as_json: bool = JsonOption,
) -> None:
    """Write this node's descriptor (agency, country, URL, public keys) for a peer to import."""
    st = state(ctx)
    with st.ctx.transaction() as session:
        descriptor = export_descriptor(session, st.ctx.keys)
    write_atomic(out, (json.dumps(descriptor, indent=2) + "\n").encode())
    emit(
        {"path": str(out), "fingerprint": st.ctx.keys.signing_fingerprint},
        as_json,
        lambda d: console.print(
            f"Wrote {d['path']}; signing key fingerprint {format_fingerprint(d['fingerprint'])}",
            highlight=False,
        ),
    )


@node_app.command("rotate-keys")
def node_rotate_keys(
    ctx: typer.Context,
    reason: str = typer.Option("scheduled rotation", "--reason"),
    as_json: bool = JsonOption,
) -> None:
    """Replace this node's keys; retired keys still open what they sealed."""
    st = state(ctx)
    emit(rotate_node_keys(st.ctx, current_actor(st), reason), as_json, _print_node)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: str,
    role: list[str] = typer.Option(..., "--role", help="A role; repeat for several."),
    name: str = typer.Option(None, "--name", help="Display name."),
    password: str = typer.Option(None, "--password", help="Password for HTTP Basic auth."),
    as_json: bool = JsonOption,
) -> None:
    """Create a user with roles; prints the user's first API token."""
    st = state(ctx)
    with acting(st) as (session, actor):
        user, token = create_user(
            session,
            actor,
            username=username,
            display_name=name or username,
            roles=role,
            password=password,
        )
        data = {**user_summary(user), "token": token}
    emit(
        data,
        as_json,
        lambda d: console.print(
            f"Created {d['username']} ({', '.join(d['roles'])}); token: {d['token']}",
            highlight=False,
        ),
    )


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the node's users."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = {"users": [user_summary(u) for u in list_users(session, actor)]}

    def human(d: dict[str, Any]) -> None:
        table = Table("username", "name", "agency", "roles")
        for u in d["users"]:
            table.add_row(u["username"], u["display_name"], u["agency"], ", ".join(u["roles"]))
        console.print(table)

    emit(data, as_json, human)


@user_app.command("token")
def user_token(ctx: typer.Context, username: str, as_json: bool = JsonOption) -> None:
    """Issue a new API token for a user (administrators only)."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = new_token_for(session, actor, username)
    emit(data, as_json, lambda d: console.print(d["token"]))


@audit_app.command("log")
def audit_log(
    ctx: typer.Context,
    case: str = typer.Option(None, "--case", help="Only entries about this case (id)."),
    limit: int = typer.Option(None, "--limit"),
    as_json: bool = JsonOption,
) -> None:
    """Show audit entries, oldest first."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = read_audit(session, actor, case, limit)

    def human(d: dict[str, Any]) -> None:
        table = Table("#", "at", "actor", "action", "object")
        for e in d["entries"]:
            table.add_row(
                str(e["seq"]),
                e["at"],
                e["actor"],
                e["action"],
                f"{e['object_type']} {e['object_id'] or ''}",
            )
        console.print(table)

    emit(data, as_json, human)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Recompute the audit log's hash chain; exit 1 if it was altered."""
    st = state(ctx)
    with st.ctx.transaction() as session:
        report = audit.verify_audit(session)
    emit(
        report.as_dict(),
        as_json,
        lambda d: console.print(
            f"audit log intact: {d['count']} entries"
            if d["ok"]
            else f"audit log BROKEN: {d['problems'][0]}"
        ),
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="JSON Lines file to write."),
    as_json: bool = JsonOption,
) -> None:
    """Export the audit log as JSON Lines, each entry with its chain hashes."""
    st = state(ctx)
    with acting(st) as (session, actor):
        lines = export_audit(session, actor)
    write_atomic(out, ("\n".join(lines) + "\n").encode())
    emit(
        {"path": str(out), "entries": len(lines)},
        as_json,
        lambda d: console.print(f"Wrote {d['entries']} entries to {d['path']}"),
    )
