"""Commands for evidence packages: ``comity verify`` and ``comity evidence
export|import|receipt|unseal``.

``comity verify`` needs no node: no database, no keys, no network — a court can run it on a
copy of the package with the sender's public key or node descriptor (``--trust``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from comity.cli.common import JsonOption, byte_progress, console, emit, err_console, state
from comity.core.errors import InvalidInput
from comity.core.keys import format_fingerprint


def _progress(as_json: bool, label: str) -> Any:
    return lambda total: byte_progress(total, label, not as_json)


def _print_report(d: dict[str, Any]) -> None:
    sender = d.get("sender") or {}
    recipient = d.get("recipient") or {}
    if d.get("package_id"):
        console.print(
            f"package {d['package_id']} ({d.get('format')})\n"
            f"  from {sender.get('code')} ({sender.get('name')}, {sender.get('country')})\n"
            f"  to   {recipient.get('code')} ({recipient.get('name')}, {recipient.get('country')})",
            highlight=False,
        )
        console.print(
            f"  {len(d.get('items') or [])} items, {d.get('payload_bytes')} payload bytes, "
            f"{d.get('events')} custody events",
            highlight=False,
        )
    for item in d.get("items") or []:
        console.print(
            f"  {item['exhibit']}: {item['payload']}, {item['size']} bytes, "
            f"sha256 {item['sha256']}, {item['events']} events",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if d["ok"]:
        console.print(f"[green]{d['status']}[/green]")
    else:
        console.print(f"[red]{d['status']}[/red]: {len(d['problems'])} problem(s)")
        for problem in d["problems"]:
            console.print(
                f"  - [{problem['code']}] {problem['message']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    if d.get("signer_fingerprint"):
        label = "signer (authenticated)" if d.get("authenticated") else "signer fingerprint"
        console.print(f"{label}: {format_fingerprint(d['signer_fingerprint'])}", highlight=False)
        if not d.get("authenticated") and d["ok"]:
            console.print(
                "compare this fingerprint with the sender's, obtained out of band, "
                "or verify again with --trust KEYFILE"
            )


def verify_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The package: a folder, .zip or .tar file."),
    trust: list[Path] = typer.Option(
        [],
        "--trust",
        help="The sender's Ed25519 public key (base64url or PEM) or node descriptor; repeat.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Verify an evidence package offline: structure, hashes, custody ledgers, signature.

    Exit 0 when intact, 1 naming every problem. Needs no node, database or network.
    """
    from comity.evidence.archive import DEFAULT_MAX_EXPANSION, open_package
    from comity.evidence.errors import PackageInvalid
    from comity.evidence.verify import load_trust_file, verify_source

    trusted: dict[str, Any] | None = None
    if trust:
        trusted = {}
        for item in trust:
            trusted.update(load_trust_file(item))
    # No node settings are read (there may be no node): the limit comes from the environment.
    try:
        limit = int(os.environ.get("COMITY_MAX_PACKAGE_EXPANSION") or DEFAULT_MAX_EXPANSION)
    except ValueError as exc:
        raise InvalidInput("COMITY_MAX_PACKAGE_EXPANSION must be a number of bytes") from exc
    try:
        with open_package(path, limit) as source:
            total = sum(e.size for n, e in source.entries.items() if n.startswith("data/"))
            with byte_progress(total, "verifying", not as_json) as advance:
                report = verify_source(source, trusted, progress=advance)
    except PackageInvalid as exc:
        # Unsafe or unreadable: verification stopped at once; say so in the same shape.
        data = {k: v for k, v in exc.data.items() if k in ("path", "expected", "actual")}
        failed = {
            "ok": False,
            "status": "package INVALID",
            "path": str(path),
            "problems": [{"code": exc.slug, "message": exc.message, **data}],
        }
        emit(failed, as_json, _print_report)
        raise typer.Exit(1) from exc
    emit(report.as_dict(), as_json, _print_report)
    if not report.ok:
        raise typer.Exit(1)


def export_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case id or reference."),
    items: list[str] = typer.Option(
        [], "--items", "--item", help="Item id or exhibit number (default: every item); repeat."
    ),
    to: str = typer.Option(..., "--to", help="The recipient peer's agency code."),
    out: Path = typer.Option(
        ..., "--out", help="Where to write: a folder, or a file ending .zip or .tar."
    ),
    encrypt: bool = typer.Option(
        False, "--encrypt", help="Seal the package for the recipient's encryption key."
    ),
    purpose: str = typer.Option(None, "--purpose", help="Why the evidence is sent."),
    authority: str = typer.Option(
        None, "--authority", help="Legal authority (MLAT request, order) for the transfer."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write an evidence package for a peer: evidence, custody ledgers, CASE/UCO, signature."""
    from comity.evidence.package import export_package

    refs = [r.strip() for value in items for r in value.split(",") if r.strip()]
    st = state(ctx)
    result = export_package(
        st.ctx,
        st.actor,
        case,
        refs,
        to,
        out,
        encrypt=encrypt,
        purpose=purpose,
        authority=authority,
        progress=_progress(as_json, "exporting"),
    )

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"Wrote package {d['package_id']} ({d['format']}) to {d['path']} for "
            f"{d['recipient']['code']}: {len(d['items'])} items, {d['bytes']} bytes.",
            highlight=False,
        )
        console.print(f"tag manifest SHA-256: {d['manifest_sha256']}", highlight=False)
        console.print(f"signed by {format_fingerprint(d['signer_fingerprint'])}", highlight=False)

    emit(result, as_json, human)


def import_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The package: folder, .zip, .tar or sealed file."),
    case: str = typer.Option(
        None,
        "--case",
        help="Add the items to this case (default: a new case mirroring the sender's).",
    ),
    receipt_out: Path = typer.Option(
        None, "--receipt-out", help="Where to write the signed receipt (default: beside PATH)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Verify a package from a peer and take its evidence into custody; write a signed receipt."""
    from comity.evidence.transfer import import_package

    st = state(ctx)
    result = import_package(
        st.ctx,
        st.actor,
        path,
        case_ref=case,
        receipt_out=receipt_out,
        progress=_progress(as_json, "importing"),
    )

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"Imported package {d['package_id']} from {d['sender']['code']} into case {d['case']}.",
            highlight=False,
        )
        table = Table("exhibit", "sender's exhibit", "size", "sha256")
        for i in d["items"]:
            table.add_row(i["local_exhibit"], i["exhibit"], str(i["size"]), i["sha256"])
        console.print(table)
        console.print(f"Receipt: {d['receipt_path']}", highlight=False)

    emit(result, as_json, human)


def receipt_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The receipt file the recipient sent back."),
    as_json: bool = JsonOption,
) -> None:
    """Record a recipient's signed receipt: each item's ledger gets a ``transferred`` event."""
    from comity.evidence.transfer import record_receipt

    st = state(ctx)
    result = record_receipt(st.ctx, st.actor, path)

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"Receipt recorded: {d['recipient']['code']} received package {d['package_id']} "
            f"on {d['received_at']} ({d['received_by']['username']}).",
            highlight=False,
        )
        for item in d["items"]:
            console.print(f"  {item['exhibit']}: transferred", highlight=False)

    emit(result, as_json, human)


def unseal_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A sealed package addressed to this node."),
    out: Path = typer.Option(..., "--out", help="Where to write the plain bag (folder or .tar)."),
    as_json: bool = JsonOption,
) -> None:
    """Decrypt a sealed package to the plain bag (which ``comity verify`` checks), verified."""
    from comity.evidence.transfer import unseal_package

    st = state(ctx)
    result = unseal_package(st.ctx, st.actor, path, out, progress=_progress(as_json, "unsealing"))

    def human(d: dict[str, Any]) -> None:
        console.print(f"Wrote the plain bag to {d['path']}.", highlight=False)
        _print_report(d)

    emit(result, as_json, human)


__all__ = ["err_console", "export_cmd", "import_cmd", "receipt_cmd", "unseal_cmd", "verify_cmd"]
