"""Command: ``comity certificate ITEM --law LAW --out FILE.pdf|FILE.md [--part A|B|both]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from comity.cli.common import JsonOption, console, emit, state
from comity.evidence.certificates import FORMATS, describe_kinds, produce_certificate


def certificate(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="Evidence id or exhibit number."),
    law: str = typer.Option(..., "--law", help=f"Which certificate: {describe_kinds()}."),
    out: Path = typer.Option(
        ..., "--out", help=f"File to write; its extension ({', '.join(FORMATS)}) picks the format."
    ),
    part: str = typer.Option(
        None, "--part", help="IN-BSA-63 only: A (the party), B (the expert) or both (default)."
    ),
    verify_content: bool = typer.Option(
        False, "--verify-content", help="Re-hash the stored bytes first; refuse on a mismatch."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Prepare the certificate a court requires for an electronic record, pre-filled.

    Whatever only a person may state (declarations, name, designation, signature) is left as a
    marked blank. Producing a certificate is audited and recorded in the item's custody ledger.
    """
    st = state(ctx)
    result = produce_certificate(
        st.ctx, st.actor, item, law, out, part=part, verify_content=verify_content
    )

    def human(d: dict[str, Any]) -> None:
        parts = f" (Part {' and '.join(d['parts'])})" if d["parts"] else ""
        console.print(
            f"Wrote {d['path']}: {d['law']}{parts} for exhibit {d['exhibit']}; "
            f"{d['blanks']} blanks to complete by hand; recorded as custody event "
            f"{d['custody_event']}.",
            highlight=False,
            markup=False,
        )

    emit(result.as_dict(), as_json, human)
