"""`seoaudit bots`: the shipped crawler registry."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from seoaudit.cli.common import console, print_json
from seoaudit.cli.main import app
from seoaudit.errors import UsageError
from seoaudit.registry import PURPOSES, load_registry

bots_app = typer.Typer(help="The crawler registry seoaudit ships.", invoke_without_command=True)
app.add_typer(bots_app, name="bots")


@bots_app.callback()
def bots_list(
    ctx: typer.Context,
    purpose: str | None = typer.Option(None, "--purpose", help=", ".join(PURPOSES)),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
) -> None:
    """List known crawlers: operator, purpose, robots.txt behaviour, verification."""
    if ctx.invoked_subcommand is not None:
        return
    if purpose and purpose not in PURPOSES:
        raise UsageError(f"--purpose must be one of {', '.join(PURPOSES)}")
    if fmt not in ("terminal", "json"):
        raise UsageError(f"--format must be terminal or json, not {fmt!r}")
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
