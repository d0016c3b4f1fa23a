"""Debian's nginx in sitewide maintenance: 503 on every path, with and without Retry-After.
It is named maintenance (IX004 for the must-index URLs, RB001 for robots.txt), never a rate
limit, and the audit stops after a few page refusals in a row.

Three identical audits per case, as tests/realservers.py explains; the table of cases is
docs/real-servers.md.
"""

from __future__ import annotations

import pytest

from tests.realservers import audit_three_times, nginx


@pytest.mark.parametrize("retry_after", [True, False])
def test_sitewide_maintenance_is_named_maintenance_not_a_rate_limit(audit, retry_after):
    header = "add_header Retry-After 1 always;" if retry_after else ""
    conf = f"location / {{ {header} return 503; }}"
    with nginx(conf) as server:
        result = audit_three_times(audit, server.url, wanted=[])
    assert result.code == 1
    assert {"IX004", "RB001"} <= result.rules("error")
    assert not result.rules() & {"RL001", "CH002", "PF002"}
    assert all("maintenance" in f["message"] for f in result.of("IX004"))
    assert {f["subject"]["bot"] for f in result.of("RB001")} == {"googlebot", "bingbot"}
