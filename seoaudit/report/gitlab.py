"""GitLab Code Quality report (``artifacts:reports:codequality``): one issue per finding.

GitLab shows these in merge-request widgets and diffs. Each issue needs a description, a
check name, a unique fingerprint, a severity (info, minor, major, critical, blocker) and a
repository-relative location; waived findings are left out, as GitLab has no suppression.
"""

from __future__ import annotations

import json

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.locations import annotation_path, location
from seoaudit.result import AuditResult

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def render(result: AuditResult, options: RenderOptions) -> str:
    issues = []
    seen: set[str] = set()
    for f in result.findings:
        if f.waived or f.fingerprint in seen:
            continue
        seen.add(f.fingerprint)
        file, line = location(f, result, options.robots_file)
        where = f.subject.url or f.subject.host or result.site
        who = f" as {f.subject.bot}" if f.subject.bot else ""
        issues.append(
            {
                "type": "issue",
                "check_name": f.rule,
                "description": f"{f.rule} {f.message} [{where}{who}] Fix: {f.fix.summary}",
                "categories": ["Bug Risk"],
                "fingerprint": f.fingerprint,
                "severity": SEVERITY[f.severity],
                "location": {
                    "path": annotation_path(file, options.source_root, options.working_dir),
                    "lines": {"begin": max(1, line or 1)},
                },
            }
        )
    return json.dumps(issues, indent=2) + "\n"


REPORTER = Reporter(
    name="gitlab",
    extension="codequality.json",
    description="GitLab Code Quality report",
    render=render,
)
