"""`seoaudit trend`: the shared scoreboard and visibility SLOs over the recorded runs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seoaudit.cli.common import command_app, history_path, one_format

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it


@app.command("trend")
def trend_command(
    history: Path | None = typer.Option(
        None,
        "--history",
        metavar="PATH",
        help="The history file (default: $SEOAUDIT_HISTORY, else .seoaudit/history.sqlite).",
    ),
    site: str | None = typer.Option(
        None, "--site", metavar="HOST", help="Only this site's runs (and site-less log runs)."
    ),
    last: int | None = typer.Option(None, "--last", min=1, metavar="N", help="The last N runs."),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help="terminal, json or html."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="PATH", help="Write to this file instead of stdout."
    ),
    fail_on_regression: bool = typer.Option(
        False, "--fail-on-regression", help="Exit 1 when the latest run regressed."
    ),
) -> None:
    """Show the shared scoreboard and SLOs over recorded runs, flagging regressions."""
    from seoaudit.atomic import write_atomic
    from seoaudit.errors import UsageError
    from seoaudit.history import load_runs, sites
    from seoaudit.report.trend_render import html_page, terminal
    from seoaudit.trend import build_trend

    if not fmt and output is not None and output.suffix.lower() in (".html", ".htm", ".json"):
        fmt = ["json" if output.suffix.lower() == ".json" else "html"]  # from the file name
    fmt = one_format(fmt, ("terminal", "json", "html"), "trend")  # type: ignore[assignment]
    path = history_path(history)
    if site is None:
        known = sites(path)
        if len(known) > 1:
            raise UsageError(
                f"{path} holds runs of {len(known)} sites ({', '.join(sorted(known))}): "
                "choose one with --site"
            )
    runs = load_runs(path, site=site, last=last)
    if not runs:
        raise UsageError(f"{path}: no recorded runs" + (f" for {site}" if site else ""))
    trend = build_trend(runs)
    if fmt == "json":
        text = json.dumps(trend, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        title = f"seoaudit trend: {site or runs[-1].site or 'logs'}"
        text = html_page(trend, title=title)
    else:
        import os
        import shutil

        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() else shutil.get_terminal_size((100, 24)).columns
        text = terminal(trend, width=max(80, min(width, 160)))
    if output is not None:
        write_atomic(output, text)
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text, nl=False)
    latest = runs[-1].id
    if fail_on_regression and any(r["run"] == latest for r in trend["regressions"]):
        raise typer.Exit(1)
