"""The `seoaudit` command: a thin Typer layer over the service modules.

Commands are loaded only when they run: ``seoaudit.cli.commands.COMMANDS`` names the module of
each, and the group below imports it on demand, so ``--version``, ``--help`` and shell
completion of command names pay for Typer alone. This module also turns the project's own
errors into messages and exit codes (architecture §2: 0 pass, 1 gate failed, 2 usage/policy
error, 3 could not complete).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from seoaudit import __version__
from seoaudit.cli.commands import COMMANDS
from seoaudit.errors import SeoauditError

CONTEXT = {"help_option_names": ["-h", "--help"]}


class LazyCommands(TyperGroup):
    """A command group whose commands are imported from ``COMMANDS`` when first used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry.module)
        return typer.main.get_group(module.app).get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.help) for name, entry in COMMANDS.items()])


app = typer.Typer(
    name="seoaudit",
    cls=LazyCommands,
    help="Find where uptime protections (robots.txt, WAF, challenges, rate limits) "
    "and search/AI crawler visibility collide.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seoaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """seoaudit: audit the conflict between uptime protection and crawlability."""


def run(argv: list[str] | None = None) -> None:
    """Console entry point: never lets a traceback reach the user for expected errors.

    Typer runs in standalone mode (it prints usage errors itself, exit 2); the project's own
    errors propagate out of it and are printed here with their exit code.
    """
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
