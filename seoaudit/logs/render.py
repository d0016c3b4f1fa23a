"""The log report in the terminal (Rich) and as an SVG timeline for HTML."""

from __future__ import annotations

from html import escape
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from seoaudit.report.terminal import clean

SPARK = " ▁▂▃▄▅▆▇█"
COLUMNS = 60


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def bucketed(minutes: dict[str, int], start: int, end: int, columns: int = COLUMNS) -> list[int]:
    width = max(1, (end - start + columns) // columns)
    buckets = [0] * columns
    for minute, count in minutes.items():
        index = min(columns - 1, (int(minute) - start) // width)
        buckets[index] += count
    return buckets


def timeline(report: dict[str, Any]) -> tuple[list[int], list[int]]:
    minutes = report["timeline"]["minutes"]
    errors = report["timeline"]["error_minutes"]
    if not minutes:
        return [], []
    start, end = min(map(int, minutes)), max(map(int, minutes))
    return bucketed(minutes, start, end), bucketed(errors, start, end)


def render_terminal(report: dict[str, Any], findings: list[Any]) -> RenderableType:
    parts: list[RenderableType] = []
    window = report["window"]
    share = report["crawler_share"]
    head = Text()
    head.append("Server-log proof\n", style="bold")
    head.append(
        f"{report['requests']:,} requests in {len(report['files'])} file(s), "
        f"{window['start']} to {window['end']}; {report['malformed']['count']:,} malformed lines\n"
    )
    if engine := report.get("engine"):
        head.append(
            f"Read {engine['lines']:,} lines in {engine['seconds']:.1f} s with the "
            f"{engine['name']} engine ({engine['why']}).\n",
            style="dim",
        )
    head.append(
        f"Crawlers are {share['requests']:.1%} of requests and {share['bytes']:.1%} of bytes "
        f"(verified crawlers {share['verified_requests']:.1%} of requests).",
        style="bold",
    )
    parts.append(head)
    table = Table(title="Per bot and verdict", title_justify="left")
    for name in ("bot", "verdict", "requests", "share", "bytes", "peak/min", "statuses"):
        table.add_column(
            name, justify="right" if name not in ("bot", "verdict", "statuses") else "left"
        )
    for row in report["bots"][:25]:
        table.add_row(
            clean(row["bot"]),
            row["verdict"] or "-",
            f"{row['requests']:,}",
            f"{row['share_requests']:.1%}",
            _mb(row["bytes"]),
            str(row["peak_rpm"]),
            " ".join(f"{s}:{n}" for s, n in list(row["statuses"].items())[:6]),
        )
    parts.append(table)
    if findings:
        conflicts = Text("\nConfirmed conflicts (verified crawlers refused)\n", style="bold red")
        for finding in findings:
            conflicts.append(f"  {finding.rule} {finding.severity.upper()} ", style="red")
            conflicts.append(clean(finding.message) + "\n")
            for ev in finding.evidence[:3]:
                data = ev.model_dump()
                conflicts.append(
                    f"      {data.get('time')}  {data.get('status')}  {clean(str(data.get('url')))}\n"
                )
            conflicts.append(f"    fix: {clean(finding.fix.summary)}\n", style="green")
        parts.append(conflicts)
    else:
        parts.append(Text("\nNo verified crawler was refused in this log window.", style="green"))
    for spoof in report["spoofed"]:
        parts.append(
            Text(
                f"Spoofed {spoof['bot']}: {spoof['requests']:,} requests, {spoof['refused']:,} refused, "
                f"{spoof['served']:,} served"
                + (" — protection working." if spoof["refused"] and not spoof["served"] else "."),
                style="yellow",
            )
        )
    for gap in report["must_index_unvisited"]:
        parts.append(
            Text(
                f"Not visited by verified {', '.join(gap['missing_bots'])}: must-index {gap['pattern']}"
            )
        )
    robots = [
        (b["bot"], b["robots_txt_statuses"])
        for b in report["bots"]
        if b["verdict"] == "verified" and b["robots_txt_statuses"]
    ]
    for bot, statuses in robots:
        parts.append(Text(f"robots.txt served to verified {bot}: {statuses}"))
    requests, errors = timeline(report)
    if requests:
        peak = max(requests) or 1
        line = Text("\nCrawler requests ")
        line.append("".join(SPARK[round(n / peak * 8)] for n in requests), style="cyan")
        line.append("\nError statuses   ")
        line.append("".join(SPARK[round(n / peak * 8)] if n else " " for n in errors), style="red")
        parts.append(line)
    return Group(*parts)  # fmt: skip


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"/>'


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"/>'


def timeline_svg(report: dict[str, Any], width: int = 600, height: int = 120) -> str:
    """Crawler requests (bars) and error statuses (red) over the log window."""
    requests, errors = timeline(report)
    if not requests:
        return ""
    peak = max(requests) or 1
    bar = width / len(requests)
    shapes = []
    for i, (n, e) in enumerate(zip(requests, errors, strict=True)):
        h = n / peak * (height - 20)
        eh = e / peak * (height - 20)
        x = i * bar
        shapes.append(_rect(x, height - 10 - h, bar * 0.9, h, "#4a7bd0"))
        if e:
            shapes.append(_rect(x, height - 10 - eh, bar * 0.9, eh, "#c0392b"))
    label = escape(f"{report['window']['start']} to {report['window']['end']}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>Crawler requests and error statuses, {label}</title>'
        + "".join(shapes)
        + "</svg>"
    )  # fmt: skip


def _esc(value: object) -> str:
    from seoaudit.report.html import e

    return e(value)


def html_section(report: dict[str, Any]) -> str:
    """The log proof as an HTML <section> (used by the audit's HTML report and `logs -f html`)."""
    share = report["crawler_share"]
    rows = "".join(
        f"<tr><td>{_esc(b['bot'])}</td><td>{_esc(b['verdict'] or '-')}</td><td>{b['requests']:,}</td>"
        f"<td>{b['share_requests']:.1%}</td><td>{_mb(b['bytes'])}</td><td>{b['peak_rpm']}</td>"
        f"<td>{_esc(' '.join(f'{s}:{n}' for s, n in b['statuses'].items()))}</td></tr>"
        for b in report["bots"][:25]
    )
    conflicts = (
        "".join(
            f"<li class='bad'>verified {_esc(c['bot'])}: {c['count']:,}× {_esc(c['kind'].replace('_', ' '))} "
            f"({_esc(', '.join(f'{n}× {s}' for s, n in c['statuses'].items()))}), e.g. "
            f"<code>{_esc(c['samples'][0]['url'] if c['samples'] else '')}</code> at {_esc(c['first'])}</li>"
            for c in report["conflicts"]
        )
        or "<li class='good'>No verified crawler was refused in this log window.</li>"
    )
    spoofed = "".join(
        f"<li>spoofed {_esc(s['bot'])}: {s['requests']:,} requests, {s['refused']:,} refused, "
        f"{s['served']:,} served{' (protection working)' if s['refused'] and not s['served'] else ''}</li>"
        for s in report["spoofed"]
    )
    window = report["window"]
    return (
        "<section id='logs'><h2>Server-log proof</h2>"
        f"<p>{report['requests']:,} requests, {_esc(window['start'])} to {_esc(window['end'])}. "
        f"Crawlers are <b>{share['requests']:.1%}</b> of requests and <b>{share['bytes']:.1%}</b> of "
        f"bytes (verified crawlers {share['verified_requests']:.1%}).</p>"
        f"{timeline_svg(report)}<p class='muted'>Blue: crawler requests over the log window; "
        f"red: error statuses among them.</p><ul>{conflicts}{spoofed}</ul>"
        "<table><thead><tr><th>bot</th><th>verdict</th><th>requests</th><th>share</th><th>bytes</th>"
        f"<th>peak/min</th><th>statuses</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def markdown_section(report: dict[str, Any]) -> str:
    from seoaudit.report.markdown import md

    share = report["crawler_share"]
    out = [
        "## Server-log proof\n",
        f"{report['requests']:,} requests, {report['window']['start']} to {report['window']['end']}. "
        f"Crawlers are **{share['requests']:.1%}** of requests and **{share['bytes']:.1%}** of bytes "
        f"(verified crawlers {share['verified_requests']:.1%}).\n",
    ]
    for c in report["conflicts"]:
        sample = c["samples"][0]["url"] if c["samples"] else ""
        out.append(
            f"- **verified {md(c['bot'])}**: {c['count']:,}× {c['kind'].replace('_', ' ')}, e.g. `{md(sample)}`"
        )
    if not report["conflicts"]:
        out.append("- No verified crawler was refused in this log window.")
    for s in report["spoofed"]:
        out.append(
            f"- spoofed {md(s['bot'])}: {s['requests']:,} requests, {s['refused']:,} refused, {s['served']:,} served"
        )
    out.append(
        "\n| bot | verdict | requests | share | bytes | peak/min |\n|---|---|---:|---:|---:|---:|"
    )
    for b in report["bots"][:25]:
        out.append(
            f"| {md(b['bot'])} | {b['verdict'] or '-'} | {b['requests']:,} | {b['share_requests']:.1%} "
            f"| {_mb(b['bytes'])} | {b['peak_rpm']} |"
        )
    return "\n".join(out) + "\n"


def html_page(report: dict[str, Any]) -> str:
    from seoaudit.report.html import CSS

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">'
        f"<title>Server-log proof</title><style>{CSS}</style></head><body>{html_section(report)}</body></html>\n"
    )
