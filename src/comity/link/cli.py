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
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Processes that check rows (default: the link_ingest_workers setting, one per "
        "core; 1: no pool).",
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
        workers=workers,
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


@link_app.command("run")
def run_cmd(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Link every complaint again."),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="Engine of a full run: memory, duckdb or spark (default: the link_engine setting).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Link complaints into networks (only what changed since the last run, unless --full);
    network ids stay stable and every change is recorded."""
    from comity.link.networks import run_linkage

    st = state(ctx)
    actor = current_actor(st)
    result = run_linkage(st.ctx, actor.username, full=full, engine=engine)
    emit(result, as_json, _human_run)


def _human_run(result: dict[str, Any]) -> None:
    mode = result["mode"] + " run" + (f" ({result['why_full']})" if result["why_full"] else "")
    if result["mode"] == "full":
        mode += f" with the {result['engine']} engine"
    console.print(f"{mode}: read {result['read']} complaints", highlight=False)
    console.print(
        f"{result['complaints']} complaints, {result['linked']} linked in "
        f"[bold]{result['networks']}[/bold] networks; {result['suppressed']} identifiers "
        "suppressed (warning lists, hubs)",
        highlight=False,
    )
    changes = [f"{result[k]} {k}" for k in ("created", "grown", "merged", "split", "dissolved")]
    console.print("changes: " + ", ".join(changes), highlight=False)


@link_app.command("networks")
def networks_cmd(
    ctx: typer.Context,
    network: str = typer.Argument(None, metavar="[NETWORK_ID]", help="Only this network."),
    limit: int = typer.Option(
        100, "--limit", "--top", min=1, help="Networks shown, highest score first."
    ),
    offset: int = typer.Option(0, "--offset", min=0, help="Networks skipped before those."),
    as_json: bool = JsonOption,
) -> None:
    """The fraud networks, highest score first: complaints, identifiers, losses, countries."""
    from comity.cli.common import acting
    from comity.link.networks import list_networks

    st = state(ctx)
    with acting(st) as (session, actor):
        result = list_networks(
            session, actor, st.settings, network_id=network, limit=limit, offset=offset
        )
    emit(result, as_json, _human_networks)


def _human_networks(result: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("network", "score", "complaints", "victims", "countries", "loss", "seen")
    for item in result["networks"]:
        table.add_row(
            item["id"],
            f"{item['score']:.1f}",
            str(len(item["complaints"])),
            str(item["victims"]),
            " ".join(item["countries"]),
            ", ".join(f"{c} {a}" for c, a in item["loss"].items()),
            f"{item['first_seen']} – {item['last_seen']}",
        )
    console.print(table)
    shown = result["offset"] + len(result["networks"])
    if shown < result["total"]:
        console.print(f"… {result['total'] - shown} more of {result['total']} (--limit, --offset)")


@link_app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    network: str = typer.Argument(..., metavar="NETWORK_ID"),
    source: str = typer.Option(None, "--from", help="A complaint id of the network."),
    target: str = typer.Option(None, "--to", help="Another complaint id of the network."),
    as_json: bool = JsonOption,
) -> None:
    """Why complaints are in one network: the shared identifiers, or the chain between two."""
    from comity.cli.common import acting
    from comity.link.networks import explain

    st = state(ctx)
    with acting(st) as (session, actor):
        result = explain(session, actor, network, source, target)
    emit(result, as_json, _human_explain)


def _human_explain(result: dict[str, Any]) -> None:
    if "chain" in result:
        console.print(f"{result['from']} → {result['to']} in {result['network']}:", highlight=False)
        for step in result["chain"]:
            ident = step["identifier"]
            console.print(
                f"  {step['from']} —[{ident['type']} {ident['value']}]→ {step['to']}",
                highlight=False,
                markup=False,
            )
        return
    console.print(f"{result['network']}: {result['complaints']} complaints", highlight=False)
    for item in result["links"]:
        console.print(
            f"  {item['type']} {item['value']}: {', '.join(item['complaints'])}",
            highlight=False,
            markup=False,
        )


def _read_message(path: Path) -> str:
    from comity.link.errors import LinkInputError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LinkInputError(f"cannot read {path.name}: {exc.strerror}", file=path.name) from None
    if len(data) > 1 << 30:
        raise LinkInputError(f"{path.name} is larger than 1 GiB: not a match message")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise LinkInputError(f"{path.name} is not a match message (not UTF-8)") from None


def _write_message(path: Path, text: str) -> None:
    from comity.core.files import write_atomic

    write_atomic(path, text.encode("utf-8"))


@link_app.command("match-request")
def match_request_cmd(
    ctx: typer.Context,
    peer: str = typer.Option(..., "--peer", help="The peer to match with (agency code)."),
    out: Path = typer.Option(..., "--out", help="The request file to give the peer."),
    as_json: bool = JsonOption,
) -> None:
    """Start a private match: which identifiers do we and PEER both hold? (PSI; files)"""
    from comity.link.match import request_match

    st = state(ctx)
    actor = current_actor(st)
    text = request_match(st.ctx, actor.username, peer)
    _write_message(out, text)
    emit(
        {"request": str(out), "peer": peer.upper()},
        as_json,
        lambda d: console.print(
            f"request written to {d['request']}: give it to {d['peer']}", highlight=False
        ),
    )


@link_app.command("match-respond")
def match_respond_cmd(
    ctx: typer.Context,
    request: Path = typer.Argument(..., metavar="FILE", help="A peer's request."),
    out: Path = typer.Option(..., "--out", help="The answer file to give back."),
    as_json: bool = JsonOption,
) -> None:
    """Answer a peer's private match request (size and daily budget checked, audited)."""
    from comity.link.match import respond_match

    st = state(ctx)
    actor = current_actor(st)
    _write_message(out, respond_match(st.ctx, actor.username, _read_message(request)))
    emit(
        {"answer": str(out)},
        as_json,
        lambda d: console.print(
            f"answer written to {d['answer']}: give it back to the requester", highlight=False
        ),
    )


@link_app.command("match-finish")
def match_finish_cmd(
    ctx: typer.Context,
    message: Path = typer.Argument(..., metavar="FILE", help="The answer, or the result."),
    out: Path = typer.Option(
        None, "--out", help="Requester: where to write the result for the peer."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Finish a private match: record the identifiers both hold (both sides run it)."""
    from comity.link.errors import LinkInputError
    from comity.link.match import KINDS, finish_match, message_kind

    st = state(ctx)
    text = _read_message(message)
    if message_kind(text) == KINDS[1] and out is None:
        raise LinkInputError("give --out: the peer needs the result file too")
    actor = current_actor(st)
    result = finish_match(st.ctx, actor.username, text)
    document = result.pop("document", None)
    if document is not None and out is not None:
        _write_message(out, document)
        result["result_file"] = str(out)
    emit(result, as_json, _human_match)


def _human_match(result: dict[str, Any]) -> None:
    console.print(
        f"match {result['match']} with {result['peer']}: {len(result['shared'])} identifiers "
        f"both hold (of {result['asked']} asked)",
        highlight=False,
    )
    for item in result["shared"][:SHOWN]:
        console.print(f"  {item['type']} {item['value']}", highlight=False, markup=False)
    if "result_file" in result:
        console.print(f"result for the peer: {result['result_file']}", highlight=False)


@link_app.command("match")
def match_cmd(
    ctx: typer.Context,
    peer: str = typer.Option(..., "--peer", help="The peer to match with (agency code)."),
    url: str = typer.Option(None, "--url", help="The peer's URL (default: as registered)."),
    ca_file: Path = typer.Option(
        None, "--ca-file", help="CA bundle for the peer's certificate (HTTPS)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """A private match with a peer over its API: what both hold, recorded on both sides."""
    from comity.link.match import match_over_network

    st = state(ctx)
    actor = current_actor(st)
    result = match_over_network(
        st.ctx, actor.username, peer, url=url, verify=str(ca_file) if ca_file else True
    )
    emit(result, as_json, _human_match)
