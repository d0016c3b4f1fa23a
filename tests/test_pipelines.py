"""seoaudit in real pipelines, checked with the real consumers (issue 15).

GitHub's action and workflow schemas (check-jsonschema ships them offline), the action's own
audit script run in bash as the runner would, SARIF against the OASIS schema plus GitHub's
ingestion constraints, annotations as GitHub reads them, JUnit through junitparser, GitLab's
Code Quality shape, the pre-commit hooks through pre-commit, the package built with the
lowest setuptools it declares and installed into a fresh venv, policy discovery, the umask.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from seoaudit.report import RenderOptions, get_reporter
from seoaudit.result import AuditResult
from seoaudit.scenarios import ScenarioServer
from tests.conftest import REPO_ROOT, require_shared
from tests.gather_helpers import page, scenario

GOLDEN = REPO_ROOT / "tests" / "golden" / "demo_result.json"
ACTION = REPO_ROOT / "action.yml"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "seoaudit-example.yml"
SEOAUDIT = str(Path(sys.executable).with_name("seoaudit"))
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


@pytest.fixture(scope="module")
def golden() -> AuditResult:
    return AuditResult.from_json(GOLDEN.read_text())


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    kwargs.setdefault("timeout", 300)
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


# -- GitHub: the action and the example workflow ------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions"), (WORKFLOW, "vendor.github-workflows")],
)
def test_github_schemas_accept_the_action_and_the_example_workflow(path, schema):
    done = _run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def _steps(path: Path) -> list[dict]:
    document = yaml.safe_load(path.read_text())
    if "runs" in document:
        return document["runs"]["steps"]
    return [s for job in document["jobs"].values() for s in job["steps"]]


@pytest.mark.parametrize("path", [ACTION, WORKFLOW])
def test_no_expression_is_pasted_into_a_script(path):
    for step in _steps(path):
        assert "${{" not in step.get("run", ""), (
            f"{step.get('name')}: use env, not ${{{{ }}}} in run"
        )
        assert not step.get("continue-on-error"), step.get("name")


def test_the_action_leaves_the_callers_python_alone_and_names_artifacts_uniquely():
    steps = {s.get("name"): s for s in _steps(ACTION)}
    python = next(
        s for s in steps.values() if str(s.get("uses", "")).startswith("actions/setup-python")
    )
    assert python["with"]["update-environment"] is False
    install = steps["Install seoaudit from this action's checkout"]["run"]
    assert (
        "$GITHUB_ACTION_PATH" in install
        and "pip install" in install
        and "seoaudit-crawl" not in install
    )
    upload = next(
        s for s in steps.values() if str(s.get("uses", "")).startswith("actions/upload-artifact")
    )
    assert "steps.audit.outputs.artifact-name" in upload["with"]["name"]
    outputs = yaml.safe_load(ACTION.read_text())["outputs"]
    assert {"result", "sarif", "junit", "exit-code", "gate-failed", "findings"} <= set(outputs)


def _action_audit_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "IN_"))}
    env.update(
        SEOAUDIT=SEOAUDIT,
        PY=sys.executable,
        GITHUB_OUTPUT=str(tmp_path / "github_output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        GITHUB_JOB="audit",
        GITHUB_ACTION="__seoaudit",
        GITHUB_RUN_ATTEMPT="1",
        RUNNER_NAME="GitHub Actions 7",
        RUNNER_OS="Linux",
        RUNNER_ARCH="X64",
        IN_URL="",
        IN_POLICY="",
        IN_FAIL_ON="error",
        IN_BASELINE="",
        IN_ROBOTS_FILE="",
        IN_OUTPUT_DIR=str(tmp_path / "report"),
        IN_ARTIFACT_NAME="",
    )
    env.update({f"IN_{k.upper()}": v for k, v in inputs.items()})
    return env


def test_the_actions_audit_script_annotates_the_log_and_sets_outputs(tmp_path):
    script = next(s for s in _steps(ACTION) if s.get("id") == "audit")["run"]
    policy = tmp_path / "rules.yaml"
    policy.write_text(POLICY)
    hostile = "$(touch " + str(tmp_path / "pwned") + ")"  # an input must never run as code
    with ScenarioServer(scenario(SITE)) as server:
        env = _action_audit_env(tmp_path, url=server.url, policy=str(policy), robots_file=hostile)
        done = _run("bash", "-e", "-c", script, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # the gate is applied by the action's last step
    assert not (tmp_path / "pwned").exists()
    log = done.stdout.splitlines()
    assert any(line.startswith("::error file=") and "RB002" in line for line in log), done.stdout
    assert log[-2].startswith("::notice title=seoaudit gate failed::") or any(
        line.startswith("::notice title=seoaudit gate failed::") for line in log
    )
    outputs = dict(
        line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines()
    )
    assert outputs["exit-code"] == "1" and outputs["gate-failed"] == "true"
    assert int(outputs["findings"]) >= 1
    assert Path(outputs["sarif"]).is_file() and Path(outputs["result"]).is_file()
    assert (
        outputs["artifact-name"].startswith("seoaudit-audit-")
        and outputs["sarif-written"] == "true"
    )
    assert "# Crawl-access audit" in (tmp_path / "summary.md").read_text()


# -- SARIF: the OASIS schema and GitHub's ingestion rules ----------------------------------


def github_sarif_problems(document: dict) -> list[str]:
    """GitHub code scanning's documented ingestion constraints, beyond the schema: at most
    20 runs, 25,000 results and 25,000 rules a run, 1,000 locations a result, 20 tags a rule;
    every result with a rule id, a message, a location whose URI is relative to the
    repository (or an absolute file URI), a start line, and a fingerprint."""
    problems = []
    runs = document.get("runs", [])
    if len(runs) > 20:
        problems.append(f"{len(runs)} runs")
    for run in runs:
        rules = run["tool"]["driver"].get("rules", [])
        results = run.get("results", [])
        if len(results) > 25_000 or len(rules) > 25_000:
            problems.append(f"{len(results)} results / {len(rules)} rules")
        ids = [r["id"] for r in rules]
        if len(ids) != len(set(ids)):
            problems.append("duplicate rule ids")
        for rule in rules:
            if len(rule.get("properties", {}).get("tags", [])) > 20:
                problems.append(f"{rule['id']}: more than 20 tags")
            if not str(rule.get("helpUri", "https://")).startswith("https://"):
                problems.append(f"{rule['id']}: helpUri {rule.get('helpUri')}")
        bases = run.get("originalUriBaseIds", {})
        for result in results:
            if not result.get("ruleId") or not result.get("message", {}).get("text"):
                problems.append("result without ruleId or message")
            if "ruleIndex" in result and ids[result["ruleIndex"]] != result["ruleId"]:
                problems.append("ruleIndex does not match ruleId")
            if not result.get("partialFingerprints"):
                problems.append(f"{result['ruleId']}: no partialFingerprints")
            locations = result.get("locations", [])
            if not 1 <= len(locations) <= 1000:
                problems.append(f"{result['ruleId']}: {len(locations)} locations")
            for loc in locations:
                physical = loc["physicalLocation"]
                artifact = physical["artifactLocation"]
                uri = artifact["uri"]
                if "uriBaseId" in artifact:
                    if "://" in uri or uri.startswith("/") or uri.startswith("../"):
                        problems.append(f"relative URI expected with uriBaseId: {uri}")
                    if bases and artifact["uriBaseId"] not in bases:
                        problems.append(f"undeclared uriBaseId {artifact['uriBaseId']}")
                elif not uri.startswith("file:///"):
                    problems.append(
                        f"neither relative to %SRCROOT% nor an absolute file URI: {uri}"
                    )
                if physical.get("region", {}).get("startLine", 0) < 1:
                    problems.append(f"{uri}: no start line")
    return problems


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(
        require_shared("conformance", "sarif", "sarif-schema-2.1.0.json").read_text()
    )
    return jsonschema.Draft4Validator(schema)


def test_sarif_paths_are_relative_to_the_repository_even_when_given_absolute(
    golden, sarif_validator, tmp_path
):
    root = tmp_path / "repo"
    options = RenderOptions(
        robots_file=str(root / "public" / "robots.txt"),
        source_root=str(root),
        working_dir=str(root / "site"),
    )
    data = json.loads(golden.to_json())
    data["policy"]["path"] = str(root / "config" / "rules.yaml")
    document = json.loads(get_reporter("sarif").render(AuditResult.model_validate(data), options))
    assert not sorted(sarif_validator.iter_errors(document), key=str)
    assert not github_sarif_problems(document)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in document["runs"][0]["results"]
        for loc in r["locations"]
    }
    assert uris == {"public/robots.txt", "config/rules.yaml"}
    assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{root}/"
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"].startswith("https://") for r in rules)
    assert "informationUri" not in document["runs"][0]["tool"]["driver"]  # no made-up project URL
    outside = get_reporter("sarif").render(
        golden, RenderOptions(robots_file="/etc/robots.txt", source_root=str(root))
    )
    assert not github_sarif_problems(json.loads(outside))


def test_sarif_keeps_the_most_severe_25000_results(golden, sarif_validator):
    data = json.loads(golden.to_json())
    template = data["findings"]
    many = []
    for i in range(26_000):
        finding = dict(template[i % len(template)])
        finding["fingerprint"] = f"{i:016x}"
        finding["severity"] = "error" if i < 100 else "info"
        many.append(finding)
    data["findings"] = many
    document = json.loads(
        get_reporter("sarif").render(AuditResult.model_validate(data), RenderOptions())
    )
    run = document["runs"][0]
    assert len(run["results"]) == 25_000 and run["properties"]["resultsLeftOut"] == 1_000
    assert sum(1 for r in run["results"] if r["level"] == "error") == 100
    assert "left out" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert not github_sarif_problems(document)
    assert not sorted(sarif_validator.iter_errors(_one_result_per_shape(document)), key=str)


def _one_result_per_shape(document: dict) -> dict:
    """The document with one result for each group that differs only in its fingerprints.

    Those strings are all the schema's `partialFingerprints` string values, so each group
    validates alike: checking ~100 results instead of 25,000 saves ~5 CPU-seconds."""
    shapes: dict[str, dict] = {}
    for result in document["runs"][0]["results"]:
        key = json.dumps({k: v for k, v in result.items() if k != "partialFingerprints"})
        shapes.setdefault(key, result)
    run = dict(document["runs"][0], results=list(shapes.values()))
    return dict(document, runs=[run])


# -- annotations -------------------------------------------------------------------------


def test_annotations_are_grouped_capped_and_reach_the_log_with_an_output_dir(cli, golden, tmp_path):
    data = json.loads(golden.to_json())
    data["findings"] = [
        dict(
            f,
            rule=f"XX{i:03d}",
            fingerprint=f"{i:016x}",
            severity=("error", "warning")[i % 2],
            waived=False,
        )
        for i, f in enumerate(data["findings"] * 6)
    ]
    text = get_reporter("github").render(AuditResult.model_validate(data), RenderOptions())
    lines = text.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert "more finding(s) in the SARIF and Markdown reports" in lines[-1]
    out = cli(
        "report",
        str(GOLDEN),
        "-f",
        "github,sarif",
        "-o",
        str(tmp_path / "out"),
        "--fail-on",
        "never",
    )
    assert out.code == 0
    assert any(line.startswith("::error file=") for line in out.stdout.splitlines())
    assert (tmp_path / "out" / "seoaudit.txt").read_text() in out.stdout


# -- JUnit through junitparser -----------------------------------------------------------


def test_junit_as_a_ci_test_tab_reads_it(golden, tmp_path):
    from junitparser import Failure, JUnitXml

    for fail_on, expect_failures in (("never", False), ("warning", True)):
        data = json.loads(golden.to_json())
        data["gate"]["fail_on"] = fail_on
        path = tmp_path / f"{fail_on}.xml"
        path.write_text(
            get_reporter("junit").render(AuditResult.model_validate(data), RenderOptions())
        )
        xml = JUnitXml.fromfile(str(path))
        suites = list(xml)
        assert suites and all(
            s.timestamp == golden.started_at and float(s.time) == 15.0 for s in suites
        )
        failures = [r for s in suites for c in s for r in c.result if isinstance(r, Failure)]
        assert bool(failures) == expect_failures
        if failures:
            text = failures[0].text or ""
            assert "{'kind'" not in text and "Evidence:" in text
            assert "→" in text or "robots.txt line" in text  # request → response, quoted lines
        else:
            outputs = [c.system_out for s in suites for c in s if c.system_out]
            assert outputs and all("does not gate" in o for o in outputs)


# -- GitLab Code Quality -----------------------------------------------------------------


def test_gitlab_code_quality_report(golden, tmp_path):
    text = get_reporter("gitlab").render(
        golden,
        RenderOptions(robots_file=str(tmp_path / "public/robots.txt"), source_root=str(tmp_path)),
    )
    issues = json.loads(text)
    assert len(issues) == sum(1 for f in golden.findings if not f.waived)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert (
            not issue["location"]["path"].startswith("/")
            and issue["location"]["lines"]["begin"] >= 1
        )
    assert {i["location"]["path"] for i in issues} <= {"public/robots.txt", "rules.yaml"}


# -- pre-commit --------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = _run("git", "-C", str(repo), *args, env=env)
    assert done.returncode == 0, done.stderr


def test_pre_commit_runs_the_hooks_on_a_repository_with_two_robots_files(tmp_path):
    """Our .pre-commit-hooks.yaml through pre-commit itself: its file matching, how it passes
    several filenames and appends args. The hook environment is the already installed
    seoaudit (language: system) so the test does not install the package again."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "site"
    (repo / "public").mkdir(parents=True)
    (repo / "docs").mkdir()
    good = "User-agent: *\nDisallow: /admin/\n"
    (repo / "public" / "robots.txt").write_text(good)
    (repo / "docs" / "robots.txt").write_text(good)
    (repo / "urls.txt").write_text("/products/shoe\n/admin/x\n")
    (repo / "rules.yaml").write_text(
        "bots: {required: [googlebot], wanted: [], blocked: []}\npaths: {must_index: ['/products/']}\n"
    )
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    local = []
    for hook in hooks:
        hook = dict(hook, language="system", entry=f"{Path(SEOAUDIT).parent}/{hook['entry']}")
        if hook["id"] == "seoaudit-robots-diff":
            hook["args"] = ["--urls", "urls.txt", "--policy", "rules.yaml"]
        local.append(hook)
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]})
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "site")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    clean = _run(*pre_commit, cwd=repo, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.count("Passed") == 3
    (repo / "docs" / "robots.txt").write_text(good + "Disallow: /products/\n")  # breaks must_index
    (repo / "public" / "robots.txt").write_text(good + "Dissalow: /tmp/\n")  # a typo Google accepts
    _git(repo, "add", ".")
    broken = _run(sys.executable, "-m", "pre_commit", "run", cwd=repo, env=env)
    assert broken.returncode == 1
    assert "RB002" in broken.stdout and "docs/robots.txt" in broken.stdout
    assert not list(Path("/tmp").glob("seoaudit-robots-head*"))  # nothing written outside


# -- packaging ---------------------------------------------------------------------------


def _declared_setuptools() -> str:
    import tomllib

    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    spec = next(r for r in requires if r.startswith("setuptools"))
    return spec.split(">=")[1].split(",")[0].strip()


def _pip_into(python: str, *args: str) -> subprocess.CompletedProcess:
    """`pip install ARGS` into the venv of `python` by this pip (``--python``): the venvs
    get no pip of their own (ensurepip costs ~4.5 CPU-seconds each) and the install is the
    same. Nothing is byte-compiled ahead: the commands below import what they run."""
    return _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile", *args
    )


def test_the_package_builds_at_its_declared_minimum_and_installs_in_a_fresh_venv(tmp_path):
    """Needs PyPI (setuptools at the declared minimum, the runtime dependencies)."""
    minimum = _declared_setuptools()
    source = tmp_path / "src"
    listed = _run("git", "-C", str(REPO_ROOT), "ls-files", "-z")
    for name in listed.stdout.split("\0"):
        if name and (REPO_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, source / name)
    builder = tmp_path / "builder"
    venv.create(builder, with_pip=False)
    bpy = str(builder / "bin" / "python")
    pinned = f"setuptools=={minimum}" if minimum.count(".") == 2 else f"setuptools=={minimum}.0"
    got = _pip_into(bpy, pinned, "build")
    if got.returncode != 0 and "No matching distribution" not in got.stderr:
        reason = f"cannot reach the package index: {got.stderr[-200:]}"
        if os.environ.get("SEOAUDIT_REQUIRE_SHARED"):  # .ci/run: the index is part of CI
            pytest.fail(reason)
        pytest.skip(reason)
    assert got.returncode == 0, got.stderr
    built = _run(
        bpy, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("*.whl"))
    sdist = next((tmp_path / "dist").glob("*.tar.gz"))
    assert wheel.name.startswith("seoaudit_crawl-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("dist-info/METADATA"))).decode()
    assert "Name: seoaudit-crawl" in metadata and "License-Expression: MIT" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("/LICENSE") for m in members)
    stale = [m for m in members if ".egg-info" in m and "seoaudit_crawl.egg-info" not in m]
    assert not stale  # only setuptools' own metadata for this build, nothing from a work tree
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=False)
    fpy = str(fresh / "bin" / "python")
    installed = _pip_into(fpy, "-c", str(REPO_ROOT / "requirements.lock"), str(wheel))
    assert installed.returncode == 0, installed.stderr[-2000:]
    version = _run(str(fresh / "bin" / "seoaudit"), "--version")
    assert version.returncode == 0 and "seoaudit" in version.stdout
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /x\n")
    check = _run(str(fresh / "bin" / "seoaudit"), "robots", "test", str(robots), "/x", "-f", "json")
    assert json.loads(check.stdout)[0]["allowed"] is False
    imported = _run(
        fpy, "-c", "import seoaudit, importlib.metadata as m; print(m.version('seoaudit-crawl'))"
    )
    assert imported.stdout.strip() == "0.1.0"


# -- conventions -------------------------------------------------------------------------


def test_policy_discovery_in_the_working_directory_and_at_the_git_root(tmp_path):
    repo = tmp_path / "repo"
    sub = repo / "site" / "deep"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()  # a work tree's marker is all discovery looks for
    snapshot_dir = tmp_path / "empty"
    snapshot_dir.mkdir()
    (repo / "seoaudit.yaml").write_text(
        "bots: {required: [googlebot], wanted: [], blocked: []\n"
    )  # broken
    found = _run(SEOAUDIT, "policy", "check", cwd=sub)
    assert found.returncode == 2
    assert "using the policy" in found.stderr and "seoaudit.yaml" in found.stderr
    (sub / "rules.yaml").write_text("bots: {required: [googlebot], wanted: [], blocked: []}\n")
    here = _run(SEOAUDIT, "policy", "check", cwd=sub)
    assert here.returncode == 0 and "rules.yaml: ok" in here.stdout
    assert "using the policy rules.yaml" in here.stderr
    none = _run(SEOAUDIT, "policy", "check", cwd=snapshot_dir)
    assert none.returncode == 2 and "no policy given" in none.stderr


def test_report_files_follow_the_umask(tmp_path):
    out = tmp_path / "r"
    done = _run(
        "bash",
        "-c",
        f'umask 022 && "{SEOAUDIT}" report "{GOLDEN}" -f sarif,junit -o "{out}" --fail-on never',
    )
    assert done.returncode == 0, done.stderr
    for name in ("seoaudit.sarif", "seoaudit.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644
    done = _run(
        "bash",
        "-c",
        f'umask 077 && "{SEOAUDIT}" report "{GOLDEN}" -f sarif,junit -o "{out / "x"}" --fail-on never',
    )
    assert stat.S_IMODE((out / "x" / "seoaudit.sarif").stat().st_mode) == 0o600


def test_shell_completion_script():
    done = _run(SEOAUDIT, "--show-completion", "bash", env={**os.environ, "SHELL": "/bin/bash"})
    assert done.returncode == 0 and "complete" in done.stdout and "seoaudit" in done.stdout.lower()
    words = _run(
        SEOAUDIT,
        env={
            **os.environ,
            "_SEOAUDIT_COMPLETE": "complete_bash",
            "COMP_WORDS": "seoaudit rob",
            "COMP_CWORD": "1",
        },
    )
    assert "robots" in words.stdout


def test_every_option_has_help_and_a_plain_metavar(cli):
    import typer

    from seoaudit.cli.commands import COMMANDS
    from seoaudit.cli.main import app

    root = typer.main.get_command(app)
    context = typer.Context(root)
    quiet_meanings: set[str] = set()
    checked = 0

    def walk(command, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        nonlocal checked
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.opts}: no help"
            if "-q" in param.opts:
                quiet_meanings.add(param.help)
        shown = cli(*path, "--help")
        assert shown.code == 0, shown.stderr
        for bad in ("<str>", "<list[", "<path>", "<int", "<float"):  # Python types as metavars
            assert bad not in shown.stdout, f"{' '.join(path)} --help shows {bad}:\n{shown.stdout}"
        checked += 1
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    for name in COMMANDS:
        walk(root.get_command(context, name), [name])
    assert checked >= len(COMMANDS) + 6
    assert len(quiet_meanings) == 1, quiet_meanings  # -q means one thing everywhere


def test_audit_with_no_arguments_uses_the_policy_it_finds(cli, tmp_path, monkeypatch):
    with ScenarioServer(scenario(SITE)) as server:
        (tmp_path / "rules.yaml").write_text(f"site: {{start: '{server.url}'}}\n" + POLICY)
        monkeypatch.chdir(tmp_path)
        run = cli("audit", "-f", "json", "-o", str(tmp_path / "r.json"), "-q")
    assert run.code == 1, run.stderr  # the planted RB002 gates
    assert "using the policy rules.yaml" in run.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["policy"]["path"] == "rules.yaml" and result["site"].startswith(server.url)


MULTITOOL = REPO_ROOT / ".ci" / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux"


def test_microsofts_sarif_multitool_with_githubs_ingestion_rules_accepts_our_sarif(
    golden, tmp_path
):
    """The real consumer's check: `Sarif.Multitool validate --rule-kind "Sarif;Gh"` (the rules
    GitHub code scanning applies at upload). .ci/run installs it from the npm registry."""
    tool = Path(os.environ.get("SEOAUDIT_SARIF_MULTITOOL", MULTITOOL / "Sarif.Multitool"))
    if not tool.exists():
        reason = f"the SARIF multitool is not installed at {tool} (.ci/run installs it with npm)"
        if os.environ.get("SEOAUDIT_REQUIRE_SARIF_MULTITOOL"):
            pytest.fail(reason + " — SEOAUDIT_REQUIRE_SARIF_MULTITOOL is set, so this is an error")
        pytest.skip(reason)
    root = tmp_path / "repo"
    data = json.loads(golden.to_json())
    data["policy"]["path"] = str(root / "config" / "rules.yaml")  # absolute, as CI passes it
    options = RenderOptions(robots_file=str(root / "public" / "robots.txt"), source_root=str(root))
    sarif = tmp_path / "seoaudit.sarif"
    sarif.write_text(get_reporter("sarif").render(AuditResult.model_validate(data), options))
    verdict = tmp_path / "validation.sarif"
    run = subprocess.run(
        [str(tool), "validate", "--rule-kind", "Sarif;Gh", "-o", str(verdict), str(sarif)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )
    assert verdict.exists(), run.stdout + run.stderr
    results = json.loads(verdict.read_text())["runs"][0].get("results", [])
    # SARIF2005 asks for tool.driver.informationUri: there is no project page to point at yet
    problems = [
        f"{r['ruleId']} {r.get('level', 'warning')}: {r['message'].get('text', r['message'])}"
        for r in results
        if r["ruleId"] != "SARIF2005"
    ]
    assert not problems, "\n".join(problems)
