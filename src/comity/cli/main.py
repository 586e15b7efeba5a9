"""The ``comity`` command: assembles every domain's command group and maps errors to exits.

Exit codes: 0 success, 1 a check found a problem, 2 bad input or usage, 3 internal error or an
unavailable service. Bad input never prints a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import typer

from comity import __version__
from comity.cli.common import State, err_console
from comity.core.errors import ComityError

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("comity.identity.cli", "init"),
    "node": ("comity.identity.cli", "node_app"),
    "user": ("comity.identity.cli", "user_app"),
    "audit": ("comity.identity.cli", "audit_app"),
    "peer": ("comity.federation.cli", "peer_app"),
    "case": ("comity.cases.cli", "case_app"),
    "evidence": ("comity.evidence.cli", "evidence_app"),
    "custody": ("comity.evidence.cli", "custody_app"),
    "verify": ("comity.evidence.cli_packages", "verify_cmd"),
    "certificate": ("comity.evidence.cli_certificates", "certificate"),
    "collection": ("comity.intel.cli_sharing", "collection_app"),
    "share": ("comity.intel.cli_sharing", "share_cmd"),
    "intel": ("comity.intel.cli", "intel_app"),
    "link": ("comity.link.cli", "link_app"),
    "operation": ("comity.operations.cli", "operation_app"),
    "request": ("comity.legal.cli_requests", "request_app"),
    "legal": ("comity.legal.cli", "legal_app"),
    "serve": ("comity.web.cli", "serve"),
}
"""Every command beside ``version``: name -> (module, attribute), a Typer group or a function.

A module is imported only when its command runs (or help lists every command), so a command pays
only for its own layers: ``comity verify`` never loads the database, and ``comity evidence
add`` does not load the web server, PDF rendering or package reading.
"""


_loaded: set[str] = set()


def _load(name: str) -> None:
    """Import the module behind ``name`` and add its group or command to :data:`app`."""
    if name in _loaded:
        return
    _loaded.add(name)
    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=name)
    else:
        app.command(name)(target)


def _requested(args: list[str]) -> str | None:
    """The command named on the line, after the root options; ``None`` if there is none."""
    values = iter(args)
    for arg in values:
        if arg in ("--as", "--home"):
            next(values, None)
        elif not arg.startswith("-"):
            return arg
        elif not arg.startswith(("--as=", "--home=")):
            return None
    return None


def load_commands(args: list[str]) -> None:
    """Load the one command ``args`` runs, or all of them (for help, or an unknown name)."""
    name = _requested(args)
    if name in {command.name for command in app.registered_commands} - set(COMMANDS):
        return  # ``version``: defined here
    for each in [name] if name in COMMANDS else list(COMMANDS):
        _load(each)


app = typer.Typer(
    name="comity",
    help="Comity: cross-border cyber-crime cooperation between law-enforcement agencies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    as_user: str = typer.Option(
        None, "--as", help="Act as this user (default: COMITY_USER, else the administrator)."
    ),
    home: Path = typer.Option(
        None, "--home", help="Node home folder (default: COMITY_HOME, else ./.comity)."
    ),
) -> None:
    """Comity node command line."""
    overrides = {"home": home} if home else {}
    ctx.obj = State(user=as_user, overrides=overrides)


@app.command("version")
def version() -> None:
    """Print Comity's version."""
    typer.echo(__version__)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Click reports usage errors itself (exit 2); Comity's errors become one line on stderr
    with their exit code; anything unexpected is an internal error (exit 3), with the
    traceback only when ``COMITY_DEBUG`` is set.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    load_commands(args)
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="comity", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except ComityError as exc:
        err_console.print(f"error: {exc.message}", highlight=False, markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 3
    except Exception as exc:
        if os.environ.get("COMITY_DEBUG"):
            raise
        err_console.print(
            f"internal error: {type(exc).__name__}: {exc}", highlight=False, markup=False
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
