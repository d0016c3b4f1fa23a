"""The project's own error types.

Every failure a user can cause (bad policy, bad file, unreachable site) is raised as a
subclass of `SeoauditError`; the CLI turns those into one clear message and an exit code,
never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SeoauditError(Exception):
    """Base for errors the CLI reports without a traceback."""

    exit_code: int = 2


class UsageError(SeoauditError):
    """Bad command-line input or an unreadable input file (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class PolicyProblem:
    """One problem in a policy file, printed as `file:line:col: key.path: message`."""

    file: str
    line: int
    col: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return (
            f"{where}: {self.key_path}: {self.message}"
            if self.key_path
            else f"{where}: {self.message}"
        )


@dataclass
class PolicyError(SeoauditError):
    """All problems found in a policy file (collected, not just the first)."""

    problems: list[PolicyProblem] = field(default_factory=list)
    exit_code: int = 2

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class AuditIncomplete(SeoauditError):
    """The audit could not complete (start URL unreachable, interrupted): exit 3."""

    exit_code = 3
