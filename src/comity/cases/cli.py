"""Commands: ``comity case create|list|show|member|status``."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from comity.cases.services import (
    add_member,
    case_summary,
    create_case,
    get_case,
    list_cases,
    set_status,
)
from comity.cli.common import JsonOption, acting, console, emit, kv, state

case_app = typer.Typer(
    help="Cases: investigations, their jurisdictions and members.", no_args_is_help=True
)


def _print_case(d: dict[str, Any]) -> None:
    kv(
        [
            ("id", d["id"]),
            ("reference", d["reference"]),
            ("title", d["title"]),
            ("status", d["status"]),
            ("jurisdictions", ", ".join(d["jurisdictions"])),
            (
                "offences",
                "; ".join(f"{o['jurisdiction']}: {o['reference']}" for o in d["offences"]) or "-",
            ),
            (
                "authority",
                "; ".join(f"{a['kind']} {a['reference']}" for a in d["legal_authority"]) or "-",
            ),
            ("agencies", ", ".join(d["agencies"])),
            ("members", ", ".join(f"{m['username']} ({m['role']})" for m in d["members"])),
        ]
    )


@case_app.command("create")
def case_create(
    ctx: typer.Context,
    title: str = typer.Option(..., "--title"),
    jurisdiction: list[str] = typer.Option(..., "--jurisdiction", help="ISO 3166 code; repeat."),
    summary: str = typer.Option("", "--summary"),
    offence: list[str] = typer.Option([], "--offence", help="e.g. 'IN:BNS 318(4)'; repeat."),
    authority: list[str] = typer.Option(
        [], "--authority", help="e.g. 'warrant:SW/114/2026'; repeat."
    ),
    agency: list[str] = typer.Option([], "--agency", help="Agency code involved; repeat."),
    as_json: bool = JsonOption,
) -> None:
    """Open a case."""
    st = state(ctx)
    with acting(st) as (session, actor):
        case = create_case(
            session,
            actor,
            title=title,
            jurisdictions=jurisdiction,
            summary=summary,
            offences=offence,
            authorities=authority,
            agencies=agency,
        )
        data = case_summary(case)
    emit(
        data,
        as_json,
        lambda d: console.print(f"Opened case {d['reference']} ({d['id']}).", highlight=False),
    )


@case_app.command("list")
def case_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the cases you may see."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = {"cases": [case_summary(c) for c in list_cases(session, actor)]}

    def human(d: dict[str, Any]) -> None:
        table = Table("reference", "title", "status", "jurisdictions", "id")
        for c in d["cases"]:
            table.add_row(
                c["reference"], c["title"], c["status"], ", ".join(c["jurisdictions"]), c["id"]
            )
        console.print(table)

    emit(data, as_json, human)


@case_app.command("show")
def case_show(ctx: typer.Context, case: str, as_json: bool = JsonOption) -> None:
    """Show a case (by id or reference)."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = case_summary(get_case(session, actor, case))
    emit(data, as_json, _print_case)


@case_app.command("member")
def case_member(
    ctx: typer.Context,
    case: str,
    username: str,
    role: str = typer.Option("member", "--role", help="Role in the case."),
    as_json: bool = JsonOption,
) -> None:
    """Add a user to a case."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = case_summary(add_member(session, actor, case, username, role))
    emit(data, as_json, _print_case)


@case_app.command("status")
def case_status(ctx: typer.Context, case: str, status: str, as_json: bool = JsonOption) -> None:
    """Set a case's status: open, suspended or closed."""
    st = state(ctx)
    with acting(st) as (session, actor):
        data = case_summary(set_status(session, actor, case, status))
    emit(data, as_json, _print_case)
