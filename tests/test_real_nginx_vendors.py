"""Debian's nginx serving real captured vendor pages (tests/data/vendor_pages) through
`error_page`, with and without the vendors' headers, at 200, 202, 401, 403 and 503: the
verdict follows what the page asks of the client, never its status.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

from tests.realservers import (
    audit_three_times,
    nginx,
    vendor_page,
)

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
    code_map = "\n".join(
        f'    "~*{_token(b)}" {_INTERNAL_CODE[s]};' for b, _, s, *_ in VENDOR_CASES
    )
    page_map = "\n".join(f'    "~*{_token(b)}" {p};' for b, p, *_ in VENDOR_CASES)
    header_names = sorted({h[0] for *_, h, _, _ in VENDOR_CASES if h})
    header_maps = ""
    for name in header_names:
        var = "$vendor_" + name.replace("-", "_")
        entries = "\n".join(
            f'    "~*{_token(b)}" {h[1]};' for b, _, _, h, *_ in VENDOR_CASES if h and h[0] == name
        )
        header_maps += f'map $http_user_agent {var} {{\n    default "";\n{entries}\n}}\n'
    http = (
        f"map $http_user_agent $vendor_code {{\n    default 0;\n{code_map}\n}}\n"
        f"map $http_user_agent $vendor_page {{\n    default none.html;\n{page_map}\n}}\n"
        + header_maps
    )
    ifs = "\n".join(
        f"    if ($vendor_code = {code}) {{ return {code}; }}" for code in _INTERNAL_CODE.values()
    )
    pages = "\n".join(
        f"error_page {code} ={status} /__vendor/$vendor_page;"
        for status, code in _INTERNAL_CODE.items()
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
        mine = [
            f
            for f in result.findings
            if f["subject"]["bot"] == bot and f["rule"] in challenge_rules
        ]
        rules = {f["rule"] for f in mine}
        assert rules == {rule}, f"{bot} ({page} at {status}): expected {rule}, got {rules}"
        assert all(vendor in f["message"] for f in mine), (bot, [f["message"] for f in mine])
        probed = {f["subject"]["url"] for f in mine}
        assert len(probed) >= 3, (bot, probed)
    for bot in ("googlebot", "bingbot"):
        assert not [f for f in result.findings if f["subject"]["bot"] == bot], bot
    assert "RB007" not in result.rules() and "RB001" not in result.rules()
