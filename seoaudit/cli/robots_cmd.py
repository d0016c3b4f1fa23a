"""`seoaudit robots test|lint|diff`: the offline robots.txt commands (no crawl needed).

``robots test`` is often a whole process in a hook or a CI step, so it imports only the
engine and the bot registry, streams its rows, and renders a Rich table only for a person
at a terminal looking at a few rows (issue 18).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import typer

from seoaudit.cli.common import (
    command_app,
    console,
    load_policy_option,
    one_format,
    print_json,
    read_robots_source,
    resolve_policy,
    terminal_safe,
)
from seoaudit.errors import UsageError

if TYPE_CHECKING:
    from seoaudit.robots_txt import RobotsVerdict

T = TypeVar("T")
Check = tuple[str, str, "RobotsVerdict"]  # (URL as given, agent, verdict)

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

robots_app = command_app(
    help="Test, lint and diff robots.txt files exactly as Google reads them.",
    no_args_is_help=True,
)
app.add_typer(robots_app, name="robots")

FORMAT_HELP = "Output format: terminal or json."
TEST_FORMAT_HELP = (
    "terminal (a table for a few rows on a terminal, else one tab-separated row per verdict), "
    "json (one list) or jsonl (one object per line)."
)
ROBOTS_HELP = "robots.txt file path or http(s) URL."
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}
TABLE_MAX_ROWS = 200  # more rows than a screen or two read better as plain lines


def _uses_wildcard(agent: str) -> bool:
    from seoaudit.registry import load_registry

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


def _url_lines(source: str) -> Iterator[str]:
    """URLs or paths, one per line, from a file or ``-`` (stdin); blanks and ``#`` skipped.

    The file is opened here, before any row is written, so a bad path is a clean error."""
    if source == "-":
        return _lines(sys.stdin, close=False)
    try:
        stream = Path(source).open(encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"--urls {source}: cannot read ({exc.strerror})") from None
    return _lines(stream, close=True)


def _lines(stream: TextIO, *, close: bool) -> Iterator[str]:
    try:
        for line in stream:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line
    finally:
        if close:
            stream.close()


@robots_app.command("test")
def robots_test(
    robots: str = typer.Argument(..., metavar="ROBOTS", help=ROBOTS_HELP),
    urls: list[str] | None = typer.Argument(
        None, metavar="[URL]...", help="URLs (or paths) to check."
    ),
    url_file: str | None = typer.Option(
        None,
        "--urls",
        metavar="FILE",
        help="Also check the URLs in FILE, one per line (- for stdin).",
    ),
    agent: list[str] = typer.Option(
        ["googlebot"], "--agent", "-a", metavar="TOKEN", help="Crawler token; repeat for several."
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=TEST_FORMAT_HELP
    ),
) -> None:
    """Verdict per URL and agent, with the deciding line and group."""
    from seoaudit.robots_txt import RobotsTxt

    chosen = one_format(fmt, ("terminal", "json", "jsonl"), "robots test")
    if not urls and url_file is None:
        raise UsageError("robots test needs URLs: as arguments, or --urls FILE (- for stdin)")
    data, label = read_robots_source(robots)
    note = _binary_note(data, label)
    if note:
        typer.echo(note, err=True)
    compiled = RobotsTxt.parse(data)
    agents = [(name, _uses_wildcard(name)) for name in agent]
    given: Iterable[str] = urls or ()
    if url_file is not None:
        given = _chain(given, _url_lines(url_file))
    checks = (
        (url, name, compiled.check(name, url, use_wildcard_group=wildcard))
        for url in given
        for name, wildcard in agents
    )
    out = sys.stdout
    if chosen == "json":
        _write_lines(out, _json_list(checks))
    elif chosen == "jsonl":
        _write_lines(out, (row + "\n" for row in _json_rows(checks)))
    else:
        _write_terminal(out, checks, label)
    out.flush()
    if compiled.truncated:
        sys.stderr.write(
            f"note: {label} is {compiled.size:,} bytes; Google ignores everything after 500 KiB "
            f"({len(compiled.lost_rules)} rule line(s) lost).\n"
        )


def _chain(*parts: Iterable[T]) -> Iterator[T]:
    for part in parts:
        yield from part


def _row(url: str, agent: str, verdict: RobotsVerdict) -> dict[str, Any]:
    return {
        "url": url,
        "agent": agent,
        "allowed": verdict.allowed,
        "line": verdict.line,
        "rule": verdict.rule,
        "group": list(verdict.group),
    }


def _json_rows(checks: Iterable[Check]) -> Iterator[str]:
    """``_row`` as JSON, fast: the verdict part is encoded once per deciding rule (verdicts
    are shared objects), the URL with the C string encoder."""
    encode = json.encoder.encode_basestring  # type: ignore[attr-defined]
    tails: dict[int, str] = {}
    for url, agent, verdict in checks:
        tail = tails.get(id(verdict))
        if tail is None:
            tail = tails[id(verdict)] = json.dumps(_row("", "", verdict), ensure_ascii=False)[
                len('{"url": "", "agent": ""') :
            ]
        yield '{"url": ' + encode(url) + ', "agent": ' + encode(agent) + tail


def _json_list(checks: Iterable[Check]) -> Iterator[str]:
    """One JSON list, one row a line: valid JSON, and streamed."""
    sep = "[\n"
    for row in _json_rows(checks):
        yield sep + row
        sep = ",\n"
    yield "[]\n" if sep == "[\n" else "\n]\n"


def _write_lines(out: TextIO, lines: Iterable[str], batch: int = 512) -> None:
    """Write in batches: one write call per row costs more than the check itself."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= batch:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))


def _plain_rows(checks: Iterable[Check]) -> Iterator[str]:
    """verdict, agent, URL, line, deciding rule, group: tab-separated, one check a line."""
    tails: dict[int, str] = {}
    for url, agent, verdict in checks:
        tail = tails.get(id(verdict))
        if tail is None:
            tail = tails[id(verdict)] = terminal_safe(
                f"{verdict.line or '-'}\t{verdict.rule or '(no rule applies)'}\t"
                f"{', '.join(verdict.group) or '-'}"
            )
        word = "allowed" if verdict.allowed else "DISALLOWED"
        yield f"{word}\t{terminal_safe(agent)}\t{terminal_safe(url)}\t{tail}\n"


def _write_terminal(out: TextIO, checks: Iterable[Check], label: str) -> None:
    if out.isatty():
        first: list[Check] = []
        for check in checks:
            first.append(check)
            if len(first) > TABLE_MAX_ROWS:
                break
        if len(first) <= TABLE_MAX_ROWS:
            _print_table([_row(*check) for check in first], label)
            return
        checks = _chain(first, checks)
    _write_lines(out, _plain_rows(checks))


def _print_table(rows: list[dict], label: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"robots.txt verdicts: {terminal_safe(label)}", title_justify="left")
    for column in ("URL", "agent", "verdict", "line", "deciding rule", "group"):
        table.add_column(column, overflow="fold")
    for row in rows:
        verdict = Text("allowed", style="green") if row["allowed"] else Text("DISALLOWED", "red")
        table.add_row(
            Text(terminal_safe(row["url"])),
            Text(terminal_safe(row["agent"])),
            verdict,
            str(row["line"] or "-"),
            Text(terminal_safe(row["rule"] or "(no rule applies)")),
            Text(terminal_safe(", ".join(row["group"]) or "-")),
        )
    console().print(table)


@robots_app.command("lint")
def robots_lint(
    robots: list[str] = typer.Argument(..., metavar="ROBOTS...", help=ROBOTS_HELP),
    policy: str | None = typer.Option(
        None,
        "--policy",
        "-p",
        metavar="PATH",
        help="The policy: also flag rules that block required bots (default: rules.yaml or "
        "seoaudit.yaml here or at the git root).",
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
) -> None:
    """Syntax and semantic problems; exits 1 when there are errors."""
    from seoaudit.registry import load_registry
    from seoaudit.robots_txt.lint import lint_robots

    chosen = one_format(fmt, ("terminal", "json"), "robots lint")
    policy = resolve_policy(policy)
    pol = load_policy_option(policy) if policy else None
    required = []
    if pol is not None:
        registry = load_registry()
        for bot_id in pol.bots.required:
            bot = registry.resolve(bot_id, pol.bots.custom)
            token = bot.token if bot else bot_id
            required.append((token, not (bot and bot.ignores_wildcard_group)))
    reports = []
    for source in robots:
        data, label = read_robots_source(source)
        issues = lint_robots(
            data, required_bots=required, must_index=pol.paths.must_index if pol else None
        )
        reports.append((label, issues))
    errors = sum(1 for _, issues in reports for i in issues if i.severity == "error")
    if chosen == "json":
        files = [
            {
                "file": label,
                "issues": [i.as_dict() for i in issues],
                "errors": sum(1 for i in issues if i.severity == "error"),
            }
            for label, issues in reports
        ]
        print_json(files[0] if len(files) == 1 else {"files": files, "errors": errors})
    else:
        for label, issues in reports:
            _print_lint(label, issues)
    if errors:
        raise typer.Exit(1)


def _print_lint(label: str, issues: list) -> None:  # type: ignore[type-arg]
    from rich.text import Text

    out = console()
    if not issues:
        out.print(Text(f"{terminal_safe(label)}: no problems found"))
    for issue in issues:
        where = f"{label}:{issue.line}" if issue.line else label
        style = {"error": "red", "warning": "yellow"}.get(issue.severity, "cyan")
        line = Text(f"{terminal_safe(where)}: ")
        line.append(issue.severity, style=style)
        line.append(terminal_safe(f" [{issue.code}] {issue.message}"))
        out.print(line)
    if issues:
        counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_RANK}
        out.print(
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
        )


def _read_url_list(source: str) -> list[str]:
    """A URL list file (one per line, paths allowed), ``-`` for stdin, or a sitemap XML."""
    if source == "-":
        data = sys.stdin.buffer.read()
        path = Path("stdin")
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"--urls {source}: cannot read ({exc.strerror})") from None
    head = data.lstrip()[:1]
    if head == b"<" or data[:2] == b"\x1f\x8b":
        from seoaudit.gather.sitemaps import parse_sitemap

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


def _committed(rev: str, file: str) -> tuple[bytes, str]:
    """The file as committed at ``rev`` (git), or empty (allow-all) when it is new there."""
    import subprocess

    path = Path(file).resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise UsageError(f"--against {rev}: {file} is not in a git repository") from None
    relative = path.relative_to(Path(top).resolve()).as_posix()
    shown = subprocess.run(
        ["git", "-C", top, "show", f"{rev}:{relative}"], capture_output=True, check=False
    )
    if shown.returncode != 0:
        probe = subprocess.run(
            ["git", "-C", top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            raise UsageError(f"--against {rev}: no such commit in {top}")
        return b"", f"{rev}:{relative} (new file)"
    return shown.stdout, f"{rev}:{relative}"


@robots_app.command("diff")
def robots_diff(
    files: list[str] = typer.Argument(
        ...,
        metavar="OLD NEW | FILE...",
        help="The current and the proposed robots.txt (paths or URLs); with --against, the "
        "changed files themselves.",
    ),
    urls: str = typer.Option(
        ...,
        "--urls",
        metavar="FILE",
        help="URL list (one per line; paths allowed; - for stdin) or a sitemap XML file.",
    ),
    against: str | None = typer.Option(
        None,
        "--against",
        metavar="REV",
        help="Compare each FILE with its committed version at REV (git), e.g. HEAD in a "
        "pre-commit hook or origin/main in CI; a file new at REV is compared with no robots.txt.",
    ),
    policy: str | None = typer.Option(
        None,
        "--policy",
        "-p",
        metavar="PATH",
        help="The policy's bots and paths (default: rules.yaml or seoaudit.yaml here or at the "
        "git root).",
    ),
    agent: list[str] = typer.Option(
        [], "--agent", "-a", metavar="TOKEN", help="Bots to compare (default: the policy's bots)."
    ),
    fail_on: str = typer.Option(
        "error",
        "--fail-on",
        metavar="SEVERITY",
        help="Exit 1 on flips at or above this severity: error, warning, info or never.",
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help=FORMAT_HELP
    ),
) -> None:
    """Which URLs change verdict for which bots, and which flips break the policy."""
    from seoaudit.registry import load_registry
    from seoaudit.robots_txt.diff import DiffBot, diff_robots

    chosen = one_format(fmt, ("terminal", "json"), "robots diff")
    if fail_on not in ("error", "warning", "info", "never"):
        raise UsageError(f"--fail-on must be error, warning, info or never, not {fail_on!r}")
    if against is None and len(files) != 2:
        raise UsageError(
            "robots diff takes OLD NEW, or --against REV FILE... (e.g. --against HEAD robots.txt)"
        )
    pol = load_policy_option(resolve_policy(policy))
    if against is None:
        pairs = [(read_robots_source(files[0]), read_robots_source(files[1]))]
    else:
        pairs = [(_committed(against, f), read_robots_source(f)) for f in files]
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
    threshold = SEVERITY_RANK.get(fail_on, 99)
    reports = []
    for (old_data, old_label), (new_data, new_label) in pairs:
        flips = diff_robots(old_data, new_data, url_list, bots, must_index=pol.paths.must_index)
        gating = [f for f in flips if SEVERITY_RANK[f.severity] >= threshold]
        reports.append((old_label, new_label, flips, bool(gating)))
    failed = any(r[3] for r in reports)
    if chosen == "json":
        documents = [
            {
                "old": old_label,
                "new": new_label,
                "urls": len(url_list),
                "bots": [b.id for b in bots],
                "flips": [f.as_dict() for f in flips],
                "gate": {"fail_on": fail_on, "failed": gated},
            }
            for old_label, new_label, flips, gated in reports
        ]
        print_json(documents[0] if len(documents) == 1 else documents)
    else:
        for old_label, new_label, flips, gated in reports:
            _print_diff(old_label, new_label, url_list, bots, flips, fail_on, gated)
    if failed:
        raise typer.Exit(1)


def _print_diff(old_label, new_label, url_list, bots, flips, fail_on, failed) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    out = console()
    out.print(
        Text(
            terminal_safe(
                f"robots.txt diff: {old_label} → {new_label} "
                f"({len(url_list)} URLs × {len(bots)} bots)"
            )
        )
    )
    if not flips:
        out.print("No verdict changes.")
    else:
        table = Table(expand=False)
        for column in ("severity", "bot", "URL", "before", "after", "why"):
            table.add_column(column, overflow="fold")
        for flip in flips:

            def verdict(v) -> Text:  # type: ignore[no-untyped-def]
                word = "allowed" if v.allowed else "disallowed"
                return Text(terminal_safe(word + (f" (line {v.line}: {v.rule})" if v.line else "")))

            style = {"error": "red", "warning": "yellow"}.get(flip.severity, "cyan")
            label = flip.severity + (f" {flip.rule}" if flip.rule else "")
            table.add_row(
                Text(label, style=style),
                Text(terminal_safe(flip.bot)),
                Text(terminal_safe(flip.url)),
                verdict(flip.before),
                verdict(flip.after),
                Text(terminal_safe(flip.reason)),
            )
        out.print(table)
    out.print(f"gate (--fail-on {fail_on}): {'FAILED' if failed else 'passed'}")
