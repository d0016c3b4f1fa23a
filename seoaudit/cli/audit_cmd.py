"""`seoaudit audit`, `evaluate`, `report` and `demo`: the main job and its stages."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import typer

from seoaudit.cli.common import (
    QUIET_HELP,
    command_app,
    console,
    find_source_root,
    history_path,
    load_policy_option,
    parse_headers,
    resolve_policy,
    wants_colour,
)

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

FORMAT_HELP = (
    "Output format(s): terminal json sarif junit github gitlab markdown html "
    "(repeat or comma-separate)."
)
OUTPUT_HELP = "Write to this file (one format) or directory (several); JSON is always written too."
FAIL_ON_HELP = (
    "Exit 1 when a finding at or above this severity is found: error, warning, info, never."
)
BASELINE_HELP = "A previous result JSON: gate only on findings whose fingerprint is new."
POLICY_HELP = "The policy (default: rules.yaml or seoaudit.yaml here or at the git root)."
ROBOTS_FILE_HELP = (
    "The repository's robots.txt: SARIF/GitHub annotations of robots findings point at it."
)


def _stdout_style() -> tuple[int, bool]:
    width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 0
    width = width or shutil.get_terminal_size((100, 24)).columns
    color = wants_colour(sys.stdout)
    return max(80, min(width, 140)), color


DETAILS_HELP = "Terminal: every change in full (evidence, steps per owner, config to paste)."
FAIL_ON_SLO_HELP = "Also exit 1 when a visibility SLO (policy visibility:) is breached."
RECORD_HELP = "Keep this run's scoreboard, SLIs and finding fingerprints in the history."
HISTORY_HELP = (
    "The history file --record appends to "
    "(default: $SEOAUDIT_HISTORY, else .seoaudit/history.sqlite)."
)


def _request(
    formats, output, fail_on, baseline, quiet, robots_file=None, details=False, fail_on_slo=False
):  # type: ignore[no-untyped-def]
    from seoaudit.service import OutputRequest, parse_formats

    width, color = _stdout_style()
    return OutputRequest(
        formats=parse_formats(formats),
        output=output,
        fail_on=fail_on.lower(),
        baseline=baseline,
        robots_file=robots_file,
        quiet=quiet,
        width=width,
        color=color,
        source_root=str(find_source_root()),
        working_dir=os.getcwd(),
        details=details,
        fail_on_slo=fail_on_slo,
    )


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    from seoaudit.gather.progress import GatherProgress, wants_progress

    if enabled and wants_progress(False):
        with GatherProgress(console(stderr=True)) as progress:
            yield progress
    else:
        yield None


def _finish(delivered, record: Path | None = None, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    from seoaudit.service import emit

    emit(delivered)
    if record is not None:  # after the gate, so the run is kept with its verdict
        from seoaudit.history import record_result

        run_id = record_result(record, delivered.result)  # a failure is a usage error (2)
        if not quiet:
            console(stderr=True).print(f"recorded run {run_id} in {record}")
    if delivered.exit_code:
        raise typer.Exit(delivered.exit_code)


@app.command("audit")
def audit_command(
    url: str | None = typer.Argument(
        None, metavar="[URL]", help="Start URL (default: site.start in the policy)."
    ),
    policy: str | None = typer.Option(None, "--policy", "-p", metavar="PATH", help=POLICY_HELP),
    formats: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="PATH", help=OUTPUT_HELP),
    fail_on: str = typer.Option("error", "--fail-on", metavar="SEVERITY", help=FAIL_ON_HELP),
    baseline: Path | None = typer.Option(None, "--baseline", metavar="PATH", help=BASELINE_HELP),
    robots_file: str | None = typer.Option(
        None, "--robots-file", metavar="PATH", help=ROBOTS_FILE_HELP
    ),
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, metavar="N", help="Pages to crawl at most (crawl.max_pages)."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, max=64, metavar="N", help="Requests in flight at most (1-64)."
    ),
    max_rps: float | None = typer.Option(
        None,
        "--max-rps",
        min=0.01,
        max=1000,
        metavar="RPS",
        help="Global requests-per-second ceiling.",
    ),
    header: list[str] | None = typer.Option(
        None,
        "--header",
        "-H",
        metavar="HEADER",
        help='Extra request header "Name: value" (secret; repeatable).',
    ),
    insecure: bool = typer.Option(
        False, "--insecure", help="Do not verify TLS certificates (staging with self-signed certs)."
    ),
    probe_rate: bool = typer.Option(
        False, "--probe-rate", help="Run the active rate probe (opt-in, capped)."
    ),
    save_snapshot: Path | None = typer.Option(
        None,
        "--save-snapshot",
        metavar="PATH",
        help="Also write the gathered snapshot (for evaluate later).",
    ),
    logs: list[str] | None = typer.Option(
        None,
        "--logs",
        metavar="LOG",
        help="Access log (repeatable): confirm or refute needs_verification findings.",
    ),
    fail_on_slo: bool = typer.Option(False, "--fail-on-slo", help=FAIL_ON_SLO_HELP),
    record: bool = typer.Option(False, "--record", help=RECORD_HELP),
    history: Path | None = typer.Option(None, "--history", metavar="PATH", help=HISTORY_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    details: bool = typer.Option(False, "--details", help=DETAILS_HELP),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Audit a site: where do uptime protections and crawler visibility collide?"""
    from seoaudit.gather.progress import plan_printer
    from seoaudit.gather.service import GatherOptions
    from seoaudit.registry import load_registry
    from seoaudit.service import AuditRun, deliver, gather_and_evaluate

    request = _request(formats, output, fail_on, baseline, quiet, robots_file, details, fail_on_slo)
    record_to = history_path(history) if record else None
    policy = resolve_policy(policy)
    loaded = load_policy_option(policy)  # exits 2 on a bad policy, before any request
    if baseline is not None and not baseline.exists():
        from seoaudit.errors import UsageError

        raise UsageError(f"{baseline}: baseline file not found")
    options = GatherOptions(
        start_url=url,
        max_pages=max_pages,
        concurrency=concurrency,
        max_rps=max_rps,
        probe_rate=probe_rate,
        extra_headers=parse_headers(header),
        verify_tls=not insecure,
        announce=plan_printer(console(stderr=True), quiet),
    )
    if probe_rate or loaded.rate.probe:
        from seoaudit.gather.rate_probe import ramp

        console(stderr=True).print(
            "Active rate probe enabled: after the audit, each required bot and the browser ramp "
            f"through {', '.join(f'{s:g}' for s in ramp(loaded))} req/s on one must-index URL, "
            f"at most {loaded.rate.probe_max_requests} requests each, stopping at the first "
            "429/503, challenge or slowdown."
        )
    with _progress(not (quiet or no_progress)) as progress:
        result = gather_and_evaluate(
            AuditRun(
                loaded,
                load_registry(),
                options,
                policy_path=policy,
                progress=progress,  # type: ignore[arg-type]
                snapshot_path=save_snapshot,
            )
        )
    if logs:
        from seoaudit.logs.findings import join_logs, run_logs

        report, _ = run_logs(logs, loaded, load_registry())
        result = join_logs(result, report)
        from seoaudit.slo import with_slo

        result = with_slo(result, loaded)  # the log SLIs join the audit's
    _finish(deliver(result, request), record_to, quiet)


@app.command("evaluate")
def evaluate_command(
    snapshot: Path = typer.Argument(
        ..., metavar="SNAPSHOT", help="A snapshot from `seoaudit gather`."
    ),
    policy: str | None = typer.Option(None, "--policy", "-p", metavar="PATH", help=POLICY_HELP),
    formats: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="PATH", help=OUTPUT_HELP),
    fail_on: str = typer.Option("error", "--fail-on", metavar="SEVERITY", help=FAIL_ON_HELP),
    baseline: Path | None = typer.Option(None, "--baseline", metavar="PATH", help=BASELINE_HELP),
    robots_file: str | None = typer.Option(
        None, "--robots-file", metavar="PATH", help=ROBOTS_FILE_HELP
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    details: bool = typer.Option(False, "--details", help=DETAILS_HELP),
) -> None:
    """Judge a saved snapshot against a policy, offline."""
    from seoaudit.registry import load_registry
    from seoaudit.rules.engine import evaluate
    from seoaudit.service import deliver, load_snapshot

    request = _request(formats, output, fail_on, baseline, quiet, robots_file, details)
    policy = resolve_policy(policy)
    loaded = load_policy_option(policy)
    snap = load_snapshot(snapshot)
    result = evaluate(snap, loaded, load_registry(), policy_path=policy)
    _finish(deliver(result, request))


@app.command("report")
def report_command(
    result_file: Path = typer.Argument(..., metavar="RESULT", help="A result JSON."),
    formats: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="PATH", help=OUTPUT_HELP),
    fail_on: str | None = typer.Option(None, "--fail-on", metavar="SEVERITY", help=FAIL_ON_HELP),
    baseline: Path | None = typer.Option(None, "--baseline", metavar="PATH", help=BASELINE_HELP),
    robots_file: str | None = typer.Option(
        None, "--robots-file", metavar="PATH", help=ROBOTS_FILE_HELP
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    details: bool = typer.Option(False, "--details", help=DETAILS_HELP),
) -> None:
    """Re-render a saved result in any format (no network). Exit code follows the gate."""
    from seoaudit.service import deliver, load_result

    result = load_result(result_file)
    request = _request(
        formats,
        output,
        fail_on or result.gate.fail_on,
        baseline,
        quiet,
        robots_file,
        details,
        result.gate.fail_on_slo,
    )
    _finish(deliver(result, request))


def demo_policy_path() -> Path:
    """The repository's rules.yaml when run from a checkout, else the packaged copy."""
    here = Path.cwd() / "rules.yaml"
    if here.is_file() and (Path.cwd() / "seoaudit" / "scenarios").is_dir():
        return here
    from importlib import resources

    return Path(str(resources.files("seoaudit").joinpath("data/rules.yaml")))


@app.command("demo")
def demo_command(
    formats: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="PATH", help=OUTPUT_HELP),
    keep_serving: bool = typer.Option(
        False, "--keep-serving", help="Leave the demo site up after the audit (Ctrl-C stops)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    details: bool = typer.Option(False, "--details", help=DETAILS_HELP),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Serve the demo shop on 127.0.0.1, audit it, and show the report (no network needed)."""
    from seoaudit.gather.progress import plan_printer
    from seoaudit.gather.service import GatherOptions
    from seoaudit.policy import load_policy
    from seoaudit.registry import load_registry
    from seoaudit.scenarios import ScenarioServer, load_scenario
    from seoaudit.service import AuditRun, deliver, emit, gather_and_evaluate

    request = _request(formats, output, "never", None, quiet, None, details)
    policy_path = demo_policy_path()
    policy = load_policy(str(policy_path))
    # The demo shop is a local server we own: a high ceiling keeps the demo quick, and the
    # sample covers every section of the ~60-page shop.
    policy.crawl.max_rps = 1000.0
    policy.crawl.concurrency = 16
    policy.crawl.sample_per_bot = 80
    err = console(stderr=True)
    with ScenarioServer(load_scenario("demo")) as server:
        if not quiet:
            err.print(
                f"demo: the Example Shop is served on {server.url} (127.0.0.1 only); auditing "
                f"it with {policy_path.name} at up to 1000 req/s (a real audit defaults to 5)"
            )
        with _progress(not (quiet or no_progress)) as progress:
            result = gather_and_evaluate(
                AuditRun(
                    policy,
                    load_registry(),
                    GatherOptions(
                        start_url=server.url,
                        private_ok=True,
                        announce=plan_printer(err, quiet),
                    ),
                    policy_path=str(policy_path.name),
                    progress=progress,  # type: ignore[arg-type]
                )
            )
        delivered = deliver(result, request)
        emit(delivered)
        if keep_serving:
            err.print(f"demo: still serving on {server.url}; press Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)
