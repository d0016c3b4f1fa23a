"""The opt-in rate probe against Debian's nginx `limit_req` keyed on the client address: the
ramp climbs to rate.probe_max_rps, so a limit anywhere below it is found, and the browser
meets the same limit as the bot (one IP), so the verdict is the IP's.

The probe's steps are shortened (2 s, still longer than the burst takes to drain) so the test takes seconds; the ramp, caps and stops
are the real ones.
"""

from __future__ import annotations

from seoaudit.gather.service import GatherOptions, gather
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.rules.engine import evaluate
from tests.realservers import nginx

LIMITER = (
    "limit_req_zone $binary_remote_addr zone=perip:1m rate=2r/s;",
    "location / { limit_req zone=perip burst=2 nodelay; limit_req_status 429;\n"
    "    try_files $uri $uri.html $uri/ =404; }",
)
POLICY = """\
bots: {{required: [googlebot], wanted: [], blocked: []}}
paths: {{must_index: ["/$", "/products/*"]}}
crawl: {{max_rps: 4, concurrency: 2, sample_per_bot: 2, max_pages: 3, timeout_s: 5, max_time_s: 120}}
rate: {{min_rps: {min_rps}, probe: true, probe_max_rps: 8, probe_max_requests: 50}}
"""


def test_the_probe_finds_a_2_rps_per_ip_limit_and_judges_it_against_min_rps():
    policy = parse_policy_text(POLICY.format(min_rps=1), "probe.yaml")
    with nginx(LIMITER[1], http=LIMITER[0]) as server:
        snapshot = gather(
            policy, load_registry(), GatherOptions(start_url=server.url, probe_step_s=2.0)
        )
    probes = {p.profile: p for p in snapshot.rate_probes}
    bot, browser = probes["bot:googlebot"], probes["browser"]
    # a 2 r/s limiter is found on the ramp (the old ramp stopped at 2 r/s and never saw it)
    assert bot.onset_rps is not None and 2 <= bot.onset_rps <= 4, bot.stopped_because
    assert browser.onset_rps is not None and 2 <= browser.onset_rps <= 4
    assert max(pt.step_rps for p in probes.values() for pt in p.points) <= 8
    # the same evidence judged against two policies: enough for 1 req/s, not for 5
    for min_rps, fails in ((1, False), (5, True)):
        judged = parse_policy_text(POLICY.format(min_rps=min_rps), "probe.yaml")
        result = evaluate(snapshot, judged, load_registry())
        rl001 = [f for f in result.findings if f.rule == "RL001"]
        assert bool(rl001) == fails, [f.message for f in rl001]
        if fails:
            assert "probe" in rl001[0].message and "IP" in rl001[0].message
