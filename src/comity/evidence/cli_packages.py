"""Commands for packages, receipts and certificates (filled in by the packaging work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the package commands to ``app``."""
    return
