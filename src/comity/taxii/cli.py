"""Command: ``comity intel pull PEER`` — a peer's shared collections over TAXII 2.1.

    comity peer credentials FBI --from fbi-gave-us.json   # once: what FBI's 'peer add' printed
    comity intel pull FBI                                  # every collection FBI shares with us
    comity intel pull FBI --collection fraud-infra --into fbi-fraud --json

Registered in the ``intel`` group by :mod:`comity.intel.cli`. Repeated pulls fetch only what
is new (a cursor per peer and collection); an interrupted pull resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from comity.cli.common import JsonOption, console, emit, err_console, state


def pull_cmd(
    ctx: typer.Context,
    peer: str = typer.Argument(..., help="The peer agency's code, e.g. FBI."),
    into: str = typer.Option(
        None, "--into", help="Local collection to store into (default: <peer>-<collection>)."
    ),
    collection: list[str] = typer.Option(
        None, "--collection", help="Remote collection (id or alias); repeat; default: all."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, max=10_000, help="Objects per page."),
    url: str = typer.Option(None, "--url", help="The peer's URL (default: as registered)."),
    ca_file: Path = typer.Option(
        None, "--ca-file", help="CA certificate(s) to verify the peer's TLS certificate."
    ),
    max_pages: int = typer.Option(
        None, "--max-pages", min=1, help="Stop after this many pages (pull again to go on)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Pull what is new in a peer's shared collections (TAXII 2.1, with a stored cursor)."""
    from comity.taxii.pull import CollectionPull, PullOptions, pull

    st = state(ctx)
    options = PullOptions(
        into=into,
        collections=tuple(collection or ()),
        limit=limit,
        url=url,
        verify=str(ca_file) if ca_file else True,
        max_pages=max_pages,
    )

    def progress(done: CollectionPull) -> None:
        if err_console.is_terminal:
            err_console.print(
                f"{done.remote_alias or done.remote_id}: {done.received} received, "
                f"{done.added} new",
                highlight=False,
            )

    result = pull(st.ctx, st.actor, peer, options, progress)
    emit(result, as_json, _human)


def _human(data: dict[str, Any]) -> None:
    if not data["collections"]:
        console.print(f"{data['peer']} shares no collection this node may read.")
        return
    for c in data["collections"]:
        state_text = "up to date" if c["complete"] else "more to pull"
        console.print(
            f"{c['remote_alias'] or c['remote_collection']} → {c['collection']}: "
            f"{c['received']} received, {c['added']} new, {c['unchanged']} known, "
            f"{c['rejected']} rejected; {state_text}",
            highlight=False,
        )
