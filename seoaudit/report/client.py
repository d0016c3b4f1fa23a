"""What the client reports (Markdown, HTML) share: grouping, counts and the method appendix."""

from __future__ import annotations

from collections import Counter, defaultdict

from seoaudit.result import AuditResult, Finding

OWNER_LABEL = {"seo": "SEO", "infra": "Infrastructure", "shared": "Shared"}
SEVERITIES = ("error", "warning", "info")

METHOD = [
    "seoaudit fetched robots.txt on every host once per agent (a browser, its own honest "
    "agent, an unknown bot and each policy bot's published user-agent), read the sitemaps, "
    "crawled the site breadth-first within the configured bounds, and fetched a sample of "
    "must-index, sitemap and crawled URLs as each bot and as a browser.",
    "Requests stayed under a global rate ceiling, slowed after every error, honoured "
    "Retry-After and stopped an agent at the first sign of distress.",
    "robots.txt was evaluated exactly as Google's open-source parser does (RFC 9309 plus "
    "Google's extensions); directives were read per crawler (meta robots and X-Robots-Tag, "
    "generic and bot-specific).",
]
LIMITS = [
    "Our requests come from our IP, not from the crawlers' published ranges. A WAF that "
    "verifies crawlers by IP or reverse DNS may treat the real crawler differently: findings "
    "marked 'needs verification' must be confirmed in server/CDN logs or Search Console.",
    "The audit sees a sample of the site at one moment; intermittent limits or time-of-day "
    "rules may not show.",
    "Rendering (JavaScript execution) is not performed; resources blocked for crawlers are "
    "reported from robots.txt and the pages' references.",
    "Search engines decide indexing; the report states documented behaviour (e.g. how Google "
    "treats a 503 robots.txt), not a guarantee of ranking.",
]


def grouped(result: AuditResult) -> list[list[Finding]]:
    groups: dict[tuple[str, str | None], list[Finding]] = defaultdict(list)
    for f in result.findings:
        groups[(f.rule, f.subject.bot)].append(f)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(groups.values(), key=lambda g: (order[g[0].severity], g[0].owner, g[0].rule))


def counts(result: AuditResult) -> dict[str, Counter[str]]:
    """owner → severity counts, waived findings excluded."""
    table: dict[str, Counter[str]] = {o: Counter() for o in OWNER_LABEL}
    for f in result.findings:
        if not f.waived:
            table.setdefault(f.owner, Counter())[f.severity] += 1
    return table


def where(f: Finding) -> str:
    base = f.subject.url or f.subject.host or "site"
    line = f" (robots.txt line {f.subject.line})" if f.subject.line is not None else ""
    return base + line + (f" as {f.subject.bot}" if f.subject.bot else "")


_EVIDENCE_ORDER = ("url", "status", "line", "rule", "group", "error", "retry_after", "headers", "signals",
                   "redirects", "excerpt")  # fmt: skip


def evidence_text(evidence: object) -> str:
    """One evidence item as readable ``key: value`` text, the telling fields first."""
    data = {k: v for k, v in evidence.model_dump().items() if v not in (None, [], "", {})}  # type: ignore[attr-defined]
    kind = data.pop("kind", "evidence")
    keys = [k for k in _EVIDENCE_ORDER if k in data] + [k for k in data if k not in _EVIDENCE_ORDER]
    parts = []
    for key in keys:
        value = data[key]
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value[:6])
        text = str(value)
        parts.append(f"{key}: {text[:300]}")
    return f"[{kind}] " + " · ".join(parts)


def protection_text(result: AuditResult, f: Finding) -> str:
    info = result.rule_info(f.rule)
    why = info.docs.get("why_happens", "") if info else ""
    label = f.protection.replace("_", " ")
    return f"{label}, owned by {OWNER_LABEL.get(f.owner, f.owner)}." + (f" {why}" if why else "")
