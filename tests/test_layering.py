"""Imports point down the layers: each part of seoaudit imports only parts below it.

The order is named in docs/internals.md ("Layers"); this test reads every import statement of
the package (function-level and TYPE_CHECKING imports included) and fails with the offending
lines, so a new upward import is caught where it is written.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "seoaudit"

# Bottom first. Parts on one line are peers: they may not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("seoaudit", "errors", "data"),
    ("atomic", "error_words", "url_problems", "snapshot", "result", "registry", "robots_txt"),
    ("web", "store"),
    ("gather", "analysis", "fixconfig", "scenarios", "slo"),
    ("scoreboard", "crawl_capacity"),
    ("rules",),
    ("policy",),
    ("report", "baseline"),
    ("service", "history"),
    ("logs", "trend"),
    ("cli",),
    ("__main__",),
]

KNOWN_UPWARD: set[tuple[str, str]] = set()

LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def _part(module: str) -> str:
    """The layer part of a dotted module name: ``seoaudit.gather.fetcher`` -> ``gather``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "seoaudit"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "seoaudit":
                found.extend((f"seoaudit.{a.name}", node.lineno) for a in node.names)
            elif node.module.startswith("seoaudit."):
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names if a.name.startswith("seoaudit"))
    return found


def _package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_layer():
    parts = {_part(_module_name(path)) for path in _package_files()}
    unplaced = sorted(parts - LEVEL.keys())
    assert not unplaced, f"add these to LAYERS (and docs/internals.md): {unplaced}"


def test_imports_point_down_the_layers():
    wrong: list[str] = []
    for path in _package_files():
        importer = _module_name(path)
        source = _part(importer)
        for imported, line in _imports(path):
            target = _part(imported)
            if target not in LEVEL:
                # ``from seoaudit import __version__`` names an attribute of the package root.
                target = "seoaudit"
            if target == source or (source, target) in KNOWN_UPWARD:
                continue
            if LEVEL[target] >= LEVEL[source]:
                relation = "a peer" if LEVEL[target] == LEVEL[source] else "above it"
                where = path.relative_to(REPO_ROOT)
                wrong.append(f"{where}:{line}: {source} imports {imported} ({relation})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_the_layer_order_in_the_docs_is_this_one():
    text = (REPO_ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    for level, parts in enumerate(LAYERS):
        line = next((ln for ln in section.splitlines() if ln.startswith(f"{level}. ")), None)
        assert line is not None, f"docs/internals.md Layers has no line {level}."
        for part in parts:
            assert f"`{part}`" in line, f"layer {level} in docs/internals.md should name `{part}`"


def test_the_check_sees_an_upward_import(tmp_path):
    """The parser finds function-level imports, the ones a glance at the top misses."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from seoaudit.rules.engine import evaluate\n")
    assert _imports(sample) == [("seoaudit.rules.engine", 2)]
