"""Command: ``comity legal draft REQUEST --out FILE.pdf|FILE.docx [--allow-incomplete] [--json]``.

    comity legal draft REQ-2026-0001 --out req.pdf
    comity legal draft REQ-2026-0001 --out req.docx --allow-incomplete --json

Exit 0 when the file is written; 1 when required elements are missing and
``--allow-incomplete`` is not given (with ``--json`` the checklist's ``{"complete": false,
"missing": [...]}`` is still printed); 2 for a bad extension or a folder that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from comity.cli.common import JsonOption, acting, console, emit, err_console, state
from comity.legal.errors import DraftIncomplete


def _print_missing(missing: list[dict[str, Any]], out: Any) -> None:
    for m in missing:
        detail = f" ({m['detail']})" if m.get("detail") else ""
        out.print(
            f"  ✗ {m['element']} [{m['field']}]{detail}: {m['why']} (source: {m['source']}; "
            f"{m['status']})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def draft_cmd(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request, REQ-2026-0001."),
    out: Path = typer.Option(
        ..., "--out", help="File to write; its extension (.pdf or .docx) picks the format."
    ),
    allow_incomplete: bool = typer.Option(
        False,
        "--allow-incomplete",
        help="Write the draft even if required elements are missing (each marked MISSING).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Draft a request as a PDF or DOCX, checked against its required elements.

    Exit 1 if any is missing, unless --allow-incomplete, which marks each gap in the draft.
    """
    from comity.legal.draft_service import draft_request
    from comity.legal.kb_services import current_kb

    st = state(ctx)
    refused: DraftIncomplete | None = None
    result: dict[str, Any] = {}
    written = False
    try:
        with acting(st) as (session, actor):
            try:
                result = draft_request(
                    session, actor, current_kb(session), request_id, out, allow_incomplete
                )
                written = True
            except DraftIncomplete as exc:
                refused = exc  # the read stays audited: the transaction commits
    except BaseException:
        if written:  # the audit record did not commit: do not leave an unaudited draft
            out.unlink(missing_ok=True)
        raise
    if refused is not None:
        data = {
            "request": refused.data.get("request"),
            "complete": False,
            "missing": refused.data.get("missing", []),
        }

        def refused_human(d: dict[str, Any]) -> None:
            err_console.print(
                f"Not drafted: {d['request']} lacks {len(d['missing'])} required element(s):",
                highlight=False,
                markup=False,
            )
            _print_missing(d["missing"], err_console)
            err_console.print(
                "Fill them in, or give --allow-incomplete to draft with each gap marked.",
                highlight=False,
                markup=False,
            )

        emit(data, as_json, refused_human)
        raise typer.Exit(1)

    def human(d: dict[str, Any]) -> None:
        state_text = "complete" if d["complete"] else f"{len(d['missing'])} element(s) MISSING"
        console.print(
            f"Wrote {d['file']} ({d['format']}, {d['bytes']} bytes, SHA-256 {d['sha256']}): "
            f"draft of {d['request']}, {state_text}.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        if d["missing"]:
            console.print("Missing (marked in the draft):", highlight=False, markup=False)
            _print_missing(d["missing"], console)

    emit(result, as_json, human)
