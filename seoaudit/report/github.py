"""GitHub Actions workflow commands: one annotation per finding group, on the file it comes from.

The Markdown step summary (``$GITHUB_STEP_SUMMARY``) is written by the CLI, not here:
reporters never do I/O.
"""

from __future__ import annotations

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.locations import location
from seoaudit.result import AuditResult

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: AuditResult, options: RenderOptions) -> str:
    lines = []
    for f in result.findings:
        if f.waived:
            continue
        file, line = location(f, result, options.robots_file)
        props = [f"file={_escape_property(file)}"]
        if line:
            props.append(f"line={line}")
        where = f.subject.url or f.subject.host or result.site
        title = f"{f.rule} {f.name}" + (f" ({f.subject.bot})" if f.subject.bot else "")
        props.append(f"title={_escape_property(title)}")
        message = f"{f.message} [{where}]\nCost: {f.cost}\nFix: {f.fix.summary}"
        lines.append(f"::{COMMAND[f.severity]} {','.join(props)}::{_escape_data(message)}")
    gate = result.gate
    verdict = "failed" if gate.failed else "passed"
    lines.append(
        f"::notice title=seoaudit gate {verdict}::{gate.counted} finding(s) at or above {gate.fail_on}"
    )
    return "\n".join(lines) + "\n"


REPORTER = Reporter(
    name="github", extension="txt", description="GitHub Actions annotations", render=render
)
