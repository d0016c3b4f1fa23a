"""`seoaudit gather URL -o snapshot.json`: collect the facts only, judge nothing.

The snapshot can be judged later, offline and as often as needed, with
`seoaudit evaluate snapshot.json --policy rules.yaml`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from seoaudit.atomic import write_atomic_stream
from seoaudit.cli.common import (
    QUIET_HELP,
    command_app,
    console,
    load_policy_option,
    parse_headers,
    resolve_policy,
)
from seoaudit.errors import AuditIncomplete

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it


@app.command("gather")
def gather_command(
    url: str | None = typer.Argument(
        None, metavar="[URL]", help="Start URL (default: site.start in the policy)."
    ),
    policy: str | None = typer.Option(
        None,
        "--policy",
        "-p",
        metavar="PATH",
        help="The policy (default: rules.yaml or seoaudit.yaml here or at the git root).",
    ),
    output: Path = typer.Option(
        Path("snapshot.json"), "--output", "-o", metavar="PATH", help="Snapshot file to write."
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
        False, "--probe-rate", help="Run the active rate probe (opt-in; capped)."
    ),
    store: Path | None = typer.Option(
        None,
        "--store",
        metavar="PATH",
        help="Snapshot store (SQLite) written as the gather goes (default: OUTPUT.store; "
        "removed once the snapshot is complete unless given).",
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue the stopped gather in the store, never fetching again what it has.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Gather robots.txt, sitemaps, pages and per-bot probes into a snapshot (JSON)."""
    from seoaudit.gather.progress import GatherProgress, plan_printer, wants_progress
    from seoaudit.gather.service import GatherOptions, gather
    from seoaudit.registry import load_registry
    from seoaudit.store import discard_store

    policy = resolve_policy(policy)
    loaded = load_policy_option(policy)
    store_path = store if store is not None else output.with_name(output.name + ".store")
    options = GatherOptions(
        start_url=url,
        max_pages=max_pages,
        concurrency=concurrency,
        max_rps=max_rps,
        probe_rate=probe_rate,
        extra_headers=parse_headers(header),
        verify_tls=not insecure,
        store_path=store_path,
        resume=resume,
        announce=plan_printer(console(stderr=True), quiet),
    )
    if wants_progress(quiet):
        with GatherProgress(console(stderr=True)) as progress:
            snapshot = gather(
                loaded, load_registry(), options, progress=progress, policy_path=policy
            )
    else:
        snapshot = gather(loaded, load_registry(), options, policy_path=policy)
    write_atomic_stream(output, snapshot.write_json)
    # the one-line outcome, quiet or not (-q means the same in every command)
    console(stderr=True).print(
        f"wrote {output}: {len(snapshot.exchanges)} requests, {snapshot.page_url_count()} pages, "
        f"{len(snapshot.profiles)} profiles"
        + (
            ""
            if snapshot.complete
            else f" — INCOMPLETE: {snapshot.incomplete_reason}; {store_path} is kept: "
            "run the same command with --resume to continue"
        )
    )
    if not snapshot.complete:
        raise AuditIncomplete(f"snapshot incomplete: {snapshot.incomplete_reason}")
    if store is None:
        discard_store(store_path, snapshot)
