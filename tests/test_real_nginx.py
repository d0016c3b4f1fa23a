"""Debian's nginx as operators configure it: a clean static site (no finding at all), and a
user-agent map answering 403, 444 (connection closed) and 503 to three crawlers.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

from tests.realservers import (
    SHOP,
    audit_three_times,
    nginx,
)

# -- the clean site ---------------------------------------------------------------------------


def test_a_clean_static_site_gives_no_finding(audit):
    with nginx(SHOP) as server:
        result = audit_three_times(audit, server.url)
    assert result.code == 0
    assert result.findings == [], [(f["rule"], f["message"]) for f in result.findings]


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
    rules_for = {
        bot: result.rules_for(bot) for bot in ("bingbot", "perplexitybot", "oai-searchbot")
    }
    assert {"CH002", "RB007"} <= rules_for["bingbot"]  # 403: blocked; robots.txt 403 = no rules
    assert {"CH004", "RB001"} <= rules_for["perplexitybot"]  # 444 closes the connection
    assert {"CH002", "RB001"} <= rules_for["oai-searchbot"]  # a 503 served to a bot alone
    assert not result.rules_for("googlebot")
    assert "RL001" not in result.rules()  # a bot-only 503 is a block, not a rate limit
    for finding in result.of("CH002"):
        if finding["subject"]["bot"] == "oai-searchbot":
            assert "503" in finding["message"]
