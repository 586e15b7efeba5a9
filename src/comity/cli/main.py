"""The ``comity`` command: assembles every domain's command group and maps errors to exits.

Exit codes: 0 success, 1 a check found a problem, 2 bad input or usage, 3 internal error or an
unavailable service. Bad input never prints a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from comity import __version__
from comity.cli.common import State, err_console
from comity.core.errors import ComityError

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


_assembled = False


def _assemble() -> None:
    """Add every domain's command group (imported here: they pull in the database layer)."""
    global _assembled
    if _assembled:
        return
    _assembled = True
    from comity.cases.cli import case_app
    from comity.evidence.cli import custody_app, evidence_app
    from comity.federation.cli import peer_app
    from comity.identity.cli import audit_app, init, node_app, user_app

    app.command("init")(init)
    app.add_typer(node_app, name="node")
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
    app.add_typer(peer_app, name="peer")
    app.add_typer(case_app, name="case")
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(custody_app, name="custody")


_registered = False


def _register_optional() -> None:
    """Add the commands whose modules pull heavier dependencies (once per process)."""
    global _registered
    if _registered:
        return
    _registered = True
    from comity.evidence.cli_certificates import register as register_certificates
    from comity.evidence.cli_packages import register as register_packages
    from comity.web.cli import register as register_web

    register_packages(app)
    register_certificates(app)
    register_web(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Click reports usage errors itself (exit 2); Comity's errors become one line on stderr
    with their exit code; anything unexpected is an internal error (exit 3), with the
    traceback only when ``COMITY_DEBUG`` is set.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["verify"]:
        # Offline verification needs no node: skip importing the database layer, so that
        # start-up does not weigh on checking a package at disk and hash speed.
        from comity.evidence.cli_packages import verify_app

        command = typer.main.get_command(verify_app)
        argv, prog = args[1:], "comity verify"
    else:
        _assemble()
        _register_optional()
        command = typer.main.get_command(app)
        prog = "comity"
    try:
        command.main(args=argv, prog_name=prog, standalone_mode=True)
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
