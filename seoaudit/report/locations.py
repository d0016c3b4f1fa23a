"""Where a finding points in the repository: the robots.txt line, or the policy line.

CI consumers want repository-relative paths (GitHub code scanning and annotations resolve
them against the checkout, GitLab against the project), never this machine's absolute path,
so every path is made relative to the source root the CLI found (the git root, else the
working directory). A file outside it keeps an absolute ``file://`` URI in SARIF.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePath
from urllib.parse import quote

from seoaudit.result import AuditResult, Finding

ROBOTS_LINE_RULES = {"RB002", "RB005", "RB006", "RB008", "IX002", "SM001"}
SRCROOT = "%SRCROOT%"


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


def _absolute(path: str, working_dir: str | None) -> PurePath | None:
    pure = PurePath(path)
    if pure.is_absolute():
        return pure
    return PurePath(working_dir) / pure if working_dir else None


def repo_path(path: str, source_root: str | None, working_dir: str | None) -> str | None:
    """``path`` relative to the source root, POSIX separators, or None when outside it."""
    absolute = _absolute(path, working_dir)
    if absolute is None or source_root is None:
        if PurePath(path).is_absolute():
            return None
        relative = posixpath.normpath(PurePath(path).as_posix())
        return None if relative.startswith("../") or relative == ".." else relative
    normal = PurePath(posixpath.normpath(absolute.as_posix()))
    try:
        return normal.relative_to(
            PurePath(posixpath.normpath(PurePath(source_root).as_posix()))
        ).as_posix()
    except ValueError:
        return None


def artifact_location(
    path: str, source_root: str | None, working_dir: str | None
) -> dict[str, str]:
    """A SARIF artifactLocation: a relative URI on %SRCROOT%, or an absolute file URI."""
    relative = repo_path(path, source_root, working_dir)
    if relative is not None:
        return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
    absolute = _absolute(path, working_dir) or PurePath(path)
    return {"uri": "file://" + quote(posixpath.normpath(absolute.as_posix()), safe="/")}


def annotation_path(path: str, source_root: str | None, working_dir: str | None) -> str:
    """A path for CI annotations: repository-relative when possible, else as given."""
    return repo_path(path, source_root, working_dir) or path
