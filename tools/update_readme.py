"""Regenerate the README tables that come from code: rules, policy keys, bench figures.

python tools/update_readme.py            # rewrite README.md in place
python tools/update_readme.py --check    # exit 1 when README.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seoaudit.policy.reference import policy_reference_markdown  # noqa: E402
from seoaudit.rules.docs import rule_table_markdown  # noqa: E402

PERF = ROOT / "docs" / "performance.md"


def sections() -> dict[str, str]:
    perf = PERF.read_text().strip() if PERF.exists() else "(run the benches in bench/)"
    return {
        "rules": rule_table_markdown(),
        "policy": policy_reference_markdown(),
        "perf": perf,
    }


def render(text: str) -> str:
    for name, body in sections().items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{body}\n{end}{tail}"
    return text


def main() -> int:
    readme = ROOT / "README.md"
    current = readme.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("README.md is out of date: run python tools/update_readme.py")
            return 1
        return 0
    readme.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
