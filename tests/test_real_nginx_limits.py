"""Debian's nginx `limit_req` keyed on `$binary_remote_addr`, answering 503 or 429, below and
above rate.min_rps. Every agent of the audit shares one IP, so the limit is the IP's and is
judged for every required bot alike; the limiter's own answers never become page errors.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

import pytest

from tests.realservers import (
    LIMIT_CRAWL,
    LIMIT_RATE,
    audit_three_times,
    nginx,
)

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
    with nginx(limited_shop(status), http=LIMIT_ZONE.format(rate=6)) as server:
        result = audit_three_times(audit, server.url, wanted=[], crawl=LIMIT_CRAWL, rate=LIMIT_RATE)
    assert result.code == 1
    assert result.errors() == {("RL001", None, "googlebot"), ("RL001", None, "bingbot")}
    for finding in result.of("RL001"):
        assert "IP" in finding["message"], finding["message"]
    assert "IX004" not in result.rules() and "CH002" not in result.rules()
    assert "RL002" in result.rules("warning")  # nginx sends no Retry-After by default


@pytest.mark.parametrize("status", [503, 429])
def test_a_per_ip_limit_above_min_rps_gives_no_error(audit, status):
    with nginx(limited_shop(status, retry_after=True), http=LIMIT_ZONE.format(rate=50)) as server:
        result = audit_three_times(audit, server.url, wanted=[], crawl=LIMIT_CRAWL, rate=LIMIT_RATE)
    assert result.code == 0, result.errors()
    assert result.errors() == set()
    assert "RL002" not in result.rules()  # every limit answer carried Retry-After
