"""`seoaudit demo` from any directory: the packaged policy and scenario, no repository needed
(its own file, so xdist runs this whole demo beside the other one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_works_from_any_directory_with_the_packaged_policy(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "seoaudit", "demo", "-q"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "Gate" in proc.stdout
    assert Path(tmp_path).exists()
