"""The reporter plug-in contract and its discovery."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from seoaudit.errors import UsageError
from seoaudit.result import AuditResult


@dataclass(frozen=True)
class RenderOptions:
    """How to render; formats ignore what does not apply to them."""

    width: int = 100
    color: bool = False
    quiet: bool = False  # CI: verdict and counts only (terminal)
    verbose: bool = False  # terminal: also list passes and inconclusive subjects
    details: bool = False  # terminal: every change with evidence, steps and config
    robots_file: str | None = None  # the repository's robots.txt, for SARIF/GitHub locations
    # Where file locations are relative to (SARIF, annotations, GitLab): the repository root
    # and the directory relative paths were given in. Set by the CLI; reporters do no I/O.
    source_root: str | None = None
    working_dir: str | None = None
    # Fingerprints of the findings that count toward the gate (CI formats mark only those as
    # failures); None: severity at or above the gate's fail_on, not waived.
    gating: frozenset[str] | None = None


@dataclass(frozen=True)
class Reporter:
    name: str  # the --format value, e.g. "terminal", "sarif"
    extension: str  # default file extension for -o, without the dot
    description: str  # one line for --help
    render: Callable[[AuditResult, RenderOptions], str]
    binary_safe: bool = True  # False for formats meant only for a terminal


_SKIP = {"base"}


@cache
def all_reporters() -> dict[str, Reporter]:
    import seoaudit.report as package

    found: dict[str, Reporter] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        reporter = getattr(module, "REPORTER", None)
        if isinstance(reporter, Reporter):
            found[reporter.name] = reporter
    return dict(sorted(found.items()))


def get_reporter(name: str) -> Reporter:
    reporters = all_reporters()
    reporter = reporters.get(name.lower())
    if reporter is None:
        raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(reporters)}")
    return reporter
