"""GitHub Actions workflow commands: one annotation per finding group, on the file it comes from.

GitHub reads workflow commands only from the step's log, and shows at most ten error and ten
warning annotations per step, so findings are grouped (same rule, file and line) and the ten
most important groups of each level are annotated; one notice says what was left out and
where the full report is. The CLI prints this format to the log even when ``-o`` also writes
it to a file. The Markdown step summary (``$GITHUB_STEP_SUMMARY``) is written by the CLI, not
here: reporters never do I/O.
"""

from __future__ import annotations

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.locations import annotation_path, location
from seoaudit.result import AuditResult, Finding

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
PER_LEVEL = 10  # GitHub shows ten of each level per step; the rest are dropped silently


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _groups(
    result: AuditResult, options: RenderOptions
) -> list[tuple[str, int | None, list[Finding]]]:
    groups: dict[tuple[str, str, int | None], list[Finding]] = {}
    for f in result.findings:
        if f.waived:
            continue
        file, line = location(f, result, options.robots_file)
        path = annotation_path(file, options.source_root, options.working_dir)
        groups.setdefault((f.rule, path, line), []).append(f)
    return [(path, line, members) for (_, path, line), members in groups.items()]


def _annotation(path: str, line: int | None, members: list[Finding], site: str) -> str:
    first = members[0]
    props = [f"file={_escape_property(path)}"]
    if line:
        props.append(f"line={line}")
    bots = sorted({f.subject.bot for f in members if f.subject.bot})
    title = f"{first.rule} {first.name}" + (f" ({', '.join(bots)})" if bots else "")
    props.append(f"title={_escape_property(title)}")
    where = first.subject.url or first.subject.host or site
    more = f" and {len(members) - 1} more subject(s)" if len(members) > 1 else ""
    message = f"{first.message} [{where}{more}]\nCost: {first.cost}\nFix: {first.fix.summary}"
    return f"::{COMMAND[first.severity]} {','.join(props)}::{_escape_data(message)}"


def render(result: AuditResult, options: RenderOptions) -> str:
    gating = options.gating
    by_level: dict[str, list[tuple[str, int | None, list[Finding]]]] = {}
    for group in _groups(result, options):
        by_level.setdefault(group[2][0].severity, []).append(group)
    lines, left_out = [], 0
    for level in ("error", "warning", "info"):
        groups = by_level.get(level, [])
        # gating groups first, then the groups that cover the most subjects
        groups.sort(
            key=lambda g: (
                not any(gating is None or f.fingerprint in gating for f in g[2]),
                -len(g[2]),
            )
        )
        limit = PER_LEVEL - (1 if level == "info" else 0)  # one notice is the gate's
        lines += [
            _annotation(path, line, members, result.site) for path, line, members in groups[:limit]
        ]
        left_out += sum(len(g[2]) for g in groups[limit:])
    gate = result.gate
    verdict = "failed" if gate.failed else "passed"
    tail = f"; {left_out} more finding(s) in the SARIF and Markdown reports" if left_out else ""
    lines.append(
        f"::notice title=seoaudit gate {verdict}::{gate.counted} finding(s) at or above "
        f"{gate.fail_on}{tail}"
    )
    return "\n".join(lines) + "\n"


REPORTER = Reporter(
    name="github", extension="txt", description="GitHub Actions annotations", render=render
)
