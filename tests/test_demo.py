"""`seoaudit demo` end to end: every planted conflict is found, the clean areas stay silent."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import yaml

from seoaudit.result import AuditResult, Finding
from tests.conftest import REPO_ROOT

DEMO_DATA = REPO_ROOT / "seoaudit" / "scenarios" / "data" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, AuditResult]:
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "seoaudit", "demo", "-f", "terminal,json", "-o", str(out),
         "--no-progress"],
        capture_output=True, text=True, timeout=240, cwd=REPO_ROOT,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = AuditResult.from_json((out / "seoaudit.json").read_text())
    return proc, result


def _path(f: Finding) -> str | None:
    return urlsplit(f.subject.url).path if f.subject.url else None


def _expectations() -> list[dict]:
    return yaml.safe_load(DEMO_DATA.read_text())["expect"]


@pytest.mark.parametrize(
    "expect", _expectations(), ids=lambda e: f"{e['rule']}-{e.get('path') or e.get('bot') or ''}"
)
def test_demo_finds_every_planted_conflict(demo_run, expect):
    _, result = demo_run
    hits = [
        f
        for f in result.findings
        if f.rule == expect["rule"]
        and (expect.get("path") is None or _path(f) == expect["path"])
        and (expect.get("bot") is None or f.subject.bot == expect["bot"])
    ]
    assert hits, f"{expect} not found; {expect['rule']} findings: " + str(
        [(_path(f), f.subject.bot) for f in result.findings if f.rule == expect["rule"]]
    )
    for f in hits:  # both sides, evidence and a fix on every finding
        assert f.protection and f.cost and f.message and f.fix.summary and f.evidence


def test_demo_clean_areas_raise_nothing(demo_run):
    _, result = demo_run
    clean = set(yaml.safe_load(DEMO_DATA.read_text())["clean"])
    noisy = [(f.rule, _path(f), f.subject.bot) for f in result.findings if _path(f) in clean]
    assert noisy == []
    assert result.complete


def test_demo_confidence_says_when_a_block_rests_on_a_spoofed_agent(demo_run):
    _, result = demo_run
    ch = [f for f in result.findings if f.rule.startswith("CH")]
    assert ch and all(f.confidence == "needs_verification" and f.verify for f in ch)
    rb = [f for f in result.findings if f.rule in ("RB002", "RB005", "RB009")]
    assert rb and all(f.confidence == "confirmed" for f in rb)


def test_demo_terminal_report_shows_both_sides_and_the_scoreboard(demo_run, tmp_path):
    proc, result = demo_run
    text = proc.stdout
    assert text.index("Fix first") < text.index("Shared scoreboard")
    assert "Must-index URLs reachable and indexable" in text and "Gate: not enforced" in text
    assert all(len(line) <= 100 for line in text.splitlines())
    from seoaudit.report import RenderOptions, get_reporter

    details = get_reporter("terminal").render(result, RenderOptions(width=100, details=True))
    for label in ("Protection", "Cost", "Confidence", "Evidence", "Fix", "Gives up"):
        assert label in details


def test_demo_result_json_has_every_contract_field(demo_run):
    _, result = demo_run
    data = result.model_dump()
    for key in ("schema_version", "tool", "site", "complete", "started_at", "finished_at",
                "policy", "stats", "scoreboard", "findings", "outcomes", "waivers", "warnings"):  # fmt: skip
        assert key in data
    assert {o.outcome for o in result.outcomes} <= {
        "pass",
        "fail",
        "not_applicable",
        "inconclusive",
        "error",
        "waived",
    }
    assert not [o for o in result.outcomes if o.outcome == "error"], "no rule may crash on the demo"
    codes = {r.code for r in result.rules}
    assert {"RB001", "CH001", "RL002", "IX001", "SM001", "PF001"} <= codes
    fingerprints = [f.fingerprint for f in result.findings]
    assert len(fingerprints) == len(set(fingerprints))


def test_packaged_rules_yaml_is_the_repository_copy():
    assert (REPO_ROOT / "rules.yaml").read_text() == (
        REPO_ROOT / "seoaudit" / "data" / "rules.yaml"
    ).read_text()


def test_rules_yaml_documents_every_policy_key():
    from seoaudit.policy import Policy, load_policy

    load_policy(str(REPO_ROOT / "rules.yaml"))
    text = (REPO_ROOT / "rules.yaml").read_text()

    def keys(model, prefix=""):  # type: ignore[no-untyped-def]
        for name, field in model.model_fields.items():
            yield prefix + name
            sub = field.annotation
            if isinstance(sub, type) and hasattr(sub, "model_fields") and name not in ("custom",):
                yield from keys(sub, prefix + name + ".")

    missing = [k for k in keys(Policy) if f"{k.rsplit('.', 1)[-1]}:" not in text]
    assert missing == []
