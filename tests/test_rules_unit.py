"""Rules and the engine on hand-built snapshot fragments (no network)."""

from __future__ import annotations

from seoaudit.rules.base import Rule, RuleDocs
from seoaudit.rules.catalog import all_rules
from seoaudit.rules.engine import evaluate
from tests.rules_helpers import ORIGIN, SnapshotBuilder

POLICY = "bots: {required: [googlebot], wanted: [], blocked: []}\npaths: {must_index: ['/p']}\n"


def test_robots_403_means_no_rules_for_google_so_disallow_stops_working():
    b = SnapshotBuilder(POLICY)
    b.robots("User-agent: *\nDisallow: /p\n", profile="browser")
    b.robots("Forbidden", profile="bot:googlebot", status=403)
    b.robots("User-agent: *\nDisallow: /p\n")
    result = b.run("RB002", "RB007")
    rules = {f.rule for f in result.findings}
    assert "RB002" not in rules  # a 403 robots.txt is "allow all" for Google
    rb007 = next(f for f in result.findings if f.rule == "RB007")
    assert "no robots.txt at all" in rb007.cost and rb007.severity == "error"


def test_robots_5xx_halts_the_host_and_rb002_defers_to_rb001():
    b = SnapshotBuilder(POLICY)
    b.robots("oops", profile="bot:googlebot", status=500)
    result = b.run("RB001", "RB002")
    assert [f.rule for f in result.findings] == ["RB001"]
    assert "12 hours" in result.findings[0].cost
    assert any(o.rule == "RB002" and o.outcome == "not_applicable" for o in result.outcomes)


def test_missing_robots_fetch_is_inconclusive_not_a_pass():
    b = SnapshotBuilder(POLICY)
    result = b.run("RB001")
    assert {o.outcome for o in result.outcomes if o.rule == "RB001"} == {"inconclusive"}


def test_rb002_names_the_deciding_line_and_group():
    b = SnapshotBuilder(POLICY)
    b.robots("User-agent: *\nAllow: /\n\nUser-agent: Googlebot\nDisallow: /p\n")
    result = b.run("RB002")
    finding = result.findings[0]
    assert finding.subject.url == ORIGIN + "/p" and "line 5" in finding.message
    assert finding.evidence[0].model_dump()["group"] == ["Googlebot"]


def test_ix001_reads_bot_specific_header_but_not_other_bots_meta():
    b = SnapshotBuilder(POLICY)
    b.robots("User-agent: *\nAllow: /\n")
    b.page("/p", x_robots=["googlebot: noindex"])
    assert [f.rule for f in b.run("IX001").findings] == ["IX001"]
    clean = SnapshotBuilder(POLICY)
    clean.robots("User-agent: *\nAllow: /\n")
    clean.page("/p", meta=[("bingbot", "noindex")])
    assert clean.run("IX001").findings == []


def test_waiver_marks_the_finding_waived_and_stops_gating():
    b = SnapshotBuilder(
        POLICY
        + "waivers:\n  - {rule: RB002, url: /p, owner: seo, reason: launch next week, expires: 2099-01-01}\n"
    )
    b.robots("User-agent: *\nDisallow: /p\n")
    result = b.run("RB002")
    assert result.findings[0].waived and result.waivers.applied
    assert any(o.outcome == "waived" for o in result.outcomes)


def test_stale_waiver_is_reported():
    b = SnapshotBuilder(
        POLICY + "waivers:\n  - {rule: CH001, owner: infra, reason: x, expires: 2099-01-01}\n"
    )
    b.robots("User-agent: *\nAllow: /\n")
    assert b.run("RB002").waivers.stale


def test_severity_override_and_disable():
    b = SnapshotBuilder(POLICY + "rules: {RB002: {severity: info}, RB008: disable}\n")
    b.robots("User-agent: *\nDisallow: /p\nDissalow: /x\n")
    result = b.run()
    assert next(f for f in result.findings if f.rule == "RB002").severity == "info"
    assert not [f for f in result.findings if f.rule == "RB008"]


def test_a_crashing_rule_gives_an_error_outcome_and_the_audit_goes_on():
    def boom(ctx):  # type: ignore[no-untyped-def]
        raise ValueError("broken")

    broken = Rule(
        "ZZ001", "broken", "t", "error", "seo", "x", RuleDocs("w", "w", "w", "e", "f", "g"), boom
    )
    b = SnapshotBuilder(POLICY)
    b.robots("User-agent: *\nDisallow: /p\n")
    from seoaudit.registry import load_registry

    result = evaluate(b.snapshot, b.policy, load_registry(), rules=[broken, *all_rules()])
    assert any(
        o.rule == "ZZ001" and o.outcome == "error" and "broken" in o.reason for o in result.outcomes
    )
    assert any(f.rule == "RB002" for f in result.findings)


def test_every_rule_has_complete_docs_and_a_stable_code():
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes)) == 32  # RB 11, CH 4, RL 5, IX 5, SM 5, PF 2
    for rule in all_rules():
        docs = rule.docs
        assert all(
            [docs.what, docs.why, docs.why_happens, docs.example, docs.fix, docs.gives_up]
        ), rule.code
        assert docs.references, rule.code


def test_every_rule_judges_an_empty_snapshot_without_crashing():
    result = SnapshotBuilder(POLICY).run()
    assert not [o for o in result.outcomes if o.outcome == "error"]
    assert not [
        f for f in result.findings if f.confidence == "confirmed" and f.rule.startswith("CH")
    ]
