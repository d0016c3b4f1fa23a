"""The JSON report: the AuditResult itself, the contract every other format renders from."""

from __future__ import annotations

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.result import AuditResult


def render(result: AuditResult, options: RenderOptions) -> str:
    return result.to_json()


REPORTER = Reporter(
    name="json",
    extension="json",
    description="The result JSON (architecture §4); `seoaudit report` re-renders it",
    render=render,
)
