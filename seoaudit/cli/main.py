"""The `seoaudit` command: a thin Typer layer over the service modules.

Each command group lives in its own module and registers itself on `app`; this module
only wires them together and turns the project's own errors into messages and exit codes
(architecture §2: 0 pass, 1 gate failed, 2 usage/policy error, 3 could not complete).
"""

from __future__ import annotations

import os
import sys
import traceback

import typer

from seoaudit import __version__
from seoaudit.errors import SeoauditError

app = typer.Typer(
    name="seoaudit",
    help="Find where uptime protections (robots.txt, WAF, challenges, rate limits) "
    "and search/AI crawler visibility collide.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seoaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """seoaudit: audit the conflict between uptime protection and crawlability."""


def _register_commands() -> None:
    """Import each command module; each adds its commands to `app`."""
    from seoaudit.cli import commands  # noqa: F401


def run(argv: list[str] | None = None) -> None:
    """Console entry point: never lets a traceback reach the user for expected errors.

    Typer runs in standalone mode (it prints usage errors itself, exit 2); the project's own
    errors propagate out of it and are printed here with their exit code.
    """
    _register_commands()
    try:
        app(args=argv, prog_name="seoaudit")
    except SeoauditError as exc:
        typer.echo(f"seoaudit: {exc}" if "\n" not in str(exc) else str(exc), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("seoaudit: interrupted", err=True)
        sys.exit(3)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("SEOAUDIT_DEBUG"):
            traceback.print_exc()
        typer.echo(
            f"seoaudit: internal error: {type(exc).__name__}: {exc}\n"
            "(set SEOAUDIT_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        sys.exit(3)
