"""`seoaudit logs`: what verified crawlers really got, from the server's own access logs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seoaudit.cli.common import (
    command_app,
    console,
    history_path,
    load_policy_option,
    one_format,
    resolve_policy,
)
from seoaudit.errors import UsageError

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

FORMATS = ("auto", "combined", "common", "json", "w3c", "alb")


@app.command("logs")
def logs_command(
    files: list[str] = typer.Argument(
        ...,
        metavar="LOG...",
        help="Access logs: files, quoted globs ('logs/*.gz') or directories; plain, gzip, zstd "
        "or Parquet; - for stdin.",
    ),
    policy: str | None = typer.Option(
        None,
        "--policy",
        "-p",
        metavar="PATH",
        help="The policy (default: rules.yaml or seoaudit.yaml here or at the git root).",
    ),
    log_format: str = typer.Option(
        "auto", "--log-format", metavar="FORMAT", help="auto, combined, common, json, w3c, alb."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        metavar="NAME",
        help="JSON/Parquet field preset: cloudflare, caddy (also recognised alone), cloudfront, alb.",
    ),
    fields: str | None = typer.Option(
        None,
        "--fields",
        metavar="MAPPING",
        help="JSON field mapping, e.g. time=ts,ip=request.client_ip,ua=agent,status=code,"
        "duration=resp_ms:ms (dotted paths reach nested fields; a|b takes the first present; "
        "duration units s, ms, us, ns).",
    ),
    rdns: bool = typer.Option(
        False, "--rdns", help="Also verify by forward-confirmed reverse DNS."
    ),
    engine: str = typer.Option(
        "auto",
        "--engine",
        metavar="ENGINE",
        help="auto (by input size), python, duckdb or spark (pip install 'seoaudit-crawl[spark]').",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark (default local[*]; e.g. spark://host:7077, yarn).",
    ),
    memory_limit: str | None = typer.Option(
        None,
        "--memory-limit",
        metavar="SIZE",
        help="DuckDB memory limit before it spills to a temp directory (default 600MB).",
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help="terminal, json, markdown or html."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="PATH", help="Also write the JSON report here."
    ),
    fail_on: str = typer.Option(
        "error",
        "--fail-on",
        metavar="SEVERITY",
        help="Exit 1 on confirmed findings at or above: error, warning, info or never.",
    ),
    fail_on_slo: bool = typer.Option(
        False, "--fail-on-slo", help="Also exit 1 when a visibility SLO is breached."
    ),
    record: bool = typer.Option(
        False, "--record", help="Keep this run's KPIs, SLIs and finding fingerprints."
    ),
    history: Path | None = typer.Option(
        None,
        "--history",
        metavar="PATH",
        help="The history --record appends to (default: $SEOAUDIT_HISTORY, else "
        ".seoaudit/history.sqlite).",
    ),
) -> None:
    """Identify and verify crawlers in access logs; confirmed conflicts exit 1.

    With response times in the log (nginx rt=/urt=, Apache %D, W3C time-taken, Caddy
    duration, Cloudflare OriginResponseDurationMs, ...) it also says whether crawling
    measurably loaded the origin, and up to which crawler rate it did not.
    """
    from seoaudit.atomic import write_atomic
    from seoaudit.logs.findings import run_logs
    from seoaudit.logs.parse import PRESETS, parse_field_mapping
    from seoaudit.registry import load_registry
    from seoaudit.report.logs_view import render_terminal
    from seoaudit.result import SEVERITY_RANK

    if log_format not in FORMATS:
        raise UsageError(f"--log-format must be one of {', '.join(FORMATS)}")
    if preset and preset not in PRESETS:
        raise UsageError(f"--preset must be one of {', '.join(PRESETS)}")
    fmt = one_format(fmt, ("terminal", "json", "markdown", "html"), "logs")  # type: ignore[assignment]
    if fail_on not in (*SEVERITY_RANK, "never"):
        raise UsageError("--fail-on must be error, warning, info or never")
    if fields:
        try:
            parse_field_mapping(fields)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    loaded = load_policy_option(resolve_policy(policy))
    from seoaudit.logs.engines import ENGINES

    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    report, findings = run_logs(
        files, loaded, load_registry(), fmt=log_format, fields=fields, preset=preset, rdns=rdns,
        engine=engine, spark_master=spark_master, memory_limit=memory_limit,
    )  # fmt: skip
    from seoaudit.crawl_capacity import reconcile
    from seoaudit.slo import evaluate_slos

    report["slo"] = evaluate_slos(loaded, None, [], report)
    report["slo"]["budget"] = reconcile(loaded, None, [], report)
    threshold = SEVERITY_RANK.get(fail_on)
    failed = bool(threshold) and any(SEVERITY_RANK[f.severity] >= threshold for f in findings)
    failed = failed or (fail_on_slo and bool(report["slo"]["breached"]))
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if output is not None:
        write_atomic(output, text)
    from seoaudit.report import slo_section

    if fmt == "json":
        typer.echo(text, nl=False)
    elif fmt == "markdown":
        from seoaudit.report.logs_view import markdown_section

        typer.echo(markdown_section(report) + "\n" + slo_section.markdown(report["slo"]), nl=False)
    elif fmt == "html":
        from seoaudit.report.logs_view import html_page

        page = html_page(report)  # the SLO section goes before the page's end
        cut = page.rfind("</body>")
        page = page[:cut] + slo_section.html_section(report["slo"]) + page[cut:]
        typer.echo(page, nl=False)
    else:
        out = console()
        out.print(render_terminal(report, findings))
        for part in slo_section.terminal_parts(report["slo"], details=True):
            out.print(part)
        if fail_on_slo and report["slo"]["breached"]:
            out.print(f"SLO breached: {', '.join(report['slo']['breached'])}")
    if record:
        from seoaudit import __version__
        from seoaudit.history import record_logs

        target = history_path(history)
        run_id = record_logs(target, report, loaded, gate_failed=failed, version=__version__)
        console(stderr=True).print(f"recorded run {run_id} in {target}")
    if failed:
        raise typer.Exit(1)
