"""`seoaudit robots test|lint|diff`: the offline robots.txt commands (no crawl needed)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from seoaudit.analysis.robots_txt import RobotsTxt
from seoaudit.analysis.robots_txt.diff import DiffBot, diff_robots
from seoaudit.analysis.robots_txt.lint import lint_robots
from seoaudit.cli.common import console, load_policy_option, print_json, read_robots_source
from seoaudit.cli.main import app
from seoaudit.errors import UsageError
from seoaudit.registry import load_registry
from seoaudit.report.terminal import clean

robots_app = typer.Typer(
    help="Test, lint and diff robots.txt files exactly as Google reads them.",
    no_args_is_help=True,
)
app.add_typer(robots_app, name="robots")

FORMAT_HELP = "Output format: terminal or json."
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}


def _check_format(fmt: str) -> str:
    if fmt not in ("terminal", "json"):
        raise UsageError(f"--format must be terminal or json, not {fmt!r}")
    return fmt


def _uses_wildcard(agent: str) -> bool:
    bot = load_registry().get(agent)
    return not (bot and bot.ignores_wildcard_group)


def _binary_note(data: bytes, label: str) -> str | None:
    """A file that is not text (an image, an archive) would silently read as "no rules"."""
    sample = data[:8192]
    if not sample:
        return None
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if b"\x00" in sample or (controls > 16 and controls > len(sample) // 20):
        return (
            f"warning: {label} does not look like a robots.txt (binary content); Google would "
            "find no rules in it and allow everything, which is what the verdicts below say"
        )
    return None


def _absolute(url: str) -> str:
    return (
        url
        if "://" in url or url.startswith("//")
        else "https://example.com" + (url if url.startswith("/") else "/" + url)
    )


@robots_app.command("test")
def robots_test(
    robots: str = typer.Argument(..., help="robots.txt file path or URL."),
    urls: list[str] = typer.Argument(..., help="URLs (or paths) to check."),
    agent: list[str] = typer.Option(
        ["googlebot"], "--agent", "-a", help="Crawler token; repeat for several."
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Verdict per URL and agent, with the deciding line and group."""
    _check_format(fmt)
    data, label = read_robots_source(robots)
    note = _binary_note(data, label)
    if note:
        typer.echo(note, err=True)
    compiled = RobotsTxt.parse(data)
    rows = []
    for name in agent:
        wildcard = _uses_wildcard(name)
        for url in urls:
            verdict = compiled.check(name, url, use_wildcard_group=wildcard)
            rows.append(
                {
                    "url": url,
                    "agent": name,
                    "allowed": verdict.allowed,
                    "line": verdict.line,
                    "rule": verdict.rule,
                    "group": list(verdict.group),
                }
            )
    if fmt == "json":
        print_json(rows)
        return
    out = console()
    table = Table(title=f"robots.txt verdicts: {label}", title_justify="left", expand=False)
    for column in ("URL", "agent", "verdict", "line", "deciding rule", "group"):
        table.add_column(column, overflow="fold")
    for row in rows:
        verdict = Text("allowed", style="green") if row["allowed"] else Text("DISALLOWED", "red")
        table.add_row(
            Text(clean(row["url"])),
            Text(clean(row["agent"])),
            verdict,
            str(row["line"] or "-"),
            Text(clean(row["rule"] or "(no rule applies)")),
            Text(clean(", ".join(row["group"])) or "-"),
        )
    out.print(table)
    if compiled.truncated:
        out.print(
            f"note: the file is {compiled.size:,} bytes; Google ignores everything after 500 KiB "
            f"({len(compiled.lost_rules)} rule line(s) lost)."
        )


@robots_app.command("lint")
def robots_lint(
    robots: str = typer.Argument(..., help="robots.txt file path or URL."),
    policy: str | None = typer.Option(
        None, "--policy", "-p", help="rules.yaml: also flag rules that block required bots."
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Syntax and semantic problems; exits 1 when there are errors."""
    _check_format(fmt)
    pol = load_policy_option(policy) if policy else None
    data, label = read_robots_source(robots)
    note = _binary_note(data, label)
    if note:
        typer.echo(note, err=True)
    registry = load_registry()
    required = []
    if pol is not None:
        for bot_id in pol.bots.required:
            bot = registry.resolve(bot_id, pol.bots.custom)
            token = bot.token if bot else bot_id
            required.append((token, not (bot and bot.ignores_wildcard_group)))
    issues = lint_robots(
        data, required_bots=required, must_index=pol.paths.must_index if pol else None
    )
    errors = sum(1 for i in issues if i.severity == "error")
    if fmt == "json":
        print_json({"file": label, "issues": [i.as_dict() for i in issues], "errors": errors})
    else:
        out = console()
        if not issues:
            out.print(f"{label}: no problems found")
        for issue in issues:
            where = f"{label}:{issue.line}" if issue.line else label
            style = {"error": "red", "warning": "yellow"}.get(issue.severity, "cyan")
            line = Text(clean(f"{where}: "))
            line.append(issue.severity, style=style)
            line.append(clean(f" [{issue.code}] {issue.message}"))
            out.print(line)
        if issues:
            counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_RANK}
            out.print(
                f"{counts['error']} error(s), {counts['warning']} warning(s), "
                f"{counts['info']} note(s)"
            )
    if errors:
        raise typer.Exit(1)


def _read_url_list(source: str) -> list[str]:
    from seoaudit.gather.sitemaps import parse_sitemap

    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--urls {source}: cannot read ({exc.strerror})") from None
    head = data.lstrip()[:1]
    if head == b"<" or data[:2] == b"\x1f\x8b":
        parsed = parse_sitemap(data, url=path.resolve().as_uri())
        if parsed.kind == "invalid":
            raise UsageError(f"--urls {source}: not a usable sitemap ({parsed.error})")
        if not parsed.urls:
            raise UsageError(f"--urls {source}: the sitemap lists no URLs")
        return [_absolute(u) for u in parsed.urls]
    urls = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(_absolute(line))
    if not urls:
        raise UsageError(f"--urls {source}: no URLs in the file (one URL or path per line)")
    return urls


@robots_app.command("diff")
def robots_diff(
    old: str = typer.Argument(..., help="The current robots.txt (path or URL)."),
    new: str = typer.Argument(..., help="The proposed robots.txt (path or URL)."),
    urls: str = typer.Option(
        ..., "--urls", help="URL list (one per line; paths allowed) or a sitemap XML file."
    ),
    policy: str | None = typer.Option(None, "--policy", "-p", help="rules.yaml (bots, paths)."),
    agent: list[str] = typer.Option(
        [], "--agent", "-a", help="Bots to compare (default: the policy's bots)."
    ),
    fail_on: str = typer.Option("error", "--fail-on", help="error, warning, info or never."),
    fmt: str = typer.Option("terminal", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Which URLs change verdict for which bots, and which flips break the policy."""
    _check_format(fmt)
    if fail_on not in ("error", "warning", "info", "never"):
        raise UsageError(f"--fail-on must be error, warning, info or never, not {fail_on!r}")
    pol = load_policy_option(policy)
    old_data, old_label = read_robots_source(old)
    new_data, new_label = read_robots_source(new)
    url_list = _read_url_list(urls)
    registry = load_registry()
    bots = []
    for bot_id in agent or pol.bots.all_ids():
        bot = registry.resolve(bot_id, pol.bots.custom)
        bots.append(
            DiffBot(
                id=bot_id.lower(),
                token=bot.token if bot else bot_id,
                role=pol.bots.role(bot_id.lower()),
                use_wildcard_group=not (bot and bot.ignores_wildcard_group),
            )
        )
    flips = diff_robots(old_data, new_data, url_list, bots, must_index=pol.paths.must_index)
    threshold = SEVERITY_RANK.get(fail_on, 99)
    gating = [f for f in flips if SEVERITY_RANK[f.severity] >= threshold]
    if fmt == "json":
        print_json(
            {
                "old": old_label,
                "new": new_label,
                "urls": len(url_list),
                "bots": [b.id for b in bots],
                "flips": [f.as_dict() for f in flips],
                "gate": {"fail_on": fail_on, "failed": bool(gating)},
            }
        )
    else:
        _print_diff(old_label, new_label, url_list, bots, flips, fail_on, bool(gating))
    if gating:
        raise typer.Exit(1)


def _print_diff(old_label, new_label, url_list, bots, flips, fail_on, failed) -> None:
    out = console()
    out.print(
        Text(
            f"robots.txt diff: {old_label} → {new_label} ({len(url_list)} URLs × {len(bots)} bots)"
        )
    )
    if not flips:
        out.print("No verdict changes.")
    else:
        table = Table(expand=False)
        for column in ("severity", "bot", "URL", "before", "after", "why"):
            table.add_column(column, overflow="fold")
        for flip in flips:

            def verdict(v) -> Text:
                word = "allowed" if v.allowed else "disallowed"
                return Text(clean(f"{word}" + (f" (line {v.line}: {v.rule})" if v.line else "")))

            style = {"error": "red", "warning": "yellow"}.get(flip.severity, "cyan")
            label = flip.severity + (f" {flip.rule}" if flip.rule else "")
            table.add_row(
                Text(label, style=style),
                Text(clean(flip.bot)),
                Text(clean(flip.url)),
                verdict(flip.before),
                verdict(flip.after),
                Text(clean(flip.reason)),
            )
        out.print(table)
    out.print(f"gate (--fail-on {fail_on}): {'FAILED' if failed else 'passed'}")
