"""The opt-in rate probe against real token-bucket limiters: finds the onset, keeps its caps."""

from __future__ import annotations

from tests.probe_helpers import probe_of, run, site


def test_probe_finds_the_onset_within_one_step_and_stays_under_its_caps():
    snapshot, result, requests = run(site(limit_rps=2.5), min_rps=3)  # ramp to 8 req/s
    probe = probe_of(snapshot, "bot:googlebot")
    assert probe.onset_rps in (2.0, 4.0), probe  # the limiter allows 2.5 req/s
    assert "429" in probe.stopped_because
    google = [r for r in requests if "Googlebot" in r.user_agent and r.path == "/"]
    assert len(google) <= 30 + 2  # rate.probe_max_requests, plus the crawl sample
    times = sorted(r.t for r in google)
    window = [t for t in times if t - times[0] <= 10]
    assert all(
        sum(1 for u in window if 0 <= u - t < 1.0) <= 9 for t in window
    )  # never above 8 req/s (+1 edge)
    browser = probe_of(snapshot, "browser")
    assert browser.onset_rps is None and browser.stopped_because.startswith("no limit")
    budget = result.scoreboard["bots"][0]["crawl_rate"]
    assert budget["sustainable_rps"] is not None


def test_a_generous_limiter_yields_no_rate_finding():
    # The probe sends at most probe_max_rps (8/s); on a loaded machine arrivals bunch by up
    # to ~0.5 s of scheduling delay, so a limiter that never refuses this client needs a
    # burst of 1 + 8 × 0.5 (server-side arithmetic, not a guess about the machine).
    snapshot, result, _ = run(site(limit_rps=50, burst=1 + 4))
    assert probe_of(snapshot, "bot:googlebot").onset_rps is None
    assert not [f for f in result.findings if f.rule.startswith("RL")]


def test_a_tight_limiter_is_an_rl001_finding_with_numbers():
    _, result, _ = run(site(limit_rps=0.3), min_rps=2)
    rl001 = [f for f in result.findings if f.rule == "RL001"]
    assert rl001 and "req/s" in rl001[0].message


def test_without_the_opt_in_no_probe_request_is_made():
    snapshot, _, requests = run(site(limit_rps=2.5), probe=False)
    assert snapshot.rate_probes == []
    assert not [e for e in snapshot.exchanges if e.purpose == "rate_probe"]
    assert len([r for r in requests if r.path == "/"]) <= 6  # the crawl and one probe per agent
