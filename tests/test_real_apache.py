"""Apache 2.4 + ModSecurity 2 + the OWASP Core Rule Set from Debian, in blocking mode as
operators turn it on (SecRuleEngine On), at paranoia levels 1 and 2.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

from tests.realservers import (
    apache_modsecurity,
    audit_three_times,
)

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
