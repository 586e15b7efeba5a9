"""Commands: ``comity link …`` — complaints from both countries, linked into networks.

    comity link ingest ncrp-2024-03.csv --country IN
    comity link ingest ic3-export.xlsx.csv --mapping ic3.toml --date-format %m/%d/%Y --json

Thin: options are parsed here and the work is done by :mod:`comity.link.ingest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from comity.cli.common import JsonOption, byte_progress, console, current_actor, emit, state

link_app = typer.Typer(
    name="link",
    help="Linkage: ingest complaints, find the fraud networks across both countries.",
    no_args_is_help=True,
)

SHOWN = 20
"""Rejections listed by the human output (``--json`` lists them all)."""


@link_app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., metavar="FILE", help="CSV, JSON Lines or Parquet."),
    country: str = typer.Option(None, "--country", help="Country of rows without one (IN, US…)."),
    mapping: Path = typer.Option(
        None, "--mapping", help="A TOML or JSON file mapping the file's columns to fields."
    ),
    date_format: str = typer.Option(
        None, "--date-format", help="strptime format of received_on, e.g. %d/%m/%Y."
    ),
    file_format: str = typer.Option(
        None, "--format", help="csv, jsonl or parquet (default: from the extension)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Ingest complaints: good rows kept, bad rows reported with their line; resumable."""
    from comity.link.ingest import IngestOptions, ingest_file
    from comity.link.rows import load_mapping

    st = state(ctx)
    options = IngestOptions(
        country=country,
        mapping=load_mapping(mapping) if mapping is not None else None,
        date_format=date_format,
        format=file_format.lower() if file_format else None,
    )
    actor = current_actor(st)
    size = path.stat().st_size if path.is_file() else 0
    with byte_progress(size, f"ingesting {path.name}", enabled=not as_json) as advance:
        done = [0]

        def progress(position: int) -> None:
            advance(max(position - done[0], 0))
            done[0] = max(done[0], position)

        result = ingest_file(st.ctx, actor.username, path, options, progress)
    emit(result, as_json, _human_ingest)


def _human_ingest(result: dict[str, Any]) -> None:
    resumed = result["resumed_after_line"]
    console.print(
        f"[bold]{result['file']}[/bold] ({result['format']}): "
        f"{result['ingested']} ingested, {result['unchanged']} unchanged, "
        f"{result['rejected_total']} rejected"
        + (f" (resumed after line {resumed})" if resumed else ""),
        highlight=False,
    )
    for item in result["rejected"][:SHOWN]:
        console.print(f"  line {item['line']}: {item['reason']}", highlight=False, markup=False)
    if result["rejected_total"] > SHOWN:
        console.print(f"  … {result['rejected_total'] - SHOWN} more (--json lists them all)")
    for item in result["warnings"][:SHOWN]:
        console.print(
            f"  warning, line {item['line']}: {item['reason']}", highlight=False, markup=False
        )
