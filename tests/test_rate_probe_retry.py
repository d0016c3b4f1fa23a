"""The rate probe after its onset: Retry-After honoured before robots.txt is checked, and a
limiter that covers robots.txt too is caught."""

from __future__ import annotations

from tests.probe_helpers import probe_of, run, site


def test_retry_after_is_honoured_before_the_robots_check():
    snapshot, _, requests = run(site(limit_rps=1.5, retry_after="1"))
    probe = probe_of(snapshot, "bot:googlebot")
    limited_at = next(r.t for r in requests if r.status == 429)
    robots_after = [
        r
        for r in requests
        if r.path == "/robots.txt" and "Googlebot" in r.user_agent and r.t > limited_at
    ]
    assert robots_after and robots_after[0].t - limited_at >= 0.95
    assert probe.robots_exchange_id is not None


def test_a_limiter_that_also_covers_robots_txt_is_caught():
    _snapshot, result, _ = run(site(limit_rps=1.5, robots_limited=True))
    covered = [
        f for f in result.findings if f.rule == "RB001" and "also covers robots.txt" in f.message
    ]
    # one finding for the host: every agent shares the auditor's IP, so the limiter is the IP's
    assert covered and covered[0].subject.bot is None and covered[0].subject.host
