"""The command line as a whole: version, help, the command table, lazy loading, colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer

from seoaudit import __version__
from seoaudit.cli.commands import COMMANDS
from tests.conftest import REPO_ROOT


def test_version(cli):
    for flag in ("--version", "-V"):
        result = cli(flag)
        assert result.code == 0
        assert __version__ in result.stdout


def test_unknown_command_is_a_usage_error(cli):
    result = cli("no-such-command")
    assert result.code == 2
    assert "No such command" in result.stderr


def test_help_lists_every_command_from_the_table(cli):
    result = cli("--help")
    assert result.code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.stdout
    assert "--install-completion" in result.stdout  # shell completion (Typer's own)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_table_help_matches_the_command_and_every_module_command_is_listed(name):
    import importlib

    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    group = typer.main.get_group(module.app)
    assert set(group.commands) <= set(COMMANDS), "a command defined but not in COMMANDS"
    command = group.commands[name]
    assert (command.help or "").strip().splitlines()[0] == entry.help


def _modules_loaded_by(*args: str) -> set[str]:
    code = (
        "import sys\nfrom seoaudit.cli.main import run\n"
        f"try:\n    run({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    return set(done.stderr.split("\n"))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("robots", "--help")])
def test_version_and_help_load_no_command_module(args):
    loaded = _modules_loaded_by(*args)
    assert "typer" in loaded
    heavy = {
        "rich",
        "pydantic",
        "yaml",
        "httpx",
        "lxml",
        "seoaudit.cli.audit_cmd",
        "seoaudit.cli.logs_cmd",
    }
    assert not heavy & loaded, heavy & loaded


def test_robots_test_loads_only_its_own_module(tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /x\n")
    loaded = _modules_loaded_by("robots", "test", str(robots), "/x", "-f", "json")
    assert "seoaudit.cli.robots_cmd" in loaded
    assert not {"rich", "httpx", "lxml", "seoaudit.cli.audit_cmd", "seoaudit.rules"} & loaded


def test_force_color_and_no_color(tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDissalow: /x\n")  # a typo: a coloured warning
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    run = [sys.executable, "-m", "seoaudit", "robots", "lint", str(robots)]
    plain = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    forced = subprocess.run(
        run, capture_output=True, text=True, env={**env, "FORCE_COLOR": "1"}, timeout=60
    )
    both = subprocess.run(
        run,
        capture_output=True,
        text=True,
        env={**env, "FORCE_COLOR": "1", "NO_COLOR": "1"},
        timeout=60,
    )
    assert "\x1b[" not in plain.stdout  # a pipe: no colour
    assert "\x1b[" in forced.stdout  # FORCE_COLOR: colour in a pipe (CI logs)
    assert "\x1b[" not in both.stdout  # NO_COLOR wins


def test_robots_test_reads_urls_from_a_file_and_stdin_and_writes_rows(tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /private\nAllow: /private/ok$\n")
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# checked before a deploy\n/private/x\n\nhttps://h.example/private/ok\n/public\n"
    )
    run = [sys.executable, "-m", "seoaudit", "robots", "test", str(robots), "--urls"]
    rows = subprocess.run([*run, str(urls)], capture_output=True, text=True, timeout=60)
    assert rows.returncode == 0, rows.stderr
    lines = rows.stdout.splitlines()  # not a terminal: one tab-separated row per check
    assert [line.split("\t")[0] for line in lines] == ["DISALLOWED", "allowed", "allowed"]
    assert lines[0].split("\t")[3:5] == ["2", "Disallow: /private"]
    piped = subprocess.run(
        [*run, "-", "-f", "jsonl", "-a", "googlebot", "-a", "bingbot"],
        input=urls.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    objects = [json.loads(line) for line in piped.stdout.splitlines()]
    assert (
        len(objects) == 6
        and objects[0]["agent"] == "googlebot"
        and objects[1]["agent"] == "bingbot"
    )
    assert objects[2]["allowed"] is True and objects[2]["rule"] == "Allow: /private/ok$"
    listed = subprocess.run(
        [*run, str(urls), "-f", "json"], capture_output=True, text=True, timeout=60
    )
    assert [r["allowed"] for r in json.loads(listed.stdout)] == [False, True, True]


def test_robots_test_usage_errors(cli, tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /x\n")
    none = cli("robots", "test", str(robots))
    assert none.code == 2 and "--urls" in none.stderr
    several = cli("robots", "test", str(robots), "/x", "-f", "json,jsonl")
    assert several.code == 2 and "one format" in several.stderr
    missing = cli("robots", "test", str(robots), "--urls", str(tmp_path / "nope.txt"))
    assert missing.code == 2 and "Traceback" not in missing.stderr


def test_robots_test_makes_escape_sequences_visible(cli, tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_bytes(b"User-agent: *\nDisallow: /x\x1b[31m\n")
    out = cli("robots", "test", str(robots), "/x\x1b[31m")
    assert "\x1b" not in out.stdout and "\\x1b" in out.stdout
