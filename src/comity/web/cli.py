"""``comity serve`` (filled in by the API work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    return
