"""The log report in the terminal (Rich), HTML (inline SVG charts) and Markdown.

It lives in report/ so that logs/ only produces data (the log report dict): report/ reads
it, logs/ never imports report/.
"""

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
    head.append(f"\n{source_line(report)}")
    if report["lines"] and report["malformed"]["count"] * 2 > report["lines"]:
        head.append(
            f"\nMost lines ({report['malformed']['count']:,} of {report['lines']:,}) were not "
            "understood: check --log-format, --preset or --fields.",
            style="bold yellow",
        )
    parts.append(head)
    parts.append(safety_terminal(report.get("safety") or {}))
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
        + safety_html(report)
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
    return "\n".join(out) + "\n\n" + safety_markdown(report)


def html_page(report: dict[str, Any]) -> str:
    from seoaudit.report.html import CSS

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">'
        f"<title>Server-log proof</title><style>{CSS}</style></head><body>{html_section(report)}</body></html>\n"
    )


def source_line(report: dict[str, Any]) -> str:
    """Detected format and timing field per file, and the IP-range snapshot's date."""
    formats = report.get("formats") or {}
    timing = (report.get("safety") or {}).get("timing_fields") or {}
    files = "; ".join(
        f"{name}: {fmt}, timing {timing.get(name) or 'none'}" for name, fmt in formats.items()
    )
    ranges = report.get("ranges") or {}
    origin = ranges.get("origin") or {}
    source = (
        f"{origin['package']} {origin.get('version', '')}".strip()
        if origin
        else ranges.get("source", "")
    )
    dated = ranges.get("snapshot_date") or "unknown"
    return f"Read as {files}. Crawler IP ranges: {source}, lists dated up to {dated}."


def _band_rows(safety: dict[str, Any]) -> list[list[str]]:
    rows = []
    for band in safety.get("bands") or []:
        if not band["tested"]:
            rows.append(
                [
                    f"{band['from_rpm']}-{band['to_rpm']}",
                    str(band["minutes"]),
                    "-",
                    "-",
                    "-",
                    "too few minutes",
                ]
            )
            continue
        rows.append(
            [
                f"{band['from_rpm']}-{band['to_rpm']}",
                str(band["minutes"]),
                f"{band['median_minute_p95_ms']:g}",
                f"{band['share_5xx']:.2%}",
                f"{band['p_value']:g}",
                "LOAD" if band["load"] else "no measurable load",
            ]
        )
    return rows


def _compare_rows(safety: dict[str, Any]) -> list[list[str]]:
    comparison = safety.get("comparison")
    if not comparison:
        return []
    rows = []
    for label, side in (
        ("busiest crawler minutes", comparison["busy"]),
        ("other minutes", comparison["other"]),
    ):
        rows.append(
            [
                label,
                str(side["minutes"]),
                f"{side['crawler_rpm_median']:g} (max {side['crawler_rpm_max']})",
                f"{side['others_rpm_median']:g}",
                str(side["p50_ms"]),
                str(side["p95_ms"]),
                f"{side['median_minute_p95_ms']:g}",
                f"{side['share_5xx']:.2%}",
            ]
        )
    return rows


COMPARE_HEAD = ("minutes", "n", "crawler req/min", "others req/min", "p50 ms", "p95 ms",
                "median minute p95 ms", "5xx (others)")  # fmt: skip
BAND_HEAD = ("crawler req/min", "minutes", "median minute p95 ms", "5xx", "p", "verdict")


def safety_terminal(safety: dict[str, Any]) -> RenderableType:
    if not safety:
        return Text("")
    style = {"load": "bold red", "no_load": "bold green"}.get(
        safety.get("status", ""), "bold yellow"
    )
    parts: list[RenderableType] = [Text("\nCrawl safety: " + clean(safety["verdict"]), style=style)]
    if safety.get("crawler_share_origin_time") is not None:
        parts.append(Text(f"Crawlers used {safety['crawler_share_origin_time']:.1%} of origin time "
                          f"({safety['timed_requests']:,} timed requests)."))  # fmt: skip
    rows = _compare_rows(safety)
    if rows:
        table = Table(title="Origin latency of everyone else", title_justify="left")
        for name in COMPARE_HEAD:
            table.add_column(name, justify="left" if name == "minutes" else "right")
        for row in rows:
            table.add_row(*row)
        parts.append(table)
    bands = _band_rows(safety)
    if bands:
        table = Table(
            title="By crawler rate (vs minutes at or below the median rate)", title_justify="left"
        )
        for name in BAND_HEAD:
            table.add_column(name, justify="right" if name not in ("verdict",) else "left")
        for row in bands:
            table.add_row(*row)
        parts.append(table)
    return Group(*parts)


def safety_svg(safety: dict[str, Any], width: int = 600, height: int = 220) -> str:
    """Each minute as a dot: crawler requests (x) against everyone else's p95 (y)."""
    series = safety.get("per_minute") or {}
    points = [
        (c, p)
        for c, p, n in zip(
            series.get("crawler_requests", []),
            series.get("p95_ms", []),
            series.get("other_requests", []),
            strict=False,
        )
        if p is not None and n
    ]
    if not points:
        return ""
    max_x = max(c for c, _ in points) or 1
    max_y = max(p for _, p in points) or 1
    threshold = safety.get("busy_threshold_rpm")
    left, bottom = 40, 25
    plot_w, plot_h = width - left - 10, height - bottom - 10
    dots = []
    for crawler, p95 in points:
        x = left + crawler / max_x * plot_w
        y = 10 + plot_h - p95 / max_y * plot_h
        busy = threshold is not None and crawler >= threshold
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{"#c0392b" if busy else "#4a7bd0"}"/>'
        )
    axes = (
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" stroke="#888"/>'
        f'<line x1="{left}" y1="10" x2="{left}" y2="{10 + plot_h}" stroke="#888"/>'
        f'<text x="{left}" y="{height - 5}" font-size="11">0</text>'
        f'<text x="{width - 10}" y="{height - 5}" font-size="11" text-anchor="end">{max_x} crawler req/min</text>'
        f'<text x="{left - 4}" y="18" font-size="11" text-anchor="end">{max_y}</text>'
        f'<text x="{left + 4}" y="20" font-size="11">p95 ms, everyone else</text>'
        f'<text x="{left - 4}" y="{10 + plot_h}" font-size="11" text-anchor="end">0</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>Per minute: crawler requests against everyone '
        f"else's p95 origin time (ms)</title>{axes}{''.join(dots)}</svg>"
    )


def _table_html(head: tuple[str, ...], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    return (
        "<table><thead><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
        + "</tbody></table>"
    )  # fmt: skip


def safety_html(report: dict[str, Any]) -> str:
    safety = report.get("safety") or {}
    if not safety:
        return ""
    css = {"load": "bad", "no_load": "good"}.get(safety.get("status", ""), "")
    share = safety.get("crawler_share_origin_time")
    return (
        "<section id='crawl-safety'><h2>Crawl safety: does crawling load the origin?</h2>"
        f"<p class='{css}'><b>{_esc(safety['verdict'])}</b></p>"
        + (f"<p>Crawlers used <b>{share:.1%}</b> of origin time.</p>" if share is not None else "")
        + f"<p class='muted'>{_esc(source_line(report))}</p>"
        + safety_svg(safety)
        + "<p class='muted'>Each dot is a minute: crawler requests against the p95 origin time of "
        "everyone else; red dots are the busiest crawler minutes.</p>"
        + _table_html(COMPARE_HEAD, _compare_rows(safety))
        + _table_html(BAND_HEAD, _band_rows(safety))
        + f"<p class='muted'>Method: {_esc(safety['method']['min_rise'])} counts as load, and only "
        f"when significant (alpha {safety['method']['alpha']}); minutes need "
        f"{safety['method']['min_timed_per_minute']} timed requests.</p></section>"
    )


def safety_markdown(report: dict[str, Any]) -> str:
    from seoaudit.report.markdown import md

    safety = report.get("safety") or {}
    if not safety:
        return ""
    out = ["## Crawl safety: does crawling load the origin?\n", f"**{md(safety['verdict'])}**\n",
           f"{md(source_line(report))}\n"]  # fmt: skip
    if safety.get("crawler_share_origin_time") is not None:
        out.append(f"Crawlers used **{safety['crawler_share_origin_time']:.1%}** of origin time.\n")
    for head, rows in ((COMPARE_HEAD, _compare_rows(safety)), (BAND_HEAD, _band_rows(safety))):
        if rows:
            out.append("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
            out += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
            out.append("")
    tested = [b for b in safety.get("bands") or [] if b["tested"]]
    comparison = safety.get("comparison")
    if tested or comparison:
        labels = [f'"{b["from_rpm"]}-{b["to_rpm"]}"' for b in tested]
        values = [b["median_minute_p95_ms"] for b in tested]
        if comparison:
            labels.insert(0, '"baseline"')
            values.insert(0, comparison["other"]["median_minute_p95_ms"])
        top = max(values) if values else 1
        out += [
            "```mermaid",
            "xychart-beta",
            '    title "Median per-minute p95 origin time of everyone else, by crawler req/min"',
            f"    x-axis [{', '.join(labels)}]",
            f'    y-axis "p95 ms" 0 --> {max(1, round(top * 1.2))}',
            f"    bar [{', '.join(f'{v:g}' for v in values)}]",
            "```",
            "",
        ]
    return "\n".join(out) + "\n"
