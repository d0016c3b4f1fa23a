"""CI gates and client deliverables: SARIF, JUnit, GitHub, Markdown, HTML, baselines, diff."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from seoaudit.report import RenderOptions, all_reporters, get_reporter
from seoaudit.result import AuditResult
from seoaudit.scenarios import ScenarioServer
from tests.conftest import REPO_ROOT, require_shared
from tests.gather_helpers import page, scenario

GOLDEN = REPO_ROOT / "tests" / "golden" / "demo_result.json"
FORMATS = ["terminal", "json", "sarif", "junit", "github", "markdown", "html"]


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return AuditResult.from_json(GOLDEN.read_text())


def hostile(result: AuditResult) -> AuditResult:
    """The golden result with site text that tries to break out of every format."""
    data = json.loads(result.to_json())
    evil = '<script>alert(1)</script> "quote" & \x1b[31m ]]> `code` [link](http://x) ::error::'
    data["findings"][0]["message"] = evil
    data["findings"][0]["subject"]["url"] = "https://shop.example:8080/<img src=x onerror=alert(1)>"
    data["findings"][0]["evidence"] = [{"kind": "exchange", "excerpt": evil}]
    return AuditResult.model_validate(data)


def test_every_format_is_a_plugin():
    assert set(FORMATS) <= set(all_reporters())


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(
        require_shared("conformance", "sarif", "sarif-schema-2.1.0.json").read_text()
    )
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("robots_file", [None, "public/robots.txt"])
def test_sarif_validates_against_the_oasis_schema(result, sarif_validator, robots_file):
    for subject in (result, hostile(result)):
        text = get_reporter("sarif").render(subject, RenderOptions(robots_file=robots_file))
        document = json.loads(text)
        errors = sorted(sarif_validator.iter_errors(document), key=str)
        assert not errors, errors[0].message
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {f.rule for f in result.findings}
    assert all(r["help"]["markdown"] and r["defaultConfiguration"]["level"] for r in rules)
    first = run["results"][0]
    assert first["partialFingerprints"]["seoaudit/v1"] == result.findings[0].fingerprint
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    robots_results = [r for r in run["results"] if r["ruleId"] == "RB002"]
    uri = robots_results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    line = robots_results[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    if robots_file:
        assert uri == robots_file and line == 12  # "Disallow: /blog/post-8" in the demo robots.txt
    else:
        assert uri == "rules.yaml" and line == 34  # the must_index line of the policy


def test_junit_validates_against_the_jenkins_schema(result):
    schema = etree.XMLSchema(
        etree.parse(str(require_shared("conformance", "junit", "junit-10.xsd")))
    )
    for subject in (result, hostile(result)):
        xml = get_reporter("junit").render(subject, RenderOptions())
        document = etree.fromstring(xml.encode())
        assert schema.validate(document), schema.error_log
    suites = document.findall("testsuite")
    assert [s.get("name") for s in suites] == ["shop.example:8080"]
    cases = document.findall(".//testcase")
    assert len(cases) == len(result.outcomes)
    failures = document.findall(".//failure")
    assert result.gate.fail_on == "never" and not failures  # the golden run gates on nothing
    assert len(document.findall(".//system-out")) == sum(
        1 for o in result.outcomes if o.outcome == "fail"
    )
    assert document.findall(".//skipped")


def test_github_annotations_and_step_summary(cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = cli(
        "report", str(GOLDEN), "-f", "github", "--robots-file", "robots.txt", "--fail-on", "never"
    )
    assert out.code == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("::error file=rules.yaml,line=34,title=CH001")
    assert any(line.startswith("::error file=robots.txt,line=12,title=RB002") for line in lines)
    assert all("\n" not in line for line in lines)
    assert "# Crawl-access audit" in summary.read_text()


def test_markdown_report_for_a_client(result):
    text = get_reporter("markdown").render(result, RenderOptions())
    for heading in ("# Crawl-access audit", "## Executive summary", "### Findings by owner and severity",
                    "## Conflicts", "## Appendix: method and limits", "can and cannot tell you"):  # fmt: skip
        assert heading in text
    assert "**The protection:**" in text and "**What it costs:**" in text
    evil = get_reporter("markdown").render(hostile(result), RenderOptions())
    assert "<script>" not in evil and "\x1b" not in evil


def test_html_is_self_contained_and_escapes_site_text(result):
    text = get_reporter("html").render(hostile(result), RenderOptions())
    assert "<script" not in text.lower()
    assert "&lt;script&gt;" in text and "&lt;img src=x" in text
    for external in ('src="http', 'href="http', "@import", "url(http", "<link "):
        assert external not in text  # one self-contained file: nothing is fetched
    assert "<svg" in text and "@media print" in text
    for section in ('id="title"', 'id="summary"', 'id="conflicts"', 'id="appendix"', 'id="chart"'):
        assert section in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    not CHROMIUM and not os.environ.get("SEOAUDIT_REQUIRE_CHROMIUM"),
    reason="headless Chromium is not installed (.ci/run installs Debian's chromium)",
)
def test_html_report_renders_in_headless_chromium(result, tmp_path):
    assert CHROMIUM, "SEOAUDIT_REQUIRE_CHROMIUM is set but chromium is missing"
    page_file = tmp_path / "report.html"
    page_file.write_text(get_reporter("html").render(result, RenderOptions()))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    url = page_file.as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=90)
    for section in ('id="summary"', 'id="conflicts"', 'id="appendix"', "<svg"):
        assert section in dom.stdout
    png, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    subprocess.run(
        [*flags, f"--screenshot={png}", "--window-size=1200,2000", url],
        capture_output=True,
        timeout=90,
    )
    subprocess.run([*flags, f"--print-to-pdf={pdf}", url], capture_output=True, timeout=90)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.read_bytes().count(b"/Type /Page") >= 2
    if os.environ.get("SEOAUDIT_KEEP_RENDER"):
        shutil.copy(png, os.environ["SEOAUDIT_KEEP_RENDER"])


SITE = [
    {
        "path": "/robots.txt",
        "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Disallow: /x"]}},
    },
    page("/", ["/x", "/y"]),
    page("/x"),
    page("/y"),
]
POLICY = "crawl: {max_rps: 500, sample_per_bot: 4}\nbots: {required: [googlebot], wanted: []}\npaths: {must_index: ['/x', '/y']}\n"


def _audit(cli, tmp_path: Path, name: str, routes: list, *extra: str):  # type: ignore[no-untyped-def]
    policy = tmp_path / "rules.yaml"
    policy.write_text(POLICY)
    out = tmp_path / f"{name}.json"
    with ScenarioServer(scenario(routes)) as server:
        run = cli(
            "audit", server.url, "--policy", str(policy), "-f", "json", "-o", str(out), "-q", *extra
        )
    return run, out


def test_fingerprints_are_stable_across_runs_and_ports_and_baseline_gates_only_new(cli, tmp_path):
    first, first_out = _audit(cli, tmp_path, "first", SITE)
    second, second_out = _audit(cli, tmp_path, "second", SITE)
    assert first.code == second.code == 1
    a = sorted(f["fingerprint"] for f in json.loads(first_out.read_text())["findings"])
    b = sorted(f["fingerprint"] for f in json.loads(second_out.read_text())["findings"])
    assert a == b and a
    same, _ = _audit(cli, tmp_path, "third", SITE, "--baseline", str(first_out))
    assert same.code == 0  # nothing new against the baseline
    worse = [
        SITE[0]
        | {
            "response": {
                "template": "robots",
                "params": {"lines": ["User-agent: *", "Disallow: /x", "Disallow: /y"]},
            }
        },
        *SITE[1:],
    ]
    new, new_out = _audit(cli, tmp_path, "fourth", worse, "--baseline", str(first_out))
    assert new.code == 1
    gate = json.loads(new_out.read_text())["gate"]
    assert gate["counted"] == 1 and gate["baseline"] == str(first_out)
    diff = cli("diff", str(first_out), str(new_out), "-f", "json")
    listed = json.loads(diff.stdout)
    assert [f["rule"] for f in listed["new"]] == ["RB002"] and listed["fixed"] == []
    assert len(listed["unchanged"]) == len(a)
    assert cli("diff", str(first_out), str(new_out), "--fail-on-new").code == 1
    shown = cli("diff", str(new_out), str(first_out))
    assert "Fixed (1)" in shown.stdout


def test_several_formats_written_atomically_into_a_directory(cli, tmp_path):
    out_dir = tmp_path / "reports"
    run = cli(
        "report",
        str(GOLDEN),
        "-f",
        "sarif,junit,markdown,html",
        "-o",
        str(out_dir),
        "--fail-on",
        "never",
    )
    assert run.code == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "seoaudit.html",
        "seoaudit.json",
        "seoaudit.md",
        "seoaudit.sarif",
        "seoaudit.xml",
    ]
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temp files left


def test_unwritable_output_is_a_clear_error(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = cli("report", str(GOLDEN), "-f", "json", "-o", str(blocker / "sub" / "r.json"))
    assert run.code == 2 and "Traceback" not in run.stderr
