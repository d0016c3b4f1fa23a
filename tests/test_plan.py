"""The request plan: computed before the first request, cut to fit crawl.max_time_s, kept."""

from __future__ import annotations

import json
import time

from seoaudit.gather.plan import TIME_SHARE, describe
from seoaudit.gather.service import GatherOptions, gather, new_run
from seoaudit.registry import load_registry
from seoaudit.scenarios import ScenarioServer
from tests.gather_helpers import page, policy, scenario

BOTS = "bots: {required: [googlebot, bingbot], wanted: [oai-searchbot], blocked: [gptbot]}\n"


def _run(text: str, **options):
    return new_run(
        policy(text),
        load_registry(),
        GatherOptions(start_url="http://127.0.0.1:9/", private_ok=True, **options),
        None,
        None,
    )


def test_the_plan_counts_every_phase_from_the_policy():
    state = _run(
        "crawl: {max_rps: 5, max_pages: 100, sample_per_bot: 20, max_time_s: 3600}\n" + BOTS
    )
    plan = state.plan
    steps = {s.phase: s for s in plan.steps}
    agents = len(state.profiles)  # browser, seoaudit, unknown-bot and the four bots
    assert agents == 7
    assert steps["robots"].requests == agents  # one origin x every agent
    assert steps["discovery"].requests == 100
    assert steps["samples"].requests == 20 * (agents - 1)  # everyone but the honest agent
    assert steps["assets"].requests == 12 * 3  # browser + the two required bots
    assert steps["rechecks"].requests == 0 and steps["rechecks"].at_most > 0
    assert plan.requests == sum(s.requests for s in plan.steps)
    assert plan.duration_s == round(plan.requests / 5, 1)
    assert plan.cuts == [] and plan.sample_per_bot == 20 and plan.max_pages == 100
    assert state.snapshot.plan == plan  # it goes into the snapshot JSON


def test_a_plan_too_long_for_the_time_limit_cuts_samples_first_then_pages():
    state = _run("crawl: {max_rps: 5, max_pages: 200, sample_per_bot: 50, max_time_s: 60}\n" + BOTS)
    plan = state.plan
    assert plan.sample_per_bot < 50 and plan.max_pages < 200
    assert state.max_pages == plan.max_pages  # the crawl is held to it
    assert [c.split(" ", 2)[:2] for c in plan.cuts] == [
        ["per-bot", "sample"],
        ["discovery", "pages"],
    ]
    assert all("crawl.max_time_s = 60 s at 5 req/s" in c for c in plan.cuts)
    assert plan.duration_s <= 60 * TIME_SHARE


def test_a_small_cut_touches_only_the_samples():
    state = _run("crawl: {max_rps: 5, max_pages: 30, sample_per_bot: 50, max_time_s: 90}\n" + BOTS)
    assert state.plan.max_pages == 30
    assert 10 <= state.plan.sample_per_bot < 50
    assert len(state.plan.cuts) == 1 and "sample_per_bot" in state.plan.cuts[0]


def test_the_plan_line_says_requests_time_and_rate():
    state = _run("crawl: {max_rps: 5, max_pages: 200, sample_per_bot: 50}\n" + BOTS)
    line = describe(state.plan)
    minutes = state.plan.requests / 5 / 60
    assert line.startswith(
        f"plan: about {state.plan.requests:,} requests, ~{minutes:.1f} min at 5 req/s"
    )
    assert "samples 300" in line and "discovery 200" in line


def test_the_plan_counts_the_pauses_refusals_cost_and_says_what_it_cannot_know():
    """At 1000 req/s a plan's requests take a second; the calm re-checks and back-offs a
    refusing host sets off take far longer, and the line says so beside the duration."""
    state = _run("crawl: {max_rps: 1000, max_pages: 200, sample_per_bot: 50}\n" + BOTS)
    plan = state.plan
    steps = {s.phase: s for s in plan.steps}
    gap = state.calm_gap()
    assert steps["rechecks"].pauses_s == round(steps["rechecks"].at_most * gap, 1)
    assert steps["robots"].pauses_s > (steps["robots"].at_most - steps["robots"].requests) * gap
    assert plan.pauses_s == round(sum(s.pauses_s for s in plan.steps), 1)
    assert plan.pauses_s > 10 * plan.duration_s
    line = describe(plan)
    assert f"up to {plan.pauses_s:.0f} s more if the host refuses" in line
    assert "server's response time" in line


def test_an_audit_prints_its_plan_first_and_ends_within_its_time_limit():
    """A site whose full sample would take 3x the limit: the plan cuts it, the run fits."""
    links = [f"/p{i}" for i in range(30)]
    site = scenario([page("/", links)] + [page(p) for p in links])
    text = "crawl: {max_rps: 20, concurrency: 4, sample_per_bot: 50, max_time_s: 20}\n" + BOTS
    events: list[str] = []

    def progress(stats):
        if stats.requests and (not events or events[-1] != "request"):
            events.append("request")

    with ScenarioServer(site) as server:
        started = time.monotonic()
        snap = gather(
            policy(text),
            load_registry(),
            GatherOptions(start_url=server.url, announce=events.append),
            progress=progress,
        )
        took = time.monotonic() - started
    assert events[0].startswith("plan: about ") and "cut to fit" in events[0]
    assert events[1] == "request"  # nothing was sent before the plan was printed
    assert snap.complete, snap.incomplete_reason
    assert took < 20
    assert snap.plan is not None and snap.plan.sample_per_bot < 50
    probes = [e for e in snap.exchanges if e.purpose == "probe"]
    assert len(probes) <= snap.plan.sample_per_bot * 6


def test_the_default_policy_audits_the_demo_shop_within_its_time_limit(cli, tmp_path):
    """The repository's rules.yaml at its own politeness (5 req/s), with the time limit cut
    to 60 s: the plan is printed before anything else and cut to fit, and the audit ends
    complete, the shop's 503s, Retry-After and tarpit included. (At the default 300 s the
    same audit takes about 130 s uncut: docs/performance.md.)"""
    from seoaudit.scenarios import load_scenario
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "rules.yaml").read_text(encoding="utf-8")
    assert "  max_time_s: 300.0\n" in text
    rules = tmp_path / "rules.yaml"
    rules.write_text(text.replace("  max_time_s: 300.0\n", "  max_time_s: 60.0\n"))
    out = tmp_path / "result.json"
    with ScenarioServer(load_scenario("demo")) as server:
        started = time.monotonic()
        result = cli("audit", server.url, "--policy", str(rules), "-f", "json", "-o", str(out))
        took = time.monotonic() - started
    assert result.code != 3, result.stderr  # 3: incomplete
    first = result.stderr.lstrip().splitlines()[0]
    assert first.startswith("plan: about ") and "at 5 req/s (limit 60 s)" in first
    assert "cut to fit: per-bot sample 50 →" in result.stderr
    assert took < 60
    saved = json.loads(out.read_text())
    assert saved["complete"] is True
    assert saved["plan"]["sample_per_bot"] < 50 and saved["plan"]["max_time_s"] == 60.0


def test_progress_counts_requests_against_the_plan():
    import io

    from rich.console import Console

    from seoaudit.gather.progress import GatherProgress
    from seoaudit.gather.state import GatherStats

    buffer = io.StringIO()
    with GatherProgress(Console(file=buffer, force_terminal=True, width=140)) as progress:
        progress(GatherStats(phase="crawl", requests=12, pages=10, planned_requests=646))
        progress._progress.refresh()
    assert "12/~646 requests" in buffer.getvalue()
