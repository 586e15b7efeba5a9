"""Commands: ``comity collection create|list|show`` and ``comity share``.

comity collection create fraud-infra --title "Fraud infrastructure" --json
comity share --collection fraud-infra --peer FBI --read --max-tlp amber
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, emit, kv, state

collection_app = typer.Typer(
    help="Intelligence collections: the unit of sharing with peers.", no_args_is_help=True
)


@collection_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name: letters, digits, '.', '_', '-'."),
    title: str = typer.Option(None, "--title", help="A readable title (default: the name)."),
    description: str = typer.Option(None, "--description", help="What the collection holds."),
    as_json: bool = JsonOption,
) -> None:
    """Create a collection."""
    from comity.intel.services import collection_summary, create_collection

    with acting(state(ctx)) as (session, actor):
        collection = create_collection(session, actor, name, title=title, description=description)
        result = collection_summary(collection, 0)
    emit(result, as_json, lambda d: console.print(f"collection {d['name']} created ({d['id']})"))


@collection_app.command("list")
def list_(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List collections, their size and who they are shared with."""
    from comity.intel.services import list_collections

    with acting(state(ctx)) as (session, actor):
        result = {"collections": list_collections(session, actor)}

    def human(d: dict[str, Any]) -> None:
        table = Table("name", "objects", "shared with", "id")
        for c in d["collections"]:
            shared = ", ".join(
                f"{a['peer']} ({'r' if a['read'] else ''}{'w' if a['write'] else ''}, "
                f"≤{a['max_tlp']})"
                for a in c.get("shared_with", [])
            )
            table.add_row(c["name"], str(c["objects"]), shared or "-", c["id"])
        console.print(table)

    emit(result, as_json, human)


@collection_app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Collection name or id."),
    as_json: bool = JsonOption,
) -> None:
    """Show one collection and its sharing agreements."""
    from comity.intel.services import list_collections

    with acting(state(ctx)) as (session, actor):
        found = [c for c in list_collections(session, actor) if name in (c["name"], c["id"])]
    if not found:
        from comity.core.errors import NotFound

        raise NotFound(f"no collection {name!r}", collection=name)
    emit(found[0], as_json, lambda d: kv([(k, v) for k, v in d.items()]))


def share_cmd(
    ctx: typer.Context,
    collection: str = typer.Option(..., "--collection", help="Collection name or id."),
    peer: str = typer.Option(..., "--peer", help="The peer's agency code."),
    read: bool = typer.Option(False, "--read", help="The peer may read (TAXII GET, pull)."),
    write: bool = typer.Option(False, "--write", help="The peer may add objects (TAXII POST)."),
    max_tlp: str = typer.Option(
        None,
        "--max-tlp",
        help="Highest TLP the peer may receive: clear, green, amber or amber+strict.",
    ),
    revoke: bool = typer.Option(False, "--revoke", help="End the agreement."),
    as_json: bool = JsonOption,
) -> None:
    """Share a collection with a peer: what it may do and the highest TLP it may receive.

    TLP:RED never leaves the node, and what a peer gave under AMBER or AMBER+STRICT is never
    passed on to another peer, whatever the agreement says.
    """
    from comity.intel.errors import IntelInputError
    from comity.intel.services import share

    if max_tlp is None and not revoke:
        raise IntelInputError("--max-tlp is required: clear, green, amber or amber+strict")
    with acting(state(ctx)) as (session, actor):
        result = share(
            session,
            actor,
            collection,
            peer,
            read=read,
            write=write,
            max_tlp=max_tlp or "clear",
            revoke=revoke,
        )

    def human(d: dict[str, Any]) -> None:
        if d.get("revoked"):
            console.print(f"{d['collection']} is no longer shared with {d['peer']}")
            return
        rights = " and ".join(r for r in ("read", "write") if d[r])
        console.print(
            f"{d['peer']} may {rights} {d['collection']}, up to TLP:{d['max_tlp'].upper()}"
        )

    emit(result, as_json, human)
