"""Verdicts on real server software, configured as operators configure it.

Debian's nginx (limit_req, user-agent maps, error_page with real captured vendor pages,
maintenance, robots.txt failures) and Apache 2.4 + ModSecurity + the OWASP CRS in blocking
mode. Each case is audited three times through the real CLI: the (rule, subject) sets and
the exit code must be identical, because a CI gate that flips on timing is worthless.

The expected verdicts are the ones Google's documented behaviour implies (crawler-facts §1.2,
§3, §8): a bot-only 4xx/5xx is CH002, a challenge at any status is CH001, a block page served
with 200 is CH003, a connection closed on a bot is CH004, a per-IP limit is judged against
rate.min_rps for every required bot alike, a sitewide 503 is maintenance (IX004, RB001), not a
rate limit. docs/real-servers.md holds the table of these cases and what seoaudit reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.realservers import apache_modsecurity, nginx, vendor_page

# Fast but polite enough for a local server: 20 req/s, a small sample, rate.min_rps 4 (so
# calm re-checks are 0.3 s apart). Three required/wanted bots and the three controls.
POLICY = """\
version: 1
bots:
  required: [googlebot, bingbot]
  wanted: [{wanted}]
  blocked: []
{custom}
paths:
  must_index: ["/$", "/products/*", "/category/*", "/blog/*"]
  must_not_index: []
crawl: {{{crawl}}}
rate: {{{rate}}}
robots: {{require_sitemap: true}}
"""
CRAWL = "max_rps: 20, concurrency: 4, sample_per_bot: 6, max_pages: 30, timeout_s: 5, max_time_s: 120"
RATE = "min_rps: 4"
# Rate-limit cases: everything scaled up (rate.min_rps 8, 40 req/s) so a limit well below and
# well above the needed rate is seen in a few seconds; fewer pages and agents.
LIMIT_CRAWL = "max_rps: 40, concurrency: 4, sample_per_bot: 4, max_pages: 10, timeout_s: 5, max_time_s: 120"
LIMIT_RATE = "min_rps: 8"
SHOP = "location / { try_files $uri $uri.html $uri/ =404; }"
BOT_MAP = 'map $http_user_agent $crawler_rule {{ default 0; "~*({agents})" 1; }}'
VENDOR_LOCATION = "location /__vendor/ {{ internal; root {{prefix}}/pages; {headers} }}"


@dataclass
class Audit:
    code: int
    result: dict[str, Any]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.result["findings"]

    def keys(self) -> set[tuple[str, str | None, str | None, str | None]]:
        return {
            (f["rule"], f["subject"]["host"], _path(f["subject"]["url"]), f["subject"]["bot"])
            for f in self.findings
        }

    def errors(self) -> set[tuple[str, str | None, str | None]]:
        return {
            (f["rule"], _path(f["subject"]["url"]), f["subject"]["bot"])
            for f in self.findings
            if f["severity"] == "error" and not f["waived"]
        }

    def rules_for(self, bot: str) -> set[str]:
        return {f["rule"] for f in self.findings if f["subject"]["bot"] == bot}

    def rules(self, severity: str | None = None) -> set[str]:
        return {f["rule"] for f in self.findings if severity in (None, f["severity"])}

    def of(self, rule: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["rule"] == rule]


def _path(url: str | None) -> str | None:
    if url is None:
        return None
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


@pytest.fixture
def audit(cli, tmp_path: Path):
    """Audit a URL with the test policy through the real CLI; returns an ``Audit``."""

    def run(
        url: str,
        *,
        custom: str = "",
        wanted: list[str] | None = None,
        crawl: str = CRAWL,
        rate: str = RATE,
    ) -> Audit:
        policy = tmp_path / "rules.yaml"
        bots = ", ".join(wanted if wanted is not None else ["perplexitybot"])
        policy.write_text(POLICY.format(custom=custom, wanted=bots, crawl=crawl, rate=rate))
        out = tmp_path / "result.json"
        outcome = cli("audit", url, "--policy", str(policy), "-f", "json", "-o", str(out),
                      "--no-progress", "--quiet")  # fmt: skip
        return Audit(outcome.code, json.loads(out.read_text()))

    return run


def audit_three_times(audit, url: str, **kwargs: Any) -> Audit:
    """Three audits of the same server: identical findings and exit code, or the test fails."""
    runs = [audit(url, **kwargs) for _ in range(3)]
    first = runs[0]
    for other in runs[1:]:
        assert other.keys() == first.keys(), (
            f"findings differ between runs:\n only first: {sorted(first.keys() - other.keys())}"
            f"\n only later: {sorted(other.keys() - first.keys())}"
        )
        assert other.code == first.code
    return first


def bot_map(*agents: str) -> str:
    return BOT_MAP.format(agents="|".join(agents))


@dataclass
class VendorCase:
    page: str  # file in tests/data/vendor_pages
    status: int  # what nginx serves it with
    rule: str  # the finding each mapped bot must get
    vendor: str | None
    headers: list[tuple[str, str]] = field(default_factory=list)


# -- the clean site ---------------------------------------------------------------------------


def test_a_clean_static_site_gives_no_finding(audit):
    with nginx(SHOP) as server:
        result = audit_three_times(audit, server.url)
    assert result.code == 0
    assert result.findings == [], [(f["rule"], f["message"]) for f in result.findings]


# -- real vendor pages, each served to one bot by an nginx user-agent map ------------------------

# (bot, page, status served, extra response header, rule each probed URL must get, vendor)
VENDOR_CASES = [
    ("perplexitybot", "cloudflare-challenge-6.html", 403, ("cf-mitigated", "challenge"), "CH001", "Cloudflare"),
    ("oai-searchbot", "cloudflare-challenge-5.html", 503, None, "CH001", "Cloudflare"),
    ("claude-searchbot", "cloudflare-challenge-3.html", 403, None, "CH001", "Cloudflare"),
    ("yandexbot", "cloudflare-block-1.html", 403, None, "CH002", "Cloudflare"),
    ("duckduckbot", "cloudflare-block-1.html", 200, None, "CH003", "Cloudflare"),
    ("applebot", "akamai-block-1.html", 403, None, "CH002", "Akamai"),
    ("baiduspider", "akamai-block-1.html", 200, None, "CH003", "Akamai"),
    ("amzn-searchbot", "imperva-challenge-1.html", 200, None, "CH001", "Imperva"),
    ("meta-webindexer", "imperva-block-1.html", 403, None, "CH002", "Imperva"),
    ("duckassistbot", "perimeterx-challenge-1.html", 403, None, "CH001", "HUMAN (PerimeterX)"),
    ("youbot", "datadome-challenge-1.html", 403, ("x-datadome", "protected"), "CH001", "DataDome"),
    ("amazonbot", "awswaf-challenge-1.html", 202, ("x-amzn-waf-action", "challenge"), "CH001", "AWS WAF"),
    ("claudebot", "anubis-challenge-1.html", 401, None, "CH001", "Anubis"),
    ("diffbot", "sucuri-challenge-1.html", 200, None, "CH001", "Sucuri"),
    ("ccbot", "f5-block-1.html", 200, None, "CH003", "F5 BIG-IP"),
]  # fmt: skip
_INTERNAL_CODE = {200: 560, 202: 561, 401: 562, 403: 563, 503: 564}


def _token(bot: str) -> str:
    from seoaudit.registry import load_registry

    entry = load_registry().get(bot)
    assert entry is not None and entry.token.lower() in entry.user_agent.lower(), bot
    return entry.token


def vendor_server_config() -> tuple[str, str, dict[str, str]]:
    """(http, server, files): every case bot gets its page with its status; nothing else
    changes for anyone else. This is how operators wire a WAF's pages into nginx: a map on
    the user-agent, ``return`` a code, ``error_page`` with the vendor's page."""
    code_map = "\n".join(f'    "~*{_token(b)}" {_INTERNAL_CODE[s]};' for b, _, s, *_ in VENDOR_CASES)
    page_map = "\n".join(f'    "~*{_token(b)}" {p};' for b, p, *_ in VENDOR_CASES)
    header_names = sorted({h[0] for *_, h, _, _ in VENDOR_CASES if h})
    header_maps = ""
    for name in header_names:
        var = "$vendor_" + name.replace("-", "_")
        entries = "\n".join(
            f'    "~*{_token(b)}" {h[1]};' for b, _, _, h, *_ in VENDOR_CASES if h and h[0] == name
        )
        header_maps += f"map $http_user_agent {var} {{\n    default \"\";\n{entries}\n}}\n"
    http = (
        f"map $http_user_agent $vendor_code {{\n    default 0;\n{code_map}\n}}\n"
        f"map $http_user_agent $vendor_page {{\n    default none.html;\n{page_map}\n}}\n"
        + header_maps
    )
    ifs = "\n".join(
        f"    if ($vendor_code = {code}) {{ return {code}; }}" for code in _INTERNAL_CODE.values()
    )
    pages = "\n".join(
        f"error_page {code} ={status} /__vendor/$vendor_page;" for status, code in _INTERNAL_CODE.items()
    )
    add_headers = " ".join(
        f"add_header {n} $vendor_{n.replace('-', '_')} always;" for n in header_names
    )
    server = (
        f"{pages}\nlocation /__vendor/ {{ internal; root {{prefix}}/pages; {add_headers} }}\n"
        "location = /robots.txt { try_files $uri =404; }  # kept outside the bot rule\n"
        f"location / {{\n{ifs}\n    try_files $uri $uri.html $uri/ =404;\n}}"
    )
    files = {f"pages/__vendor/{p}": vendor_page(p) for _, p, *_ in VENDOR_CASES}
    return http, server, files


def test_real_vendor_pages_get_the_verdict_of_what_they_ask_at_any_status(audit):
    http, server_conf, files = vendor_server_config()
    bots = [b for b, *_ in VENDOR_CASES]
    with nginx(server_conf, http=http, files=files) as server:
        result = audit_three_times(audit, server.url, wanted=bots)
    challenge_rules = {"CH001", "CH002", "CH003", "CH004"}
    for bot, page, status, _header, rule, vendor in VENDOR_CASES:
        mine = [f for f in result.findings if f["subject"]["bot"] == bot and f["rule"] in challenge_rules]
        rules = {f["rule"] for f in mine}
        assert rules == {rule}, f"{bot} ({page} at {status}): expected {rule}, got {rules}"
        assert all(vendor in f["message"] for f in mine), (bot, [f["message"] for f in mine])
        probed = {f["subject"]["url"] for f in mine}
        assert len(probed) >= 3, (bot, probed)
    for bot in ("googlebot", "bingbot"):
        assert not [f for f in result.findings if f["subject"]["bot"] == bot], bot
    assert "RB007" not in result.rules() and "RB001" not in result.rules()


# -- limit_req keyed on the client address: every agent of the audit shares it -------------------

LIMIT_ZONE = "limit_req_zone $binary_remote_addr zone=perip:1m rate={rate}r/s;"


def limited_shop(status: int, *, retry_after: bool = False) -> str:
    extra = "add_header Retry-After 1 always;" if retry_after else ""
    return (
        f"location / {{ limit_req zone=perip burst=4 nodelay; limit_req_status {status}; {extra}\n"
        "    try_files $uri $uri.html $uri/ =404; }"
    )


@pytest.mark.parametrize("status", [503, 429])
def test_a_per_ip_limit_below_min_rps_fails_every_required_bot_alike(audit, status):
    with nginx(limited_shop(status), http=LIMIT_ZONE.format(rate=3)) as server:
        result = audit_three_times(audit, server.url, wanted=[], crawl=LIMIT_CRAWL, rate=LIMIT_RATE)
    assert result.code == 1
    assert result.errors() == {("RL001", None, "googlebot"), ("RL001", None, "bingbot")}
    for finding in result.of("RL001"):
        assert "IP" in finding["message"], finding["message"]
    assert "IX004" not in result.rules() and "CH002" not in result.rules()
    assert "RL002" in result.rules("warning")  # nginx sends no Retry-After by default


@pytest.mark.parametrize("status", [503, 429])
def test_a_per_ip_limit_above_min_rps_gives_no_error(audit, status):
    with nginx(limited_shop(status, retry_after=True), http=LIMIT_ZONE.format(rate=25)) as server:
        result = audit_three_times(audit, server.url, wanted=[], crawl=LIMIT_CRAWL, rate=LIMIT_RATE)
    assert result.code == 0, result.errors()
    assert result.errors() == set()
    assert "RL002" not in result.rules()  # every limit answer carried Retry-After


# -- a user-agent map: 403, 444 (connection closed) and 503 for three crawlers ----------------------

UA_MAP = (
    'map $http_user_agent $crawler_answer { default 0; "~*bingbot" 403; '
    '"~*PerplexityBot" 444; "~*OAI-SearchBot" 503; }'
)
UA_RULES = """\
if ($crawler_answer = 403) { return 403; }
if ($crawler_answer = 444) { return 444; }
if ($crawler_answer = 503) { return 503; }
location / { try_files $uri $uri.html $uri/ =404; }"""


def test_a_user_agent_map_answering_403_444_and_503(audit):
    with nginx(UA_RULES, http=UA_MAP) as server:
        result = audit_three_times(audit, server.url, wanted=["perplexitybot", "oai-searchbot"])
    rules_for = {bot: result.rules_for(bot) for bot in ("bingbot", "perplexitybot", "oai-searchbot")}
    assert {"CH002", "RB007"} <= rules_for["bingbot"]  # 403: blocked; robots.txt 403 = no rules
    assert {"CH004", "RB001"} <= rules_for["perplexitybot"]  # 444 closes the connection
    assert {"CH002", "RB001"} <= rules_for["oai-searchbot"]  # a 503 served to a bot alone
    assert not result.rules_for("googlebot")
    assert "RL001" not in result.rules()  # a bot-only 503 is a block, not a rate limit
    for finding in result.of("CH002"):
        if finding["subject"]["bot"] == "oai-searchbot":
            assert "503" in finding["message"]


# -- maintenance and robots.txt failures ------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [True, False])
def test_sitewide_maintenance_is_named_maintenance_not_a_rate_limit(audit, retry_after):
    header = "add_header Retry-After 2 always;" if retry_after else ""
    conf = f"location / {{ {header} return 503; }}"
    with nginx(conf) as server:
        result = audit_three_times(audit, server.url, wanted=[])
    assert result.code == 1
    assert {"IX004", "RB001"} <= result.rules("error")
    assert not result.rules() & {"RL001", "CH002", "PF002"}
    assert all("maintenance" in f["message"] for f in result.of("IX004"))
    assert {f["subject"]["bot"] for f in result.of("RB001")} == {"googlebot", "bingbot"}


def test_a_robots_txt_only_503_is_rb001_not_a_rate_limit(audit):
    conf = f"location = /robots.txt {{ return 503; }}\n{SHOP}"
    with nginx(conf) as server:
        result = audit_three_times(audit, server.url)
    assert result.errors() == {("RB001", None, b) for b in ("googlebot", "bingbot", "perplexitybot")}
    assert "RL001" not in result.rules()


def test_a_robots_txt_403_means_no_rules_for_everyone(audit):
    conf = f"location = /robots.txt {{ return 403; }}\n{SHOP}"
    with nginx(conf) as server:
        result = audit_three_times(audit, server.url)
    assert result.errors() == set()
    assert not result.rules() & {"RB001", "RB007"}  # the same 403 for every agent
    robots = result.result["scoreboard"]["robots"][0]
    assert robots["status"] == 403


def test_robots_txt_served_as_the_cms_home_page(audit):
    conf = "location / { try_files $uri $uri.html $uri/ /index.html; }"
    with nginx(conf, robots=None) as server:
        result = audit_three_times(audit, server.url)
    assert "RB011" in result.rules("warning")
    (finding,) = result.of("RB011")
    assert "HTML page" in finding["message"] and "everything" in finding["message"]
    assert "RB008" not in result.rules()
    assert result.errors() == set()


# -- Apache 2.4 + ModSecurity 2 + OWASP CRS in blocking mode ----------------------------------------

SEO_TOOLS = """\
  custom:
    ahrefsbot: {user_agent: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", token: AhrefsBot, purpose: search}
    semrushbot: {user_agent: "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", token: SemrushBot, purpose: search}"""


def test_modsecurity_crs_at_paranoia_1_leaves_crawlers_alone(audit):
    with apache_modsecurity() as server:
        result = audit_three_times(audit, server.url, wanted=["perplexitybot"])
    assert result.code == 0
    assert result.findings == [], [(f["rule"], f["message"]) for f in result.findings]


def test_modsecurity_crs_at_paranoia_2_blocks_seo_crawlers(audit):
    """CRS rule 913102 (paranoia level 2) matches crawlers-user-agents.data: AhrefsBot and
    SemrushBot get 403 on every request, robots.txt included."""
    with apache_modsecurity(paranoia_level=2) as server:
        result = audit_three_times(
            audit, server.url, wanted=["ahrefsbot", "semrushbot"], custom=SEO_TOOLS
        )
    for bot in ("ahrefsbot", "semrushbot"):
        assert {"CH002", "RB007"} <= result.rules_for(bot), bot
    assert not result.rules_for("googlebot") and not result.rules_for("bingbot")
