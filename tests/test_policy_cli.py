"""Policy loading through the real CLI: every malformed input is a positioned error, never a traceback."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from seoaudit.policy import default_policy, load_policy
from tests.conftest import REPO_ROOT, require_shared


def check(cli, tmp_path, content: str | bytes, name: str = "rules.yaml"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("policy", "check", str(path))
    assert "Traceback" not in result.stdout + result.stderr
    return result, result.stdout + result.stderr


def test_empty_file_is_a_valid_policy_with_every_default(cli, tmp_path):
    result, _ = check(cli, tmp_path, "")
    assert result.code == 0
    policy = default_policy()
    assert policy.bots.required == ["googlebot", "bingbot"]
    assert policy.crawl.max_rps == 5.0 and policy.rate.probe is False
    assert policy.paths.must_index == ["/"]


def test_the_repository_policy_is_valid(cli):
    assert cli("policy", "check", str(REPO_ROOT / "rules.yaml")).code == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "bots:\n  requried: [googlebot]\n",
            'rules.yaml:2:3: bots.requried: unknown key (did you mean "required"?)',
        ),
        (
            "crawl:\n  max_rps: fast\n",
            "rules.yaml:2:3: crawl.max_rps: Input should be a valid number",
        ),
        ("crawl:\n  max_rps: 5\n  max_rps: 6\n", "rules.yaml:3:3: crawl.max_rps: duplicate key"),
        (
            "bots:\n  required: [googelbot]\n",
            'rules.yaml:2:14: bots.required[0]: unknown bot "googelbot" (did you mean "googlebot"?)',
        ),
        ("paths:\n  must_index: [products]\n", "rules.yaml:2:16: paths.must_index[0]:"),
        ("waivers:\n  - {rule: RB002, owner: seo, expires: 2099-01-01}\n", "waivers[0].reason"),
        ("waivers:\n  - {rule: RB002, owner: seo, reason: x, expires: 2020-01-01}\n", "expired"),
        (
            "waivers:\n  - {rule: RB002, owner: seo, reason: x, expires: someday}\n",
            "waivers[0].expires",
        ),
        ("crawl: [1, 2]\n", "rules.yaml:1:1: crawl:"),
        ("bots: {required: [googlebot]\n", "rules.yaml:"),
        ("- just\n- a list\n", "rules.yaml:1:1:"),
        ("rate:\n  probe_max_rps: 500\n", "rate.probe_max_rps"),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "duplicate",
        "unknown-bot",
        "bad-pattern",
        "waiver-no-reason",
        "waiver-expired",
        "bad-date",
        "section-type",
        "malformed-yaml",
        "not-a-mapping",
        "probe-ceiling",
    ],
)
def test_each_malformed_policy_is_a_positioned_error_exit_2(cli, tmp_path, content, expected):
    result, output = check(cli, tmp_path, content)
    assert result.code == 2
    assert expected in output, output


def test_all_errors_are_collected_one_per_line(cli, tmp_path):
    result, output = check(
        cli, tmp_path, "bots:\n  requried: [x]\ncrawl:\n  max_rps: -1\n  concurency: 3\n"
    )
    assert result.code == 2
    lines = [line for line in output.splitlines() if "rules.yaml:" in line]
    assert len(lines) == 3, output


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02\xff\xfe binary",
        b"\xff\xfe\x00b\x00o\x00t\x00s",
        "a: &a [x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
    ],
    ids=["binary", "utf16", "alias-bomb"],
)
def test_hostile_files_are_refused_cleanly(cli, tmp_path, content):
    result, output = check(cli, tmp_path, content)
    assert result.code == 2 and "rules.yaml" in output


def test_missing_file_and_directory(cli, tmp_path):
    missing = cli("policy", "check", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "not found" in (missing.stdout + missing.stderr).lower()
    directory = cli("policy", "check", str(tmp_path))
    assert directory.code == 2 and "Traceback" not in directory.stderr


def test_huge_file_is_refused(cli, tmp_path):
    result, output = check(cli, tmp_path, "# " + "x" * (3 * 1024 * 1024) + "\n")
    assert result.code in (0, 2) and "Traceback" not in output


def test_env_expansion_and_missing_variables(tmp_path, monkeypatch):
    path = tmp_path / "rules.yaml"
    path.write_text("crawl:\n  headers: {Authorization: 'Bearer ${STAGING_TOKEN}'}\n")
    monkeypatch.setenv("STAGING_TOKEN", "s3cret")
    policy = load_policy(str(path))
    assert policy.crawl.headers["Authorization"] == "Bearer s3cret"
    assert "Bearer s3cret" in policy.secret_values() or "s3cret" in policy.secret_values()


def test_schema_is_valid_json_schema_and_accepts_the_repository_policy(cli):
    result = cli("policy", "schema")
    assert result.code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load((REPO_ROOT / "rules.yaml").read_text())
    data["waivers"] = []
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(data, default=str)))


def test_policy_init_writes_a_checkable_starter(cli, tmp_path):
    result = cli("policy", "init", "https://www.example.com/")
    assert result.code == 0
    starter = tmp_path / "rules.yaml"
    starter.write_text(result.stdout)
    assert load_policy(str(starter)).site.hosts == ["www.example.com"]


def test_registry_ships_every_bot_from_the_shared_reference(cli):
    from seoaudit.registry import load_registry

    shared = yaml.safe_load(require_shared("reference", "bots.yaml").read_text())
    entries = shared["bots"] if isinstance(shared, dict) and "bots" in shared else shared
    registry = load_registry()
    for entry in entries:
        token = (entry.get("id") or entry.get("token")).lower()
        bot = registry.get(token)
        assert bot is not None, token
        assert bot.id == bot.id.lower() and bot.user_agent
    assert registry.get("Googlebot") is registry.get("googlebot")
    listed = cli("bots", "-f", "json")
    assert listed.code == 0
    assert {b["id"] for b in json.loads(listed.stdout)} >= {"googlebot", "bingbot", "gptbot"}


def test_custom_bots_resolve_through_the_policy(tmp_path):
    from seoaudit.registry import load_registry

    path = tmp_path / "rules.yaml"
    path.write_text(
        "bots:\n  required: [acmebot]\n  custom:\n    acmebot: {user_agent: 'AcmeBot/1.0'}\n"
    )
    policy = load_policy(str(path))
    bot = load_registry().resolve("acmebot", policy.bots.custom)
    assert bot is not None and bot.user_agent == "AcmeBot/1.0"
