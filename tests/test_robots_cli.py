"""`seoaudit robots test|lint|diff` as an engineer and as a pre-deploy gate would use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seoaudit.scenarios import ScenarioServer, load_scenario

OLD = """User-agent: *
Disallow: /admin/
Disallow: /search

User-agent: Googlebot
Disallow: /admin/

Sitemap: https://shop.example/sitemap.xml
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_robots_test_names_the_deciding_line_and_group_per_agent(cli, tmp_path):
    robots = write(tmp_path, "robots.txt", OLD)
    out = cli("robots", "test", robots, "-a", "googlebot", "-a", "bingbot", "-f", "json",
              "https://shop.example/search?q=x", "/admin/users")  # fmt: skip
    assert out.code == 0
    rows = {(r["agent"], r["url"].rsplit("/", 1)[-1]): r for r in json.loads(out.stdout)}
    google = rows[("googlebot", "search?q=x")]
    assert google["allowed"] is True and google["group"] == ["Googlebot"]
    bing = rows[("bingbot", "search?q=x")]
    assert bing["allowed"] is False and bing["line"] == 3 and bing["rule"] == "Disallow: /search"
    assert rows[("googlebot", "users")]["line"] == 6
    text = cli("robots", "test", robots, "/search")
    assert text.code == 0 and "allowed" in text.stdout.lower()


def test_robots_test_over_http_from_a_local_server(cli):
    scenario = load_scenario({"name": "r", "origins": {"main": {"routes": [
        {"path": "/robots.txt", "response": {"body": OLD, "content_type": "text/plain"}}]}}})  # fmt: skip
    with ScenarioServer(scenario) as server:
        out = cli(
            "robots", "test", server.url + "robots.txt", "-f", "json", "-a", "bingbot", "/search"
        )
    assert out.code == 0 and json.loads(out.stdout)[0]["allowed"] is False


@pytest.mark.parametrize(
    ("text", "code", "needle"),
    [
        ("User-agent: *\nDissalow: /x\n", 0, "Dissalow"),
        ("Disallow: /outside\nUser-agent: *\nDisallow: /x\n", 0, "outside"),
        ("User-agent: *\nDisallow: x/y\n", None, "/"),
        ("User-agent: *\nNoindex: /x\n", 0, "noindex"),
        ("User-agent: bingbot\nCrawl-delay: 20\n", 0, "Crawl-delay"),
        ("\ufeffUser-agent: *\nDisallow: /x\n", 0, "BOM"),
    ],
    ids=["typo", "outside-group", "bad-path", "unsupported-field", "crawl-delay", "bom"],
)
def test_lint_reports_each_kind(cli, tmp_path, text, code, needle):
    out = cli("robots", "lint", write(tmp_path, "robots.txt", text))
    assert needle.lower() in out.stdout.lower(), out.stdout
    if code is not None:
        assert out.code == code


def test_lint_fails_on_errors_and_passes_a_clean_file(cli, tmp_path):
    clean = cli("robots", "lint", write(tmp_path, "ok.txt", OLD))
    assert clean.code == 0
    huge = "User-agent: *\n" + "".join(f"Disallow: /p/{i:07d}/\n" for i in range(30_000))
    bad = cli("robots", "lint", write(tmp_path, "huge.txt", huge))
    assert bad.code == 1 and "500" in bad.stdout


def test_diff_is_a_pre_deploy_gate(cli, tmp_path):
    old = write(tmp_path, "old.txt", OLD)
    new = write(
        tmp_path,
        "new.txt",
        OLD.replace(
            "Disallow: /admin/\n\nSitemap", "Disallow: /admin/\nDisallow: /products/\n\nSitemap"
        ),
    )
    urls = write(
        tmp_path,
        "urls.txt",
        "https://shop.example/products/shoe-1\nhttps://shop.example/about\n/search\n",
    )
    policy = write(
        tmp_path,
        "rules.yaml",
        "bots: {required: [googlebot], wanted: [], blocked: [gptbot]}\npaths: {must_index: ['/products/']}\n",
    )
    out = cli("robots", "diff", old, new, "--urls", urls, "--policy", policy, "-f", "json")
    assert out.code == 1, out.stdout + out.stderr
    data = json.loads(out.stdout)
    text = json.dumps(data)
    assert "RB002" in text and "/products/shoe-1" in text
    same = cli("robots", "diff", old, old, "--urls", urls, "--policy", policy)
    assert same.code == 0


def test_diff_catches_a_blocked_bot_let_in(cli, tmp_path):
    old = write(tmp_path, "old.txt", "User-agent: GPTBot\nDisallow: /\n\n" + OLD)
    new = write(tmp_path, "new.txt", OLD)
    urls = write(tmp_path, "urls.txt", "/about\n")
    policy = write(
        tmp_path, "rules.yaml", "bots: {required: [googlebot], wanted: [], blocked: [gptbot]}\n"
    )
    out = cli("robots", "diff", old, new, "--urls", urls, "--policy", policy, "-f", "json")
    assert out.code == 1 and "RB009" in out.stdout
    never = cli(
        "robots", "diff", old, new, "--urls", urls, "--policy", policy, "--fail-on", "never"
    )
    assert never.code == 0


def test_diff_reads_a_sitemap_as_the_url_list(cli, tmp_path):
    sitemap = write(tmp_path, "sitemap.xml", '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    "<url><loc>https://shop.example/search</loc></url></urlset>")  # fmt: skip
    old = write(tmp_path, "old.txt", OLD)
    new = write(tmp_path, "new.txt", OLD.replace("Disallow: /search\n", ""))
    out = cli("robots", "diff", old, new, "--urls", sitemap, "-a", "bingbot", "-f", "json")
    assert out.code == 0 and "search" in out.stdout


@pytest.mark.parametrize("args", [
    ("robots", "test", "/nope/robots.txt", "/x"),
    ("robots", "lint", "/nope/robots.txt"),
    ("robots", "diff", "/nope/a", "/nope/b", "--urls", "/nope/urls"),
])  # fmt: skip
def test_missing_files_are_clear_errors(cli, args):
    out = cli(*args)
    assert out.code == 2 and "Traceback" not in out.stderr


def test_empty_url_list_and_binary_robots(cli, tmp_path):
    empty = write(tmp_path, "urls.txt", "")
    robots = write(tmp_path, "robots.txt", OLD)
    out = cli("robots", "diff", robots, robots, "--urls", empty, "-a", "googlebot")
    assert out.code == 2 and "Traceback" not in out.stderr
    binary = write(tmp_path, "bin.txt", b"\x00\xff\xfe\x01" * 100)
    lint = cli("robots", "lint", binary)
    assert lint.code in (0, 1, 2) and "Traceback" not in lint.stderr
