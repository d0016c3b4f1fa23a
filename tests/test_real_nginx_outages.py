"""Debian's nginx when robots.txt fails alone: at 503 or 403, missing (nginx's padded 404s), or
answered by a CMS catch-all with its home page.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

from tests.realservers import (
    SHOP,
    audit_three_times,
    nginx,
)

# -- maintenance and robots.txt failures ------------------------------------------------------------


def test_a_robots_txt_only_503_is_rb001_not_a_rate_limit(audit):
    conf = f"location = /robots.txt {{ return 503; }}\n{SHOP}"
    with nginx(conf) as server:
        result = audit_three_times(audit, server.url)
    assert result.errors() == {
        ("RB001", None, b) for b in ("googlebot", "bingbot", "perplexitybot")
    }
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


def test_no_robots_txt_is_no_rb007_although_nginx_pads_its_404_for_some_agents(audit):
    """nginx pads error pages for MSIE and Chrome user-agents (msie_padding): the browser's
    404 body differs from the crawlers' by bytes, not by what a crawler acts on."""
    with nginx(SHOP, robots=None) as server:
        result = audit_three_times(audit, server.url)
    assert "RB007" not in result.rules()
    assert result.errors() == set()
