"""Commands: ``comity intel import`` and ``comity intel export``.

comity intel import enterprise-attack.json --collection attack --tlp clear --json
comity intel import advisory.txt --country IN          # plain text: extraction
comity intel export --format stix --collection fraud-infra --out shared.json
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer

from comity.cli.common import JsonOption, acting, console, emit, err_console, state
from comity.core.files import write_atomic
from comity.intel.services import DEFAULT_COLLECTION


def read_input(path: str, limit: int) -> tuple[bytes, str]:
    """The bytes of ``path`` (``-`` for standard input) and a name for messages.

    Raises :class:`~comity.intel.errors.IntelInputError` (exit 2) when it cannot be read or is
    larger than ``limit`` bytes.
    """
    from comity.intel.errors import IntelInputError

    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        name = "standard input"
    else:
        source = Path(path)
        try:
            with source.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise IntelInputError(f"cannot read {path}: {exc.strerror or exc}", path=path) from None
        name = source.name
    if len(data) > limit:
        raise IntelInputError(f"{name} is larger than {limit} bytes", path=path, limit=limit)
    return data, name


def import_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="A STIX 2.1 bundle, a MISP event, or text ('-': stdin)."),
    collection: str = typer.Option(
        DEFAULT_COLLECTION, "--collection", help="Collection to add to (default: local)."
    ),
    tlp: str = typer.Option(
        None, "--tlp", help="TLP for objects that carry none (default: the node's, AMBER)."
    ),
    fmt: str = typer.Option("auto", "--format", help="auto, stix, misp or text."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid objects and list the rest."
    ),
    country: str = typer.Option(
        None, "--country", help="Reporting country: default region of phone numbers in text."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Import intelligence: atomic (all or nothing) unless --skip-invalid."""
    from comity.intel.correlation import CorrelationPolicy
    from comity.intel.importing import ImportRequest, import_data
    from comity.intel.tlp import parse_level

    st = state(ctx)
    level = parse_level(tlp) if tlp else parse_level(st.ctx.settings.default_tlp)
    data, name = read_input(file, st.ctx.settings.max_intel_bytes)
    request = ImportRequest(
        collection=collection,
        source=name,
        format=fmt,
        tlp=level,
        skip_invalid=skip_invalid,
        country=country,
    )
    spinner = console.status(f"importing {name}") if not as_json else nullcontext()
    with spinner, acting(st) as (session, actor):
        policy = CorrelationPolicy.for_settings(st.ctx.settings)
        result = import_data(session, actor, data, request, policy=policy)

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"{d['source']} ({d['format']}) into {d['collection']}: {d['added']} added, "
            f"{d['unchanged']} unchanged, {len(d['rejected'])} rejected, "
            f"{d['correlations']} correlations",
            highlight=False,
        )
        for warning in d["warnings"]:
            err_console.print(f"warning: {warning}", highlight=False, markup=False)
        for rejected in d["rejected"]:
            err_console.print(
                f"skipped object {rejected['index']} {rejected['id'] or ''}: {rejected['reason']}",
                highlight=False,
                markup=False,
            )

    emit(result, as_json, human)


def export_cmd(
    ctx: typer.Context,
    fmt: str = typer.Option("stix", "--format", help="stix or misp."),
    collection: str = typer.Option(None, "--collection", help="One collection (default: all)."),
    out: Path = typer.Option(None, "--out", help="File to write (default: standard output)."),
    max_tlp: str = typer.Option(
        "amber+strict", "--max-tlp", help="Highest TLP to include (RED never leaves)."
    ),
    for_peer: str = typer.Option(
        None, "--for-peer", help="Export for this peer: its agreement's ceiling applies."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Export intelligence as a STIX 2.1 bundle or a MISP event, under the TLP rules."""
    from comity.intel.exporting import export, recipient_for

    with acting(state(ctx)) as (session, actor):
        recipient = recipient_for(session, max_tlp, for_peer, collection)
        result = export(session, actor, fmt, recipient, collection)
    document, withheld, count = result.document, result.withheld, result.objects
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        for entry in withheld:
            err_console.print(f"withheld {entry['objects']}: {entry['reason']}", markup=False)
        return
    write_atomic(out, text.encode("utf-8"))
    summary = {"out": str(out), "format": fmt, "objects": count, "withheld": withheld}

    def human(d: dict[str, Any]) -> None:
        console.print(f"wrote {d['objects']} objects to {d['out']}", highlight=False)
        for entry in d["withheld"]:
            console.print(f"withheld {entry['objects']}: {entry['reason']}", highlight=False)

    emit(summary, as_json, human)
