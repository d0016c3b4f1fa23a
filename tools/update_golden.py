"""Regenerate tests/golden/ from a real demo run.

    .venv/bin/python tools/update_golden.py

Runs `seoaudit demo -f json` on the embedded shop, then normalises what changes from run
to run and machine to machine — the loopback port becomes shop.example:8080, times and
the version are fixed, timing figures are rounded, passes are sampled (3 per rule) — so the
golden result, and the terminal and Markdown reports rendered from it, only change when
the audit's output really does. Review the diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SITE = "shop.example:8080"


def _timing(node: object) -> object:
    """Round measured milliseconds: a loaded machine must not change the golden files."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if isinstance(value, float) and (key.endswith("_ms") or key in ("p50", "p75")):
                value = float(round(value, -2) if value >= 100 else round(value))
            out[key] = _timing(value)
        return out
    if isinstance(node, list):
        return [_timing(v) for v in node]
    return node


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo.json"
        subprocess.run(
            [sys.executable, "-m", "seoaudit", "demo", "-f", "json", "-o", str(out), "-q",
             "--no-progress"],
            check=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        text = out.read_text()
    text = re.sub(r"127\.0\.0\.1:\d+", SITE, text)
    data = json.loads(text)
    data["tool"]["version"] = "0.0.0"
    data["started_at"] = "2026-11-22T10:00:00+00:00"
    data["finished_at"] = "2026-11-22T10:00:15+00:00"
    data["stats"]["duration_s"] = 15.0
    data["warnings"] = [w for w in data["warnings"] if not w.startswith("private start")]
    data = _timing(data)
    # keep the file reviewable: every outcome that is not a pass, and a few passes per rule
    passes: dict[str, int] = {}
    kept = []
    for outcome in data["outcomes"]:
        if outcome["outcome"] == "pass":
            passes[outcome["rule"]] = passes.get(outcome["rule"], 0) + 1
            if passes[outcome["rule"]] > 3:
                continue
        kept.append(outcome)
    data["outcomes"] = kept
    (GOLDEN / "demo_result.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    sys.path.insert(0, str(ROOT))
    from seoaudit.report import RenderOptions, get_reporter
    from seoaudit.result import AuditResult

    result = AuditResult.from_json((GOLDEN / "demo_result.json").read_text())
    terminal = get_reporter("terminal").render(result, RenderOptions(width=100))
    (GOLDEN / "demo_terminal.txt").write_text(terminal)
    markdown = get_reporter("markdown").render(result, RenderOptions())
    (GOLDEN / "demo_report.md").write_text(markdown)
    print(f"wrote {GOLDEN}/demo_result.json, demo_terminal.txt, demo_report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
