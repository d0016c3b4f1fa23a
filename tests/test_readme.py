"""The README's generated tables match the code, and its Quick start matches .ci/run."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_readme_tables_are_generated_from_the_code():
    proc = subprocess.run(
        [sys.executable, "tools/update_readme.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_quick_start_lines():
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block[0].endswith("seoaudit demo")
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert block[1] in ci, "the README's test line must be exactly what .ci/run runs"
