"""Commands: ``comity evidence add|list|show``, ``comity custody log|verify``."""

from __future__ import annotations

import atexit
import gc
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from comity.cli.common import JsonOption, State, acting, byte_progress, console, emit, kv, state
from comity.core.errors import InvalidInput
from comity.evidence import cli_packages
from comity.evidence.intake import DEVICE_TYPES, IngestOptions, Intake, collect_sources

# The database layer (SQLAlchemy, the models, the services) is imported inside each command:
# ``evidence add`` starts streaming the files before it loads it.

evidence_app = typer.Typer(
    help="Digital evidence: ingest, packages, receipts.", no_args_is_help=True
)
custody_app = typer.Typer(help="The custody ledger of evidence items.", no_args_is_help=True)


def _finish_process(st: State) -> None:
    """Close the database now, and let the interpreter skip its final garbage collection.

    At exit CPython collects garbage over every object the process holds (SQLAlchemy, pydantic,
    typer and rich make that 0.1-0.15 s on the benchmark machine, a tenth of what ingesting
    2 GiB takes there); moving them all to the permanent generation (:func:`gc.freeze`) from an
    ``atexit`` hook skips it, and the operating system reclaims the memory. What only that
    collection would have finalized is then never finalized, so the database connections are
    closed here first (on SQLite this is the WAL checkpoint, synced, that used to happen at
    exit). The hook runs when the process ends, so a process that runs the command in-process
    (tests) keeps collecting garbage as usual until then.
    """
    st.ctx.dispose()
    atexit.unregister(gc.freeze)  # once, however often the command runs in this process
    atexit.register(gc.freeze)


def _parse_expected(values: list[str], paths: list[Path]) -> dict[str, str]:
    """``--expected-sha256 HASH`` (one file) or ``--expected-sha256 NAME=HASH`` (any file)."""
    expected: dict[str, str] = {}
    for value in values:
        name, sep, digest = value.rpartition("=")
        if not sep:
            if len(paths) != 1 or not paths[0].is_file():
                raise InvalidInput("with several files, give --expected-sha256 NAME=HASH")
            name, digest = paths[0].name, value
        digest = digest.strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidInput(f"not a SHA-256 hex digest: {digest!r}")
        expected[name] = digest
    return expected


def _parse_hash_list(path: Path) -> dict[str, str]:
    """Read a ``sha256sum``-style list (``HASH  NAME`` per line), as acquisition tools write."""
    expected: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read hash list {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise InvalidInput(f"{path.name} line {number}: expected 'SHA256  NAME'")
        expected[name] = digest.lower()
    return expected


@evidence_app.command("add")
def evidence_add(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case id or reference."),
    paths: list[Path] = typer.Argument(..., help="Files or folders to ingest."),
    md5: bool = typer.Option(False, "--md5", help="Also compute MD5."),
    sha1: bool = typer.Option(False, "--sha1", help="Also compute SHA-1."),
    expected_sha256: list[str] = typer.Option(
        [], "--expected-sha256", help="HASH, or NAME=HASH; refuses on mismatch."
    ),
    hash_list: Path = typer.Option(
        None, "--hash-list", help="sha256sum-style list reported by the acquisition tool."
    ),
    examiner: str = typer.Option(None, "--examiner"),
    tool: str = typer.Option(None, "--tool", help="Acquisition tool."),
    tool_version: str = typer.Option(None, "--tool-version"),
    device_type: str = typer.Option(
        None, "--device-type", help=f"One of: {', '.join(DEVICE_TYPES)}."
    ),
    make: str = typer.Option(None, "--make"),
    model: str = typer.Option(None, "--model"),
    colour: str = typer.Option(None, "--colour"),
    serial: str = typer.Option(None, "--serial"),
    imei: str = typer.Option(None, "--imei"),
    mac: str = typer.Option(None, "--mac"),
    cloud_id: str = typer.Option(None, "--cloud-id"),
    seized_at: str = typer.Option(None, "--seized-at", help="ISO 8601 time of seizure."),
    seizure_tz: str = typer.Option(None, "--seizure-timezone", help="IANA zone of the seizure."),
    place: str = typer.Option(None, "--place", help="Place of seizure."),
    authority: str = typer.Option(None, "--authority", help="Warrant or order reference."),
    as_json: bool = JsonOption,
) -> None:
    """Ingest files or folders into a case: streamed, hashed, encrypted, logged as acquired."""
    from comity.core.timeutil import parse_time, zone

    if device_type and device_type not in DEVICE_TYPES:
        raise InvalidInput(f"--device-type must be one of {', '.join(DEVICE_TYPES)}")
    if seized_at:
        parse_time(seized_at)
    if seizure_tz:
        zone(seizure_tz)
    expected = _parse_expected(expected_sha256, paths)
    if hash_list is not None:
        expected.update(_parse_hash_list(hash_list))
    options = IngestOptions(
        examiner=examiner,
        tool=tool,
        tool_version=tool_version,
        device={
            "type": device_type,
            "make": make,
            "model": model,
            "colour": colour,
            "serial": serial,
            "imei": imei,
            "mac": mac,
            "cloud_id": cloud_id,
        },
        seized_at=seized_at,
        timezone=seizure_tz,
        place=place,
        authority=authority,
        extra_hashes=tuple(a for a, on in (("md5", md5), ("sha1", sha1)) if on),
        expected_sha256=expected,
    )
    st = state(ctx)
    sources, warnings = collect_sources(paths)
    total = sum(s.size for s in sources)
    with (
        byte_progress(total, "ingesting", not as_json) as advance,
        Intake(st.settings, sources, warnings, options, advance) as intake,
    ):
        # Stream first; load the database layer and check the case while the files stream.
        intake.start()
        from comity.evidence.ingest import record_ingest

        items, warnings = record_ingest(st.ctx, st.actor, case, intake)
    _finish_process(st)

    def human(d: dict[str, Any]) -> None:
        for w in d["warnings"]:
            console.print(f"[yellow]warning:[/yellow] {w}")
        table = Table("exhibit", "path", "size", "sha256", "id")
        for i in d["items"]:
            table.add_row(i["exhibit"], i["path"], str(i["size"]), i["hashes"]["sha256"], i["id"])
        console.print(table)

    emit({"items": items, "warnings": warnings}, as_json, human)


@evidence_app.command("list")
def evidence_list(ctx: typer.Context, case: str, as_json: bool = JsonOption) -> None:
    """List the evidence items of a case."""
    from comity.evidence.ingest import item_summary
    from comity.evidence.services import list_items

    st = state(ctx)
    with acting(st) as (session, actor):
        data = {"items": [item_summary(i) for i in list_items(session, actor, case)]}

    def human(d: dict[str, Any]) -> None:
        table = Table("exhibit", "path", "size", "sha256", "origin")
        for i in d["items"]:
            table.add_row(
                i["exhibit"], i["path"], str(i["size"]), i["hashes"]["sha256"], i["origin_agency"]
            )
        console.print(table)

    emit(data, as_json, human)


@evidence_app.command("show")
def evidence_show(ctx: typer.Context, item: str, as_json: bool = JsonOption) -> None:
    """Show an item (by id or exhibit number)."""
    from comity.evidence.ingest import item_summary
    from comity.evidence.services import get_item

    st = state(ctx)
    with acting(st) as (session, actor):
        data = item_summary(get_item(session, actor, item, purpose="show"))
    emit(data, as_json, lambda d: kv([(k, v) for k, v in d.items()]))


@custody_app.command("log")
def custody_log_cmd(ctx: typer.Context, item: str, as_json: bool = JsonOption) -> None:
    """Show an item's custody events, oldest first."""
    from comity.evidence.services import custody_log

    st = state(ctx)
    with acting(st) as (session, actor):
        data = custody_log(session, actor, item)

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"{d['item']['exhibit']}  sha256 {d['item']['hashes']['sha256']}", highlight=False
        )
        table = Table("#", "action", "UTC", "local time", "who", "agency", "purpose", "hash")
        for e in d["events"]:
            table.add_row(
                str(e["seq"]),
                e["action"],
                e["at"],
                e["local_time"],
                e["actor"]["username"],
                e["agency"]["code"],
                e.get("purpose") or "",
                e["hash"][:16],
            )
        console.print(table)

    emit(data, as_json, human)


@custody_app.command("verify")
def custody_verify(
    ctx: typer.Context,
    case: str = typer.Argument(
        None, help="Case id or reference (default: every case you may see)."
    ),
    skip_content: bool = typer.Option(
        False, "--skip-content", help="Check the ledger only, not the stored bytes."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Prove every chain intact and every stored item unchanged; exit 1 naming the first break."""
    from comity.evidence.services import verify_custody

    st = state(ctx)
    with acting(st) as (session, actor):
        report = verify_custody(st.ctx, actor, session, case, content=not skip_content)

    def human(d: dict[str, Any]) -> None:
        if d["ok"]:
            console.print(
                f"custody verified: {d['items']} items, {d['events']} events, chains intact"
                + ("" if skip_content else ", stored bytes match")
            )
        else:
            console.print(f"[red]custody BROKEN[/red]: {d['first_problem']}", highlight=False)

    emit(report, as_json, human)
    if not report["ok"]:
        raise typer.Exit(1)


# The package commands live in their own module; it imports its heavy layers when run.
evidence_app.command("export")(cli_packages.export_cmd)
evidence_app.command("import")(cli_packages.import_cmd)
evidence_app.command("receipt")(cli_packages.receipt_cmd)
evidence_app.command("unseal")(cli_packages.unseal_cmd)

__all__ = ["custody_app", "evidence_app"]
