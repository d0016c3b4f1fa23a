"""`seoaudit diff OLD NEW`: which conflicts are new, which were fixed, which remain."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from seoaudit.cli.common import command_app, console, one_format

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it


@app.command("diff")
def diff_command(
    old: Path = typer.Argument(..., metavar="OLD", help="The earlier result JSON (the baseline)."),
    new: Path = typer.Argument(..., metavar="NEW", help="The later result JSON."),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help="Output format: terminal or json."
    ),
    fail_on_new: bool = typer.Option(False, "--fail-on-new", help="Exit 1 when anything is new."),
) -> None:
    """Compare two audit results by finding fingerprint (stable across runs and ports)."""
    from seoaudit.baseline import diff_results
    from seoaudit.report.terminal import clean
    from seoaudit.service import load_result

    fmt = one_format(fmt, ("terminal", "json"), "diff")  # type: ignore[assignment]
    result = diff_results(load_result(old), load_result(new), old_name=str(old), new_name=str(new))
    for warning in result.warnings:
        typer.echo(f"seoaudit: warning: {warning}", err=True)
    if fmt == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        out = console()
        fixed = "Fixed" if result.new_complete else "Not seen in the incomplete new audit"
        for label, items, style in (
            ("New", result.new, "bold red"),
            (fixed, result.fixed, "green" if result.new_complete else "yellow"),
            ("Unchanged", result.unchanged, "dim"),
        ):
            table = Table(title=f"{label} ({len(items)})", title_justify="left", expand=True)
            table.add_column("Rule", width=7)
            table.add_column("Severity", width=8)
            table.add_column("Subject", ratio=2)
            table.add_column("Message", ratio=3)
            for f in items:
                where = f.subject.url or f.subject.host or ""
                table.add_row(
                    f.rule,
                    Text(f.severity, style=style),
                    Text(clean(where + (f" [{f.subject.bot}]" if f.subject.bot else ""))),
                    Text(clean(f.message)),
                )
            out.print(table)
    if fail_on_new and result.new:
        raise typer.Exit(1)
