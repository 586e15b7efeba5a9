"""Commands: ``comity intel …`` — intelligence from the command line.

    comity intel extract complaint.txt --country IN          # a table of what the text names
    comity intel extract - --json < advisory.txt              # {"observables": [...]}

``extract`` needs no node: it reads the text (UTF-8), finds every observable with
:func:`comity.intel.observables.extract` and prints each with its canonical value and its
character offsets (Unicode code points) into the text. Exit 2 when the file cannot be read or
is not UTF-8 text, or the country is unknown.
"""

from __future__ import annotations

from typing import Any

import typer

from comity.cli.common import JsonOption, console, emit
from comity.intel import cli_objects
from comity.intel.cli_objects import read_input
from comity.intel.errors import IntelInputError

intel_app = typer.Typer(
    name="intel",
    help="Intelligence: observables, extraction from text, STIX and MISP.",
    no_args_is_help=True,
)

MAX_TEXT_BYTES = 64 << 20
"""The largest text ``comity intel extract`` reads (64 MiB)."""


def read_text(source: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of ``source`` (a path, or ``-`` for standard input).

    Raises :class:`~comity.intel.errors.IntelInputError` (exit 2) when it cannot be read, is
    larger than ``limit`` bytes, or is not UTF-8. A byte-order mark is dropped.
    """
    data, name = read_input(source, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntelInputError(
            f"{name} is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
            path=source,
            offset=exc.start,
        ) from None


@intel_app.command("extract")
def extract_cmd(
    source: str = typer.Argument(..., metavar="FILE|-", help="A UTF-8 text file; '-': stdin."),
    country: str = typer.Option(
        None, "--country", help="Reporting country (IN, US…): phone numbers written nationally."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Find every observable in a text: phones, e-mails, URLs, accounts, UPI IDs, wallets…"""
    from comity.intel.observables import extract

    text = read_text(source)
    found = extract(text, country=country)
    data = {"observables": [f.as_dict() for f in found]}
    emit(data, as_json, _table)


def _table(data: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    rows = data["observables"]
    if not rows:
        console.print("no observables found")
        return
    table = Table(show_lines=False)
    table.add_column("type", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("raw", overflow="fold")
    table.add_column("offsets", no_wrap=True)
    table.add_column("valid", overflow="fold")
    for row in rows:
        valid = Text("yes", style="green") if row["valid"] else Text(f"no: {row['reason']}", "red")
        table.add_row(
            Text(row["type"]),
            Text(row["value"]),
            Text(row["raw"]),
            Text(f"{row['start']}-{row['end']}"),
            valid,
        )
    console.print(table)
    invalid = sum(1 for row in rows if not row["valid"])
    console.print(f"{len(rows)} observables, {invalid} invalid", highlight=False)


intel_app.command("import")(cli_objects.import_cmd)
intel_app.command("export")(cli_objects.export_cmd)

from comity.taxii.cli import pull_cmd  # noqa: E402  (the TAXII package's command)

intel_app.command("pull")(pull_cmd)

from comity.intel import cli_search  # noqa: E402  (search lives in its own module)

intel_app.command("search")(cli_search.search_cmd)
