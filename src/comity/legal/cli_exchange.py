"""Commands: ``comity request export|import|status-export`` — requests between nodes as files.

    comity request export REQ-2026-0001 --to FBI --out req-for-fbi.json        # CBI
    comity request import req-for-fbi.json                                     # FBI
    comity request status-export REQ-2026-0003 --out status-for-cbi.json       # FBI
    comity request import status-for-cbi.json                                  # CBI

Thin: the work is :mod:`comity.legal.exchange`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from comity.cli.common import JsonOption, acting, console, emit, state


def export_cmd(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, REQ-2026-0001."),
    to: str = typer.Option(..., "--to", help="The peer agency that receives it (FBI)."),
    out: Path = typer.Option(..., "--out", help="Where to write the signed file."),
    fmt: str = typer.Option("pdf", "--format", help="The rendered document: pdf or docx."),
    allow_incomplete: bool = typer.Option(
        False, "--allow-incomplete", help="Send even if required elements are missing."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write a request and its rendered document as a file signed for the requested agency."""
    from comity.legal.exchange import export_request
    from comity.legal.kb_services import current_kb

    st = state(ctx)
    with acting(st) as (session, actor):
        result = export_request(
            session,
            actor,
            st.ctx,
            current_kb(session),
            request_id,
            to=to,
            out=out,
            fmt=fmt.strip().lower(),
            allow_incomplete=allow_incomplete,
        )

    def human(r: dict[str, Any]) -> None:
        console.print(
            f"request {r['request']} for {r['to']} written to {escape(r['file'])} (document "
            f"{escape(r['document']['name'])}, sha256 {r['document']['sha256']})",
            highlight=False,
        )

    emit(result, as_json, human)


def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A request file or a status file from a peer."),
    as_json: bool = JsonOption,
) -> None:
    """Verify a peer's request file (recorded as incoming) or status file (moves applied)."""
    from comity.legal.exchange import import_request_file

    st = state(ctx)
    with acting(st) as (session, actor):
        result = import_request_file(session, actor, st.ctx, file)

    def human(r: dict[str, Any]) -> None:
        if r["action"] == "received":
            console.print(
                f"recorded {r['from']}'s request {r['remote_id']} as {r['request']} "
                f"({r['kind']}, {r['state']}); document {escape(r['document'])}",
                highlight=False,
            )
        else:
            moved = ", ".join(r["applied"]) or "nothing new"
            console.print(
                f"{r['from']} reports on {r['request']}: {moved}; now {r['state']}", highlight=False
            )

    emit(result, as_json, human)


def status_export_cmd(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="An incoming request of this node."),
    out: Path = typer.Option(..., "--out", help="Where to write the signed status file."),
    as_json: bool = JsonOption,
) -> None:
    """Write an incoming request's moves as a file signed for the agency that sent it."""
    from comity.legal.exchange import export_status

    st = state(ctx)
    with acting(st) as (session, actor):
        result = export_status(session, actor, st.ctx, request_id, out=out)
    result.pop("message")
    emit(
        result,
        as_json,
        lambda r: console.print(
            f"status of {r['request']} ({r['state']}, {r['moves']} moves) for {r['to']} written to "
            f"{escape(r['file'])}",
            highlight=False,
        ),
    )
