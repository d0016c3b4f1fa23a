"""RB008: robots.txt syntax that some crawlers ignore or read differently."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import origins, robots_copy
from seoaudit.result import Subject
from seoaudit.robots_txt.lint import lint_robots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import RFC9309, ROBOTS_SPEC, host_subject

# Lint codes other rules own (RB002 required paths, RB003 size).
_OWNED_ELSEWHERE = {"must-index-disallowed", "required-bot-disallowed", "oversized"}


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        copy = robots_copy(ctx, origin, "seoaudit")
        host = host_subject(origin)
        if copy.robots is None or copy.facts is None:
            yield not_applicable(host, copy.why)
            continue
        if copy.is_html:
            yield not_applicable(host, "robots.txt is an HTML page (RB011)")
            continue
        issues = [
            i
            for i in lint_robots(copy.facts.body_bytes() or b"")
            if i.code not in _OWNED_ELSEWHERE and i.severity in ("error", "warning")
        ]
        if not issues:
            yield passed(host, "no syntax problems")
            continue
        for issue in issues:
            subject = Subject(host=host.host, line=issue.line)
            yield failed(
                subject,
                message=f"line {issue.line}: {issue.message}",
                cost=(
                    "Crawlers that read robots.txt strictly (RFC 9309) skip this line; Google "
                    "may read it differently from the rest. The rule does not do the same thing "
                    "for every crawler."
                ),
                evidence=[
                    {
                        "kind": "robots_line",
                        "origin": origin,
                        "line": issue.line,
                        "lint": issue.code,
                        "exchange_id": copy.exchange.id if copy.exchange else None,
                    }
                ],
                fix_summary="Correct the line to the standard syntax.",
                fix_steps={"infra": [f"Fix robots.txt line {issue.line}: {issue.message}"]},
                protection_cost="None: the fix makes the intended rule apply everywhere.",
                pattern=f"{issue.code}:{issue.line}",
                severity="warning" if issue.severity == "error" else "info",
            )


RULE = Rule(
    code="RB008",
    slug="robots-txt-syntax",
    title="robots.txt syntax that crawlers ignore or read differently",
    severity="warning",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Lints the served robots.txt: unknown fields, typos only Google tolerates, rules "
        "outside any group, paths not starting with / or *, missing colons, rules that can "
        "never win.",
        why="Google accepts a few typos ('Dissalow'), other crawlers do not: the same line "
        "protects a path from Googlebot but not from Bing or AI crawlers.",
        why_happens="Hand-edited files, copy-paste from old templates, no pre-deploy check.",
        example="Dissalow: /tmp/   # Google reads it as Disallow; RFC 9309 parsers skip it",
        fix="Fix the syntax and gate robots.txt changes with `seoaudit robots lint` in CI.",
        gives_up="Nothing.",
        references=(ROBOTS_SPEC, RFC9309, "crawler-facts §1.6"),
    ),
    check=check,
)
