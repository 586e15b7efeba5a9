"""Command: ``comity intel search VALUE`` — every place an identifier appears on this node.

    comity intel search "0091 98765 43210"                  # a table per identifier
    comity intel search zdgyot[.]ugic0k[.]ru --json          # the result of comity.intel.search
    comity intel search 1930 --country IN                    # a short code needs its country

The value may be written any way (national or international, defanged, any case). The node's
correlation settings apply (warning lists in ``<home>/warninglists/``, ``correlation_cap``).
Exit 2 for an empty or over-long value or an unknown country; 0 otherwise, found or not.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from comity.cli.common import JsonOption, acting, console, emit, state
from comity.intel.correlation import CorrelationPolicy


def search_cmd(
    ctx: typer.Context,
    value: str = typer.Argument(..., help="An identifier, written any way (quote spaces)."),
    country: str = typer.Option(
        None, "--country", help="Country for numbers written nationally (default: the node's)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Show every place an identifier appears: intelligence, evidence, cases; who holds it."""
    from comity.intel.search import search

    st = state(ctx)
    policy = CorrelationPolicy.for_settings(st.settings)
    with acting(st) as (session, actor):
        result = search(session, actor, value, country, policy=policy)
    emit(result, as_json, _human)


def _human(result: dict[str, Any]) -> None:
    for problem in result["not_valid"]:
        console.print(
            f"[yellow]not a valid {problem['type']}[/yellow]: {escape(problem['value'])} "
            f"({escape(str(problem['reason']))})",
            highlight=False,
        )
    if not result["identifiers"]:
        console.print(
            f"{result['query']!r} is no identifier Comity knows how to search for",
            highlight=False,
            markup=False,
        )
        return
    for found in result["identifiers"]:
        count = found["count"]
        console.print(
            f"[bold]{found['type']} {escape(found['value'])}[/bold]: "
            + (f"{count} place{'s' if count != 1 else ''}" if count else "not known here")
            + (f", agencies {', '.join(found['agencies'])}" if found["agencies"] else ""),
            highlight=False,
        )
        if found["suppressed"]:
            console.print(
                f"  suppressed ({found['suppressed']['by']}): {found['suppressed']['reason']}",
                highlight=False,
                markup=False,
            )
        if found["places"]:
            console.print(_table(found["places"]))
        hidden = found["hidden"]
        if hidden["evidence"] or hidden["case"]:
            console.print(
                f"  also in {hidden['case']} case record(s) and {hidden['evidence']} evidence "
                "item(s) of cases you are not on: ask their lead or a supervisor",
                highlight=False,
            )
        links = len(found["correlations"]) + found["hidden_correlations"]
        if links:
            console.print(f"  {links} correlation(s) recorded", highlight=False)


def _row(table: Table, *cells: str) -> None:
    table.add_row(*(Text(cell) for cell in cells))


def _table(places: list[dict[str, Any]]) -> Table:
    table = Table("#", "kind", "where", "agency", "TLP")
    table.add_column("details", overflow="fold")
    for place in places:
        if place["kind"] == "intel":
            for holding in place["in"] or [{}]:
                _row(
                    table,
                    str(place["place"]),
                    place["stix_type"],
                    holding.get("collection", ""),
                    holding.get("from_agency", place["agency"]),
                    holding.get("tlp", ""),
                    f"{place['stix_id']}, from {holding.get('source', '?')}",
                )
        elif place["kind"] == "evidence":
            _row(
                table,
                str(place["place"]),
                "evidence",
                place["case"],
                place["agency"],
                "",
                f"{place['exhibit']} {place['name']}",
            )
        else:
            members = ", ".join(f"{m['username']} ({m['role']})" for m in place["members"])
            _row(
                table,
                str(place["place"]),
                "case",
                place["case"],
                ", ".join(place["agencies"]),
                "",
                f"{place['title']} [{place['status']}]; on it: {members}",
            )
    return table
