"""`seoaudit logs`: what verified crawlers really got, from the server's own access logs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seoaudit.cli.common import command_app, console, load_policy_option
from seoaudit.errors import UsageError

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

FORMATS = ("auto", "combined", "common", "json", "w3c")


@app.command("logs")
def logs_command(
    files: list[str] = typer.Argument(..., help="Access logs (plain or gzip); - for stdin."),
    policy: str | None = typer.Option(None, "--policy", "-p", help="The policy (rules.yaml)."),
    log_format: str = typer.Option(
        "auto", "--log-format", help="auto, combined, common, json, w3c."
    ),
    preset: str | None = typer.Option(None, "--preset", help="JSON field preset: cloudflare."),
    fields: str | None = typer.Option(
        None,
        "--fields",
        help="JSON field mapping, e.g. time=ts,ip=remote_addr,ua=agent,status=code.",
    ),
    rdns: bool = typer.Option(
        False, "--rdns", help="Also verify by forward-confirmed reverse DNS."
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, json, markdown or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Also write the JSON report here."
    ),
    fail_on: str = typer.Option("error", "--fail-on", help="error, warning, info or never."),
) -> None:
    """Identify and verify crawlers in access logs; confirmed conflicts exit 1."""
    from seoaudit.atomic import write_atomic
    from seoaudit.logs.findings import run_logs
    from seoaudit.logs.parse import PRESETS, parse_field_mapping
    from seoaudit.logs.render import render_terminal
    from seoaudit.registry import load_registry
    from seoaudit.result import SEVERITY_RANK

    if log_format not in FORMATS:
        raise UsageError(f"--log-format must be one of {', '.join(FORMATS)}")
    if preset and preset not in PRESETS:
        raise UsageError(f"--preset must be one of {', '.join(PRESETS)}")
    if fmt not in ("terminal", "json", "markdown", "html"):
        raise UsageError(f"--format must be terminal, json, markdown or html, not {fmt!r}")
    if fail_on not in (*SEVERITY_RANK, "never"):
        raise UsageError("--fail-on must be error, warning, info or never")
    if fields:
        try:
            parse_field_mapping(fields)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    loaded = load_policy_option(policy)
    report, findings = run_logs(
        files, loaded, load_registry(), fmt=log_format, fields=fields, preset=preset, rdns=rdns
    )
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if output is not None:
        write_atomic(output, text)
    if fmt == "json":
        typer.echo(text, nl=False)
    elif fmt == "markdown":
        from seoaudit.logs.render import markdown_section

        typer.echo(markdown_section(report), nl=False)
    elif fmt == "html":
        from seoaudit.logs.render import html_page

        typer.echo(html_page(report), nl=False)
    else:
        console().print(render_terminal(report, findings))
    threshold = SEVERITY_RANK.get(fail_on)
    if threshold and any(SEVERITY_RANK[f.severity] >= threshold for f in findings):
        raise typer.Exit(1)
