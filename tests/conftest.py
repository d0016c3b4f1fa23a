"""Shared test fixtures.

`shared_dir` is `../shared` beside the repository. Tests that read it skip with a clear
reason when it is absent (a clone elsewhere); `.ci/run` sets SEOAUDIT_REQUIRE_SHARED=1 so
that in CI a missing folder fails instead of skipping.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["tests.scheduling"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


def require_shared(*parts: str) -> Path:
    """Path inside ../shared, or skip (fail under CI) when it is missing."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is absent: these tests read ../shared beside the repository"
        if os.environ.get("SEOAUDIT_REQUIRE_SHARED"):
            pytest.fail(reason + " (SEOAUDIT_REQUIRE_SHARED is set, so this is an error)")
        pytest.skip(reason)
    return path


@pytest.fixture
def shared_dir() -> Path:
    return require_shared()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path_factory, monkeypatch):
    """Run the real console entry point in-process and capture exit code and output.

    It runs in an empty working directory, so that policy discovery (``rules.yaml`` here or
    at the git root) finds nothing unless a test puts a policy there.
    """
    from seoaudit.cli.main import run

    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = 0
        try:
            run(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return invoke


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


# A child started from a non-interactive background shell inherits SIGINT as *ignored*, and
# Python then leaves it ignored: a test that interrupts a child must restore the handler in
# the child itself (preexec_fn is unsafe next to the scenario servers' threads).
_CHILD_WITH_SIGINT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = ['seoaudit', *sys.argv[1:]]; runpy.run_module('seoaudit', run_name='__main__')"
)


def seoaudit_child(*args: str) -> list[str]:
    """argv for ``python -m seoaudit ARGS`` that reacts to SIGINT however it was started."""
    return [sys.executable, "-c", _CHILD_WITH_SIGINT, *args]


@pytest.fixture
def audit(cli, tmp_path: Path):
    """Audit a real server's URL through the CLI with the real-server test policy."""
    from tests.realservers import make_audit

    return make_audit(cli, tmp_path)
