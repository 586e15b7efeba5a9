"""What every command shares: the node context, ``--json`` output, progress bars.

Commands stay thin: parse options, call a service, print its result with :func:`emit`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

if TYPE_CHECKING:  # imported when first used: ``comity verify`` needs neither
    from sqlalchemy.orm import Session

    from comity.context import NodeContext
    from comity.core.settings import Settings
    from comity.identity.services import Actor

console = Console()
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


@dataclass
class State:
    """Per-invocation state: settings, the node context and who acts."""

    user: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        """Settings, built once."""
        from comity.core.settings import load_settings

        return load_settings(**self.overrides)

    @cached_property
    def ctx(self) -> NodeContext:
        """The node context, built once."""
        from comity.context import NodeContext

        return NodeContext(self.settings)

    @property
    def actor(self) -> str | None:
        """The user named by ``--as`` or ``COMITY_USER``."""
        return self.user or self.settings.user


def state(ctx: typer.Context) -> State:
    """Return the invocation's :class:`State`."""
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


@contextmanager
def acting(st: State) -> Iterator[tuple[Session, Actor]]:
    """A transaction and the user the command acts as (``--as``, ``COMITY_USER``, or admin)."""
    from comity.identity.services import resolve_actor

    with st.ctx.transaction() as session:
        yield session, resolve_actor(session, st.actor)


def current_actor(st: State) -> Actor:
    """The user the command acts as, for services that open their own transactions."""
    with acting(st) as (_session, actor):
        return actor


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON with ``--json``, else through ``human`` (or as pretty JSON)."""
    if as_json or human is None:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
        return
    human(data)


@contextmanager
def byte_progress(
    total: int, description: str, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar over ``total`` bytes on stderr; yields an ``advance(n)`` callback."""
    if not enabled or not err_console.is_terminal:
        yield lambda _n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def kv(rows: list[tuple[str, Any]]) -> None:
    """Print aligned key/value rows."""
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        console.print(f"[bold]{key.ljust(width)}[/bold]  {value}", highlight=False)
