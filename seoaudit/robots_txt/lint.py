"""robots.txt lint: what a file says that crawlers will ignore, misread or never apply.

Each issue names the line and which crawlers are affected, because "Google accepts it" and
"every crawler accepts it" are different statements: Google tolerates typos that Bing may not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from seoaudit.robots_txt.matching import matches, path_of
from seoaudit.robots_txt.parser import (
    CANONICAL_KEYS,
    MAX_LINE_BYTES,
    Key,
    iter_lines,
)
from seoaudit.robots_txt.robots import GOOGLE_SIZE_LIMIT, RobotsTxt, product_token

# Known non-standard fields and who reads them (crawler-facts §1.4, §2).
KNOWN_EXTRA_FIELDS = {
    "crawl-delay": "ignored by Google; Bing and Yandex honour it (Bing: at most one fetch per "
    "N seconds)",
    "host": "read only by Yandex (historically); ignored by Google and Bing",
    "clean-param": "read only by Yandex",
    "noindex": "not supported by Google since 2019: use a noindex meta tag or X-Robots-Tag",
    "request-rate": "not read by Google or Bing",
    "visit-time": "not read by Google or Bing",
}


@dataclass(frozen=True)
class LintIssue:
    line: int | None
    severity: str  # error | warning | info
    code: str  # stable short id, e.g. unknown-field
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lint_robots(
    data: bytes,
    *,
    required_bots: list[tuple[str, bool]] | None = None,
    must_index: list[str] | None = None,
) -> list[LintIssue]:
    """Problems in a robots.txt. ``required_bots`` is [(token, uses_wildcard_group)]."""
    issues: list[LintIssue] = []
    robots = RobotsTxt.parse(data)
    if data.startswith(b"\xef\xbb\xbf"):
        issues.append(
            LintIssue(
                1,
                "info",
                "bom",
                "file starts with a UTF-8 BOM: Google skips it, some "
                "crawlers read it as part of the first key",
            )
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issues.append(
            LintIssue(
                line,
                "warning",
                "not-utf8",
                "not valid UTF-8: Google may drop these "
                "characters, which can change what a rule matches",
            )
        )
    if robots.truncated:
        lost = [r for r in robots.lost_rules if r.key in (Key.ALLOW, Key.DISALLOW)]
        issues.append(
            LintIssue(
                None,
                "error",
                "oversized",
                f"file is {len(data):,} bytes; Google reads only the first {GOOGLE_SIZE_LIMIT:,} "
                f"bytes (500 KiB) and ignores {len(lost)} rule(s) after the cut"
                + (f", from line {lost[0].line}" if lost else ""),
            )
        )
    for number, _start, _end, content in iter_lines(data):
        if len(content) > MAX_LINE_BYTES:
            issues.append(
                LintIssue(
                    number,
                    "warning",
                    "long-line",
                    f"line is {len(content):,} bytes; Google keeps only the first "
                    f"{MAX_LINE_BYTES:,}",
                )
            )
    seen_agent = False
    seen_rules: dict[tuple[tuple[str, ...], bool, str], int] = {}
    group_agents: tuple[str, ...] = ()
    previous_rule = False
    for rec in robots.records:
        raw = rec.raw_key.lower()
        if rec.key is Key.USER_AGENT:
            if previous_rule:
                group_agents = ()
            previous_rule = False
            group_agents = (*group_agents, rec.value)
            seen_agent = True
            token = product_token(rec.value)
            if rec.value != "*" and not rec.value.startswith("*") and token != rec.value:
                issues.append(
                    LintIssue(
                        rec.line,
                        "info",
                        "agent-token",
                        f'user-agent "{rec.value}" is read by Google as "{token or "(nothing)"}"'
                        " (only letters, '-' and '_' count)",
                    )
                )
        if rec.key is not Key.UNKNOWN and raw.encode() not in CANONICAL_KEYS:
            issues.append(
                LintIssue(
                    rec.line,
                    "warning",
                    "tolerated-typo",
                    f'"{rec.raw_key}" is accepted by Google as "{rec.key.value}", but other '
                    "crawlers (Bing, AI bots) may ignore the line",
                )
            )
        if not rec.colon:
            issues.append(
                LintIssue(
                    rec.line,
                    "warning",
                    "missing-colon",
                    "no ':' after the field name: Google accepts it, other crawlers may not",
                )
            )
        if rec.key is Key.UNKNOWN:
            note = KNOWN_EXTRA_FIELDS.get(raw)
            if raw == "crawl-delay":
                issues.append(_crawl_delay_issue(rec.line, rec.value))
            elif note:
                issues.append(
                    LintIssue(rec.line, "warning", "unsupported-field", f'"{rec.raw_key}": {note}')
                )
            else:
                issues.append(
                    LintIssue(
                        rec.line,
                        "warning",
                        "unknown-field",
                        f'unknown field "{rec.raw_key}": ignored by Google, Bing and other '
                        "crawlers",
                    )
                )
        if rec.key in (Key.ALLOW, Key.DISALLOW):
            previous_rule = True
            if not seen_agent:
                issues.append(
                    LintIssue(
                        rec.line,
                        "warning",
                        "rule-outside-group",
                        "rule before any user-agent line: every crawler ignores it",
                    )
                )
                continue
            if rec.value and not rec.value.startswith(("/", "*")):
                issues.append(
                    LintIssue(
                        rec.line,
                        "warning",
                        "bad-path",
                        f'path "{rec.value}" does not start with "/" or "*": it never matches',
                    )
                )
            allow = rec.key is Key.ALLOW
            key = (group_agents, allow, rec.value)
            if key in seen_rules:
                issues.append(
                    LintIssue(
                        rec.line,
                        "info",
                        "duplicate-rule",
                        f"same rule as line {seen_rules[key]}: it never decides anything",
                    )
                )
            else:
                seen_rules[key] = rec.line
            opposite = (group_agents, not allow, rec.value)
            if not allow and opposite in seen_rules and rec.value:
                issues.append(
                    LintIssue(
                        rec.line,
                        "warning",
                        "never-wins",
                        f"an Allow with the same path (line {seen_rules[opposite]}) wins every "
                        "tie, so this Disallow never applies",
                    )
                )
            if allow and opposite in seen_rules and rec.value:
                issues.append(
                    LintIssue(
                        seen_rules[opposite],
                        "warning",
                        "never-wins",
                        f"an Allow with the same path (line {rec.line}) wins every tie, so "
                        "this Disallow never applies",
                    )
                )
        if rec.key is Key.SITEMAP and not rec.value.lower().startswith(("http://", "https://")):
            issues.append(
                LintIssue(
                    rec.line,
                    "warning",
                    "sitemap-not-absolute",
                    f'Sitemap "{rec.value}" must be an absolute URL',
                )
            )
    for token, use_wildcard in required_bots or []:
        root = robots.check(token, "/", use_wildcard_group=use_wildcard)
        if not root.allowed:
            issues.append(
                LintIssue(
                    root.line,
                    "error",
                    "required-bot-disallowed",
                    f"{token} (required by the policy) is disallowed from / by `{root.rule}`",
                )
            )
        for pattern in must_index or []:
            probe = pattern.rstrip("$").replace("*", "x") or "/"
            verdict = robots.check(token, probe, use_wildcard_group=use_wildcard)
            if not verdict.allowed and root.allowed:
                issues.append(
                    LintIssue(
                        verdict.line,
                        "error",
                        "must-index-disallowed",
                        f"must_index {pattern} is disallowed for {token} (required) by "
                        f"`{verdict.rule}`",
                    )
                )
    return sorted(issues, key=lambda i: (i.line or 0, i.code))


def _crawl_delay_issue(line: int, value: str) -> LintIssue:
    try:
        delay = float(value)
    except ValueError:
        return LintIssue(line, "warning", "crawl-delay", f'Crawl-delay "{value}" is not a number')
    per_day = int(86_400 / delay) if delay > 0 else None
    cap = f"; for Bing it caps crawling at about {per_day:,} URLs a day" if per_day else ""
    return LintIssue(line, "info", "crawl-delay", f"Crawl-delay {value}: ignored by Google{cap}")


__all__ = ["LintIssue", "lint_robots", "matches", "path_of"]
