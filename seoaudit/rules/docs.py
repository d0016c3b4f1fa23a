"""Rule docs rendered from the rules' own fields: `seoaudit rules CODE` and the README table."""

from __future__ import annotations

from seoaudit.rules.base import Rule
from seoaudit.rules.catalog import all_rules

README_START = "<!-- rules:start -->"
README_END = "<!-- rules:end -->"


def rule_markdown(rule: Rule) -> str:
    d = rule.docs
    refs = "\n".join(f"- {r}" for r in d.references) or "- (none)"
    return (
        f"# {rule.code} {rule.slug}: {rule.title}\n\n"
        f"Default severity: **{rule.severity}** · owner: **{rule.owner}** · "
        f"protection: `{rule.protection}`\n\n"
        f"## What it checks\n{d.what}\n\n"
        f"## Why it matters\n{d.why}\n\n"
        f"## Why it happens\n{d.why_happens}\n\n"
        f"## Example\n{d.example}\n\n"
        f"## Fix\n{d.fix}\n\n"
        f"**What the protection gives up:** {d.gives_up}\n\n"
        f"## References\n{refs}\n"
    )


def rule_table_markdown() -> str:
    lines = [
        "| code | slug | severity | owner | fires when |",
        "|---|---|---|---|---|",
    ]
    for r in all_rules():
        lines.append(f"| {r.code} | {r.slug} | {r.severity} | {r.owner} | {r.title} |")
    return "\n".join(lines)
