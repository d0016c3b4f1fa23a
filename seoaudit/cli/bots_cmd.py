"""`seoaudit bots`: the shipped crawler registry."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from seoaudit.cli.common import command_app, console, one_format, print_json
from seoaudit.errors import UsageError
from seoaudit.registry import PURPOSES, load_registry

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

bots_app = command_app(help="The crawler registry seoaudit ships.", invoke_without_command=True)
app.add_typer(bots_app, name="bots")


@bots_app.callback()
def bots_list(
    ctx: typer.Context,
    purpose: str | None = typer.Option(
        None, "--purpose", metavar="PURPOSE", help="Only this purpose: " + ", ".join(PURPOSES) + "."
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help="Output format: terminal or json."
    ),
) -> None:
    """List known crawlers: operator, purpose, robots.txt behaviour, verification."""
    if ctx.invoked_subcommand is not None:
        return
    if purpose and purpose not in PURPOSES:
        raise UsageError(f"--purpose must be one of {', '.join(PURPOSES)}")
    fmt = one_format(fmt, ("terminal", "json"), "bots")  # type: ignore[assignment]
    bots = [b for b in load_registry().all() if purpose in (None, b.purpose)]
    if fmt == "json":
        print_json(
            [
                {
                    "id": b.id,
                    "token": b.token,
                    "operator": b.operator,
                    "purpose": b.purpose,
                    "honors_robots": b.honors_robots,
                    "ignores_wildcard_group": b.ignores_wildcard_group,
                    "control_token_only": b.control_token_only,
                    "user_agent": b.user_agent,
                    "verify": {
                        "rdns_suffixes": list(b.verify.rdns_suffixes),
                        "ip_ranges_url": b.verify.ip_ranges_url,
                    },
                    "confidence": b.confidence,
                    "source": b.source,
                }
                for b in bots
            ]
        )
        return
    table = Table(title=f"{len(bots)} crawlers", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("operator", "purpose", "robots.txt", "ignores *", "verify"):
        table.add_column(column, overflow="fold")
    for b in bots:
        honours = {True: "obeys", False: "ignores", None: "unknown"}[b.honors_robots]
        how = []
        if b.verify.ip_ranges_url:
            how.append("IP ranges")
        if b.verify.rdns_suffixes:
            how.append("rDNS " + "/".join(b.verify.rdns_suffixes))
        table.add_row(
            Text(b.token),
            Text(b.operator),
            b.purpose,
            honours + (" (token only)" if b.control_token_only else ""),
            "yes" if b.ignores_wildcard_group else "",
            Text(", ".join(how) or "none published"),
        )
    console().print(table)


@bots_app.command("update-ranges")
def update_ranges(
    source: list[str] | None = typer.Option(
        None,
        "--url",
        metavar="URL",
        help="Fetch this list (repeatable) instead of the registry's ip_ranges_url values.",
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="PATH",
        help="Where to write (default ~/.cache/seoaudit/ip_ranges.json).",
    ),
) -> None:
    """Refresh the crawler IP ranges from the operators' own lists (online)."""
    import datetime as dt
    import json
    from pathlib import Path

    import httpx

    from seoaudit.atomic import write_atomic
    from seoaudit.logs.verify import USER_RANGES

    urls = source or sorted(
        {b.verify.ip_ranges_url for b in load_registry().all() if b.verify.ip_ranges_url}
    )
    lists: dict[str, dict[str, object]] = {}
    failed: list[str] = []
    with httpx.Client(follow_redirects=True, timeout=20, max_redirects=5) as client:
        for url in urls:
            try:
                response = client.get(url, headers={"User-Agent": "seoaudit update-ranges"})
                response.raise_for_status()
                data = response.json()
                prefixes = [p for p in data.get("prefixes", []) if isinstance(p, dict)]
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                failed.append(f"{url}: {exc}")
                continue
            lists[url] = {
                "creationTime": data.get("creationTime", ""),
                "obtained": dt.date.today().isoformat(),
                "prefixes": prefixes,
            }
    if not lists:
        raise UsageError("no IP range list could be fetched:\n  " + "\n  ".join(failed))
    target = Path(output) if output else USER_RANGES
    write_atomic(
        target,
        json.dumps({"about": "refreshed by seoaudit bots update-ranges", "lists": lists}, indent=1),
    )
    out = console()
    out.print(
        f"wrote {sum(len(v['prefixes']) for v in lists.values())} prefixes from {len(lists)} lists to {target}"
    )  # type: ignore[arg-type]
    for problem in failed:
        out.print(Text(f"skipped {problem}", style="yellow"))


@bots_app.command("ranges")
def ranges(
    bots: list[str] | None = typer.Argument(
        None, metavar="[BOT]...", help="Bot ids (default: every bot whose ranges are available)."
    ),
    fmt: str = typer.Option(
        "list",
        "--format",
        "-f",
        metavar="FORMAT",
        help="list (one CIDR a line: ModSecurity, IP lists) or nginx.",
    ),
) -> None:
    """Print crawlers' published IP ranges for a server config (the fixes' nginx geo include).

    Offline from the shipped snapshot (15 operators' lists) and any lists refreshed by
    `seoaudit bots update-ranges`.
    """
    from seoaudit.logs.verify import load_ip_ranges

    if fmt not in ("list", "nginx"):
        raise UsageError(f"--format must be list or nginx, not {fmt!r}")
    registry = load_registry()
    wanted = [registry.get(b) for b in bots] if bots else list(registry.all())
    unknown = [b for b, bot in zip(bots or [], wanted, strict=False) if bot is None]
    if unknown:
        raise UsageError(f"unknown bot(s): {', '.join(unknown)} (list them: seoaudit bots)")
    table = load_ip_ranges()
    lines: list[str] = []
    seen: set[str] = set()
    missing: list[str] = []
    for bot in wanted:
        assert bot is not None
        url = bot.verify.ip_ranges_url
        networks = table.networks.get(url, []) if url else []
        if not networks:
            if bots:
                missing.append(bot.id)
            continue
        fresh = [str(n) for n in networks if str(n) not in seen]
        if fresh and fmt == "nginx":
            lines.append(f"# {bot.id}: {url}")
        for key in fresh:
            seen.add(key)
            lines.append(f"{key} 1;" if fmt == "nginx" else key)
    for bot_id in missing:
        typer.echo(
            f"seoaudit: note: no ranges for {bot_id} in the {table.source}; "
            "run `seoaudit bots update-ranges` (online) first",
            err=True,
        )
    if not seen:
        raise UsageError("no IP ranges available for these bots: run `seoaudit bots update-ranges`")
    typer.echo("\n".join(lines))
