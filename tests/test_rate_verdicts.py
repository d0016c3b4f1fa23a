"""RL001's rate verdict on snapshots captured from Debian's nginx on a loaded 2-core machine.

Both were gathered with ``tests/data/snapshots/limit-policy.yaml`` (rate.min_rps 16) against
nginx ``limit_req zone=perip burst=4 nodelay`` keyed on ``$binary_remote_addr``
(tests/test_real_nginx_limits.py), with 8 busy processes beside the auditor. Under that load
the audit ran out of pages before its pace settled: the 6 req/s capture was refused at a pace
of 20 req/s at the lowest, which the pace alone cannot tell from rate.min_rps. The answers
themselves can: that is what keeps the gate the same on a busy CI runner as on an idle one.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import rate_verdict
from seoaudit.policy.loader import load_policy
from seoaudit.registry import load_registry
from seoaudit.snapshot import Snapshot

DATA = Path(__file__).parent / "data" / "snapshots"


def verdict(name: str, bot: str = "googlebot"):
    snapshot = Snapshot.model_validate_json(gzip.decompress((DATA / name).read_bytes()))
    ctx = RuleContext(
        snapshot=snapshot, policy=load_policy(DATA / "limit-policy.yaml"), registry=load_registry()
    )
    return rate_verdict(ctx, bot)


@pytest.mark.parametrize("bot", ["googlebot", "bingbot"])
def test_a_6_rps_limit_fails_from_its_answers_when_the_pace_never_settled(bot):
    result = verdict("nginx-limit-6rps-loaded.json.gz", bot)
    assert result.outcome == "fail", result.text
    assert result.scope == "ip"
    assert "no limiter at 13.33 req/s or more" in result.text


def test_a_20_rps_limit_near_min_rps_stays_inconclusive():
    result = verdict("nginx-limit-20rps-loaded.json.gz")
    assert result.outcome == "unclear", result.text
