"""Every suggested fix pastes into its file and works, checked with the real parser.

robots.txt blocks are appended to the demo shop's real robots.txt and re-read with the
project's parser (the flagged URL opens, nothing else changes); nginx snippets pass
`nginx -t` and a running nginx really answers 403 to a spoofed crawler, serves a verified
one, and answers 429 with Retry-After over the limit; the ModSecurity exclusion passes
`apache2 -t` with mod_security2 loaded; AWS WAF rules validate against botocore's WAFv2
model. Cloudflare has no public parser: its expressions get a structural check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from seoaudit.fixconfig import RANGES_FILE_LIST, RANGES_FILE_NGINX, configs_for
from seoaudit.result import AuditResult, ConfigSnippet, Evidence, Subject
from seoaudit.robots_txt import RobotsTxt
from seoaudit.scenarios import ScenarioServer, load_scenario
from tests.conftest import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden" / "demo_result.json"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
APACHE = shutil.which("apache2") or (
    "/usr/sbin/apache2" if Path("/usr/sbin/apache2").exists() else None
)
MOD_SECURITY = Path("/usr/lib/apache2/modules/mod_security2.so")


def _need(binary: str | None, env: str, what: str) -> str:
    """The binary, or skip (fail under .ci/run, which installs it)."""
    if binary:
        return binary
    if os.environ.get(env):
        pytest.fail(f"{env} is set but {what} is missing")
    pytest.skip(f"{what} is not installed (.ci/run installs it with apt-get)")


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return AuditResult.from_json(GOLDEN.read_text())


@pytest.fixture(scope="module")
def demo_robots() -> bytes:
    with ScenarioServer(load_scenario("demo")) as server:
        return httpx.get(server.url + "robots.txt", headers={"User-Agent": "Googlebot"}).content


def _snippets(result: AuditResult, target: str) -> list[tuple[str, ConfigSnippet]]:
    return [(f.rule, c) for f in result.findings for c in f.fix.configs if c.target == target]


def _path(url: str | None) -> str:
    return "/" + url.split("/", 3)[3] if url else "/"


# -- robots.txt ------------------------------------------------------------------------------


def test_robots_blocks_are_code_and_do_exactly_what_they_say(result, demo_robots):
    before = RobotsTxt.parse(demo_robots)
    paths = {_path(f.subject.url) for f in result.findings if f.subject.url}
    paths |= {"/", "/admin/x", "/search", "/assets/js/app.js", "/blog/post-1"}
    checked = set()
    for f in result.findings:
        for snippet in f.fix.configs:
            if snippet.target != "robots.txt":
                continue
            assert snippet.language == "robotstxt" and "\n" in snippet.code.strip()
            assert all(":" in line for line in snippet.code.strip().splitlines())
            after = RobotsTxt.parse(demo_robots + b"\n" + snippet.code.encode())
            bot, target = f.subject.bot, _path(f.subject.url)
            if f.rule in ("RB002", "RB006"):
                assert not before.check(bot, target).allowed and after.check(bot, target).allowed
                expected = {target}
            else:  # RB009: the blocked bot is shut out of the whole site
                assert after.check(bot, "/").allowed is False
                expected = {p for p in paths if before.check(bot, p).allowed}
            for other_bot in ("googlebot", "bingbot", "gptbot", "oai-searchbot"):
                for path in paths:
                    changed = (
                        before.check(other_bot, path).allowed
                        != after.check(other_bot, path).allowed
                    )
                    if changed:  # only the finding's own bot and URL(s) may flip
                        assert other_bot == bot and path in expected, (f.rule, other_bot, path)
            checked.add(f.rule)
    assert checked == {"RB002", "RB006", "RB009"}


def test_a_robots_block_never_moves_a_bot_out_of_the_wildcard_group():
    star = Evidence(kind="robots_line", group=["*"], line=3, rule="Disallow: /x")
    [snippet] = configs_for(
        "RB002", "robots_txt", Subject(url="https://h/x/1", bot="bingbot"), [star]
    )
    assert snippet.code.startswith("User-agent: *\n")  # merges into '*', does not replace it
    robots = b"User-agent: *\nDisallow: /x\nDisallow: /private\n"
    after = RobotsTxt.parse(robots + snippet.code.encode())
    assert after.check("bingbot", "/x/1").allowed and not after.check("bingbot", "/private").allowed


def test_unsafe_paths_get_no_snippet():
    for url in ("https://h/a b", "https://h/a*b", "https://h/a$b", "https://h/ä"):
        assert configs_for("RB002", "robots_txt", Subject(url=url, bot="googlebot"), []) == []


# -- vendor choice -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "targets"),
    [
        (["cf-mitigated: challenge", "Server: cloudflare"], ["cloudflare"]),
        (["x-amzn-waf-action: captcha"], ["aws-waf"]),
        (["Server: AkamaiGHost"], []),  # no config we can vouch for: the steps say what to do
        (["Server: nginx/1.22.1"], ["nginx", "nginx"]),
        (["Server: Apache/2.4.62"], ["modsecurity"]),
        (["Server: scenario"], ["nginx", "nginx", "modsecurity"]),
    ],
)
def test_the_protection_in_the_evidence_picks_the_config(headers, targets):
    ev = Evidence(kind="exchange", role="bot", url="https://h/p", status=403, headers=headers)
    found = configs_for("CH002", "waf_block", Subject(url="https://h/p", bot="googlebot"), [ev])
    assert [c.target for c in found] == targets
    assert all(c.still_stops for c in found if c.context != "http")


def test_rate_limits_and_robots_txt_get_their_own_configs():
    ev = Evidence(kind="exchange", url="https://h/p", status=429, headers=["cf-ray: 1"])
    [rate] = configs_for("RL001", "rate_limit", Subject(host="h", bot="googlebot"), [ev])
    assert rate.target == "cloudflare" and "not cf.client.bot" in rate.code
    robots = Evidence(
        kind="exchange", url="https://h/robots.txt", status=503, headers=["cf-ray: 1"]
    )
    [skip] = configs_for("RB001", "robots_txt", Subject(host="h", bot="googlebot"), [robots])
    assert '"/robots.txt"' in skip.code and "pages" not in skip.code
    missing = Evidence(kind="exchange", url="https://h/robots.txt", status=404)
    assert configs_for("RB001", "robots_txt", Subject(host="h"), [missing]) == []


# -- nginx -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nginx_conf(result: AuditResult, work: Path, port: int, ranges: Path) -> Path:
    """Every distinct nginx snippet of the demo in one config, as a site would paste them.

    The rate-limit-only variant is a subset of the full variant (same geo, same zone), so
    a site pastes one of them: the test keeps the full one and checks the subset holds.
    """
    by_context: dict[str, set[str]] = {"http": set(), "server": set()}
    for _, snippet in _snippets(result, "nginx"):
        by_context[snippet.context or "server"].add(snippet.code)
    picked = {}
    for context, codes in by_context.items():
        noindex = {c for c in codes if "seoaudit_noindex" in c}
        protection = sorted(codes - noindex, key=len)
        full = protection[-1]
        for smaller in protection[:-1]:
            assert set(smaller.splitlines()) <= set(full.splitlines())
        picked[context] = "\n".join([full, *sorted(noindex)])
    http_code, server_code = picked["http"], picked["server"]
    http_code = http_code.replace(RANGES_FILE_NGINX, str(ranges))
    (work / "www").mkdir(exist_ok=True)
    (work / "www" / "page").write_text("the page\n")
    (work / "www" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (work / "www" / "cart").write_text("cart\n")
    conf = work / "nginx.conf"
    conf.write_text(
        f"daemon off; master_process off; worker_processes 1; pid {work}/nginx.pid;\n"
        f"error_log {work}/error.log; events {{ worker_connections 64; }}\n"
        f"http {{ access_log off; client_body_temp_path {work}/tmp;\n{http_code}\n"
        f"server {{ listen 127.0.0.1:{port};\n{server_code}\n"
        f"location / {{ root {work}/www; }} }} }}\n"
    )
    return conf


def _ranges(fmt: str, path: Path, extra: str = "") -> Path:
    run = subprocess.run(
        [sys.executable, "-m", "seoaudit", "bots", "ranges", "googlebot", "--format", fmt],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") > 50  # Google's published ranges, from the shipped snapshot
    path.write_text(run.stdout + extra)
    return path


def test_nginx_snippets_pass_nginx_t_and_behave_as_described(result, tmp_path):
    nginx = _need(NGINX, "SEOAUDIT_REQUIRE_NGINX", "nginx")
    assert _snippets(result, "nginx"), "the demo has origin-side findings with nginx configs"
    (tmp_path / "tmp").mkdir()
    ranges = _ranges("nginx", tmp_path / "verified.conf")
    port = _free_port()
    conf = _nginx_conf(result, tmp_path, port, ranges)
    test = [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)]
    check = subprocess.run(test, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr

    def serve() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
                return proc
            except httpx.HTTPError:
                time.sleep(0.1)
        proc.kill()
        pytest.fail("nginx did not start")

    base = f"http://127.0.0.1:{port}"
    spoof = {
        "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    }
    proc = serve()
    try:
        with httpx.Client(timeout=5) as client:
            assert (
                client.get(base + "/page", headers=spoof).status_code == 403
            )  # not a Google address
            assert (
                client.get(base + "/robots.txt", headers=spoof).status_code == 200
            )  # never refused
            assert client.get(base + "/cart").headers.get("x-robots-tag") == "noindex"
            assert "x-robots-tag" not in client.get(base + "/page").headers
            statuses = [client.get(base + "/page") for _ in range(40)]
            limited = [r for r in statuses if r.status_code == 429]
            assert limited and limited[0].headers["retry-after"] == "60"
            assert all(r.status_code in (200, 429) for r in statuses)
            assert all(client.get(base + "/robots.txt").status_code == 200 for _ in range(30))
    finally:
        proc.terminate()
        proc.wait(10)
    # 127.0.0.1 listed as a verified range: the same agent is served and never limited
    ranges.write_text(ranges.read_text() + "127.0.0.1/32 1;\n")
    proc = serve()
    try:
        with httpx.Client(timeout=5) as client:
            answers = [client.get(base + "/page", headers=spoof).status_code for _ in range(40)]
            assert answers == [200] * 40
    finally:
        proc.terminate()
        proc.wait(10)


# -- ModSecurity, AWS WAF, Cloudflare --------------------------------------------------------


def test_modsecurity_exclusion_passes_apache2_t(result, tmp_path):
    found = APACHE if MOD_SECURITY.exists() else None
    apache = _need(found, "SEOAUDIT_REQUIRE_APACHE", "apache2 with libapache2-mod-security2")
    snippets = {c.code for _, c in _snippets(result, "modsecurity")}
    assert snippets
    ranges = _ranges("list", tmp_path / "verified.txt")
    modules = "/usr/lib/apache2/modules"
    for i, code in enumerate(sorted(snippets)):
        conf = tmp_path / f"apache{i}.conf"
        conf.write_text(
            f"ServerRoot {tmp_path}\nServerName localhost\nListen 127.0.0.1:{_free_port()}\n"
            f"PidFile {tmp_path}/httpd.pid\nErrorLog {tmp_path}/error.log\n"
            f"LoadModule mpm_event_module {modules}/mod_mpm_event.so\n"
            f"LoadModule authz_core_module {modules}/mod_authz_core.so\n"
            f"LoadModule unique_id_module {modules}/mod_unique_id.so\n"
            f"LoadModule security2_module {modules}/mod_security2.so\n"
            f"SecRuleEngine On\nSecDataDir {tmp_path}\n"
            + code.replace(RANGES_FILE_LIST, str(ranges))
        )
        check = subprocess.run([apache, "-t", "-f", str(conf)], capture_output=True, text=True, timeout=60)  # fmt: skip
        assert check.returncode == 0 and "Syntax OK" in check.stderr + check.stdout, check.stderr
        broken = conf.read_text().replace("ctl:ruleRemoveById", "ctl:ruleRemoveByIdd")
        conf.write_text(broken)  # the check is real: a typo in the action fails it
        assert (
            subprocess.run(
                [apache, "-t", "-f", str(conf)], capture_output=True, timeout=60
            ).returncode
            != 0
        )


def _aws_rules() -> list[tuple[str, str]]:
    from seoaudit import fixconfig

    made = [
        fixconfig._aws_allow_verified("googlebot"),
        fixconfig._aws_rate(),
        fixconfig._aws_allow_file("/robots.txt"),
    ]
    return [(c.title, c.code) for c in made]


@pytest.mark.parametrize(
    ("title", "code"), _aws_rules(), ids=lambda v: v[:30] if isinstance(v, str) else v
)
def test_aws_waf_rules_validate_against_the_wafv2_model(title, code):
    import botocore.session
    from botocore.validate import ParamValidator

    shape = botocore.session.get_session().get_service_model("wafv2").shape_for("Rule")
    report = ParamValidator().validate(json.loads(code), shape)
    assert not report.has_errors(), report.generate_report()
    broken = json.loads(code)
    broken["Statement"]["NoSuchStatement"] = {}
    assert ParamValidator().validate(broken, shape).has_errors()


CF_FIELDS = {"cf.client.bot", "http.request.uri.path", "ip.src", "cf.verified_bot_category"}
CF_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"\\]*")|(?P<word>[a-z_][a-z0-9_.]*)|(?P<op>[(),{}$])|(?P<bad>\S))'
)


def _cloudflare_ok(expression: str) -> bool:
    """Balanced, only known fields, operators and functions, strings closed."""
    depth, words = 0, []
    for match in CF_TOKEN.finditer(expression.strip()):
        if match.group("bad"):
            return False
        op = match.group("op")
        depth += {"(": 1, ")": -1}.get(op or "", 0)
        if depth < 0:
            return False
        if match.group("word"):
            words.append(match.group("word"))
    known = CF_FIELDS | {"and", "or", "not", "eq", "ne", "in", "starts_with", "verified_crawlers"}
    return depth == 0 and set(words) <= known


def test_cloudflare_expressions_are_well_formed(result):
    codes = {c.code for _, c in _snippets(result, "cloudflare")}
    from seoaudit import fixconfig

    codes |= {fixconfig._cloudflare_rate().code, fixconfig._cloudflare_file("/robots.txt").code}
    assert codes
    for code in codes:
        assert _cloudflare_ok(code), code
    assert not _cloudflare_ok('(cf.client.bot and (http.request.uri.path eq "/x")')
    assert not _cloudflare_ok("(cf.clinet.bot)")


def test_snippets_fit_a_terminal_and_print_verbatim(result):
    from seoaudit.report import RenderOptions, get_reporter

    codes = {c.code for f in result.findings for c in f.fix.configs}
    assert all(len(line) <= 80 for code in codes for line in code.splitlines())
    text = get_reporter("terminal").render(result, RenderOptions(width=80, details=True))
    shown = [code for code in codes if code.rstrip("\n") in text]
    assert set(shown) == codes, "config is printed flush left and unwrapped: it pastes as it is"
