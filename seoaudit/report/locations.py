"""Where a finding points in the repository: the robots.txt line, or the policy line."""

from __future__ import annotations

from seoaudit.result import AuditResult, Finding

ROBOTS_LINE_RULES = {"RB002", "RB005", "RB006", "RB008", "IX002", "SM001"}


def robots_line(finding: Finding) -> int | None:
    if finding.subject.line is not None:
        return finding.subject.line
    for ev in finding.evidence:
        data = ev.model_dump()
        if data.get("kind") == "robots_line" and isinstance(data.get("line"), int):
            return data["line"]
    return None


def location(
    finding: Finding, result: AuditResult, robots_file: str | None
) -> tuple[str, int | None]:
    """(file, line) for annotations; robots.txt findings prefer the repository's robots.txt."""
    if robots_file and (finding.rule in ROBOTS_LINE_RULES or finding.rule.startswith("RB")):
        return robots_file, robots_line(finding)
    return result.policy.path or "rules.yaml", finding.policy_line
