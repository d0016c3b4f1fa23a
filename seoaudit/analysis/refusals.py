"""What each refusal means, and the rate limits behind them, for agents that share one IP.

Every agent of an audit (the browser control, the honest crawler, the unknown bot, each
policy bot) sends from the auditor's one address, so a per-IP limiter throttles their sum:
which agent's request it happens to refuse is timing, not a verdict. This module turns the
raw exchanges into verdicts that do not depend on that timing:

- a **refusal** (a 429, a 5xx, a broken connection, a 4xx block) either *holds* (it came back
  when re-checked at a calm pace, or it is a 4xx block, which no load explains), is *load*
  (re-checked calmly, the agent was served), or is *unresolved* (never re-checked);
- a refusal that holds is the agent's own when the browser was served in the same calm
  re-check (agent, browser, browser, agent: either order) or on the same URL;
- a host is **unavailable** (maintenance, or down) when no agent got anything but 5xx for
  any page: that is named as what it is, not as a rate limit;
- **limit events** (429/503 on pages, never robots.txt or sitemaps) are kept per IP and per
  agent. A limit is *agent-specific* only when one agent was limited far more often than the
  others under the same interleaved load (a binomial test); otherwise it is the shared IP's,
  judged against ``rate.min_rps`` for every required bot alike.

Rates come from the fetcher's own record: ``timing.paced_rps`` is the pace in force when a
request left (an upper bound on what we were sending), and actual rates are counted from
send times over windows long enough for scheduling jitter not to matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from seoaudit.analysis.context import RuleContext
from seoaudit.snapshot import Exchange

Verdict = Literal["holds", "load", "unresolved"]
PAGE_PURPOSES = ("page", "probe", "canonical", "recheck", "asset")
LIMIT_STATUSES = (429, 503)
BLOCK_4XX_NOT_TIMING = {400, 401, 403, 405, 406, 407, 409, 410, 412, 451}
DROP_ERRORS = ("reset", "timeout", "protocol", "connect")
CALM_MIN_GAP_S = 0.25
CALM_MARGIN = 1.2  # a verdict on a rate needs 20% of room on its side of rate.min_rps
SUSTAIN_MIN_S = 5.0  # a rate counts as sustained after this long without a limit answer
SUSTAIN_MIN_REQUESTS = 10
AGENT_WINDOW_S = 10.0  # an agent's own rate is counted over this window
SPECIFIC_P_VALUE = 0.01
FIT_TOLERANCE = 0.5  # requests of slack in the bucket fit: arrival jitter, nginx's coarse clock
FIT_WINDOW_S = 1.0  # the fit tries rates up to 1.5x the fastest we sent over this long
FIT_STEP = 1.02


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


def refusal_key(exchange: Exchange) -> str | None:
    """The refusal an answer is, as a short key (``"503"``, ``"reset"``), or None if served."""
    status = exchange.status
    if status is not None:
        if status >= 400 and status not in (404, 410):
            return str(status)
        if exchange.error is not None and exchange.error.kind in ("reset", "protocol"):
            return exchange.error.kind
        return None
    error = exchange.error
    if error is not None and error.kind in DROP_ERRORS:
        return error.kind
    return None


def served(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status < 400 and exchange.error is None


def calm_gap(ctx: RuleContext) -> float:
    return max(CALM_MIN_GAP_S, CALM_MARGIN / ctx.policy.rate.min_rps)


@dataclass
class Refusal:
    """How to read one refused answer."""

    exchange: Exchange
    key: str
    verdict: Verdict
    agent_specific: bool | None  # the browser was served where this agent was refused
    rechecks: list[Exchange] = field(default_factory=list)  # this agent's and the browser's
    how: str = ""  # one line for the report


@dataclass
class HostLimits:
    """Limit answers (429/503 on pages) on one host, per IP and per agent."""

    host: str
    requests: int = 0  # page-like requests we sent (all agents)
    served_pages: int = 0
    events: list[Exchange] = field(default_factory=list)
    by_agent: dict[str, int] = field(default_factory=dict)  # profile -> limit answers
    sent_by_agent: dict[str, int] = field(default_factory=dict)
    agent_specific: set[str] = field(default_factory=set)  # profiles limited on their own
    unavailable: bool = False  # every page answer was a 5xx, for every agent
    unavailable_status: int | None = None
    refused_at_rps: float | None = None  # lowest pace at which a shared limit answered
    sustained_rps: float | None = None  # highest rate sustained with no limit answer
    calm_limit: Exchange | None = None  # a shared limit answer to a request sent calmly
    agent_refused_rps: dict[str, float] = field(default_factory=dict)  # own rate at first limit

    @property
    def shared_events(self) -> list[Exchange]:
        return [e for e in self.events if e.profile not in self.agent_specific]


# -- the refusal model -----------------------------------------------------------------------


def _by_host(ctx: RuleContext) -> dict[str, list[Exchange]]:
    def build() -> dict[str, list[Exchange]]:
        out: dict[str, list[Exchange]] = {}
        for e in sorted(ctx.snapshot.exchanges, key=lambda e: (e.timing.started_s, e.id)):
            if e.purpose == "rate_probe":
                continue
            if e.error is not None and e.error.message.startswith("not fetched"):
                continue
            out.setdefault(host_of(e.url), []).append(e)
        return out

    return ctx.cached("refusals:by_host", build)


def _calm(ctx: RuleContext, exchange: Exchange) -> bool:
    """Sent at least the calm gap after our previous request to the same host."""
    calm = ctx.cached("refusals:calm", lambda: _calm_index(ctx))
    return calm.get(exchange.id, False)


def _calm_index(ctx: RuleContext) -> dict[int, bool]:
    gap = calm_gap(ctx)
    out: dict[int, bool] = {}
    for exchanges in _by_host(ctx).values():
        previous: float | None = None
        for e in exchanges:
            t = e.timing.started_s
            out[e.id] = previous is None or t - previous >= gap * 0.95
            previous = t
    return out


def refusals(ctx: RuleContext) -> dict[int, Refusal]:
    """Every refused page-like answer, by exchange id, with its verdict."""
    return ctx.cached("refusals", lambda: _build_refusals(ctx))


def refusal_of(ctx: RuleContext, exchange: Exchange | None) -> Refusal | None:
    return None if exchange is None else refusals(ctx).get(exchange.id)


def _build_refusals(ctx: RuleContext) -> dict[int, Refusal]:
    exchanges = [
        e
        for e in ctx.snapshot.exchanges
        if e.purpose in PAGE_PURPOSES
        and not (e.error is not None and e.error.message.startswith("not fetched"))
    ]
    originals: dict[tuple[str, str], Exchange] = {}  # (profile, url) -> first non-recheck
    rechecks: dict[tuple[str, str], list[Exchange]] = {}
    served_urls: dict[str, list[Exchange]] = {}
    for e in exchanges:
        if e.purpose == "recheck":
            rechecks.setdefault((e.profile, e.url), []).append(e)
        else:
            originals.setdefault((e.profile, e.url), e)
        if served(e):
            served_urls.setdefault(e.url, []).append(e)

    # Group verdicts from the calm re-checks: (profile, key) -> (verdict, browser served)
    group: dict[tuple[str, str], tuple[Verdict, bool | None, list[Exchange]]] = {}
    for (profile, url), checks in rechecks.items():
        original = originals.get((profile, url))
        key = refusal_key(original) if original is not None else None
        if key is None:
            continue
        own = [c for c in checks if c.profile == profile]
        browser = rechecks.get(("browser", url), []) if profile != "browser" else []
        if any(served(c) for c in own):
            verdict: Verdict = "load"
        elif own:
            verdict = "holds"
        else:
            continue
        browser_ok = any(served(b) for b in browser) if browser else None
        group.setdefault((profile, key), (verdict, browser_ok, own + browser))

    # A stopped agent cannot be re-checked: its own calm refusals say whether they hold, and
    # so does being refused every time while the other agents were served under the same load.
    calm_holds: set[tuple[str, str]] = set()
    for e in exchanges:
        key = refusal_key(e)
        if key is not None and e.purpose != "recheck" and _calm(ctx, e):
            calm_holds.add((e.profile, key))
    always_refused = _refused_alone(exchanges)

    out: dict[int, Refusal] = {}
    for e in exchanges:
        key = refusal_key(e)
        if key is None:
            continue
        browser_served_url = any(s.profile == "browser" for s in served_urls.get(e.url, []))
        if e.purpose == "recheck":
            out[e.id] = Refusal(e, key, "holds", None, [], "re-check")
            continue
        found = group.get((e.profile, key))
        if found is not None:
            verdict, browser_ok, checks = found
            specific = browser_ok if browser_ok is not None else browser_served_url
            how = (
                "re-checked at a calm pace: "
                + ("still refused" if verdict == "holds" else "served, so our own load caused it")
                + ("; the browser was served in the same re-check" if browser_ok else "")
            )
            out[e.id] = Refusal(e, key, verdict, specific if e.profile != "browser" else None,
                                checks, how)  # fmt: skip
            continue
        status = e.status or 0
        if status in BLOCK_4XX_NOT_TIMING:
            out[e.id] = Refusal(
                e, key, "holds", browser_served_url, [], "a 4xx block: no load explains it"
            )
        elif (e.profile, key) in calm_holds:
            out[e.id] = Refusal(
                e, key, "holds", browser_served_url, [], "refused at a calm pace as well"
            )
        elif e.profile in always_refused:
            out[e.id] = Refusal(
                e,
                key,
                "holds",
                browser_served_url,
                [],
                "refused on every request after the first, while the other agents were served",
            )
        else:
            out[e.id] = Refusal(
                e, key, "unresolved", None, [], "refused under load, not re-checked"
            )
    return out


def _refused_alone(exchanges: list[Exchange]) -> set[str]:
    """Bot agents refused (429/5xx/drops) on every page request after their first refusal,
    far more often than the pooled rate of all agents allows (binomial tail < 1%), while the
    browser was served: their own block, whichever status it wears."""
    by_host: dict[str, list[Exchange]] = {}
    for e in exchanges:
        if e.purpose != "recheck":
            by_host.setdefault(host_of(e.url), []).append(e)
    out: set[str] = set()
    for pages in by_host.values():
        refused = [e for e in pages if _timing_refusal(e)]
        if not refused or not any(e.profile == "browser" and served(e) for e in pages):
            continue
        pooled = len(refused) / len(pages)
        for profile in {e.profile for e in refused if e.profile.startswith("bot:")}:
            own = sorted(
                (e for e in pages if e.profile == profile), key=lambda e: e.timing.started_s
            )
            hits = sum(1 for e in own if _timing_refusal(e))
            first = next(i for i, e in enumerate(own) if _timing_refusal(e))
            after = own[first:]
            if (
                hits >= 2
                and all(_timing_refusal(e) for e in after)
                and (_binomial_tail(hits, len(own), pooled) < SPECIFIC_P_VALUE)
            ):
                out.add(profile)
    return out


def _timing_refusal(exchange: Exchange) -> bool:
    """A refusal timing could explain: 429, 5xx, a dropped connection."""
    key = refusal_key(exchange)
    return key is not None and (not key.isdigit() or key == "429" or key >= "500")


# -- limits per host -------------------------------------------------------------------------


def host_limits(ctx: RuleContext, host: str) -> HostLimits:
    return ctx.cached(f"limits:{host}", lambda: _build_limits(ctx, host))


def start_host(ctx: RuleContext) -> str:
    return host_of(ctx.snapshot.start_url)


def _build_limits(ctx: RuleContext, host: str) -> HostLimits:
    pages = [e for e in _by_host(ctx).get(host, []) if e.purpose in PAGE_PURPOSES]
    limits = HostLimits(host=host, requests=len(pages))
    answered = [e for e in pages if e.status is not None]
    limits.served_pages = sum(1 for e in answered if served(e))
    if answered and all((e.status or 0) >= 500 for e in answered):
        limits.unavailable = True
        statuses = sorted({e.status for e in answered if e.status})
        limits.unavailable_status = 503 if 503 in statuses else statuses[0]
        return limits
    verdicts = refusals(ctx)
    for e in pages:
        limits.sent_by_agent[e.profile] = limits.sent_by_agent.get(e.profile, 0) + 1
        if e.status in LIMIT_STATUSES:
            refusal = verdicts.get(e.id)
            if refusal is not None and refusal.verdict == "holds" and refusal.agent_specific:
                continue  # the agent's own block, served as 503/429: the challenge rules' case
            limits.events.append(e)
            limits.by_agent[e.profile] = limits.by_agent.get(e.profile, 0) + 1
    limits.agent_specific = _agent_specific(limits) | _recheck_specific(pages)
    shared = limits.shared_events
    paced = [e.timing.paced_rps for e in shared if e.timing.paced_rps]
    limits.refused_at_rps = min(paced) if paced else None
    limits.calm_limit = next((e for e in shared if _calm(ctx, e)), None)
    limits.sustained_rps = _sustained(pages, {e.id for e in shared})
    for profile in limits.agent_specific:
        own = [e for e in pages if e.profile == profile]
        first = next(e for e in own if e.status in LIMIT_STATUSES)
        limits.agent_refused_rps[profile] = _own_rate(own, first)
    return limits


def _agent_specific(limits: HostLimits) -> set[str]:
    """Agents limited far more often than chance allows if the limit were the shared IP's:
    under the null hypothesis every request is refused with the pooled rate; an agent whose
    count of limit answers is improbable under it (binomial tail < 1%) has a limit of its own."""
    total_hits = sum(limits.by_agent.values())
    total_sent = sum(limits.sent_by_agent.values())
    if not total_hits or not limits.sent_by_agent.get("browser"):
        return set()  # without the browser's requests there is nothing to compare with
    pooled = total_hits / total_sent
    out: set[str] = set()
    for profile, hits in limits.by_agent.items():
        sent = limits.sent_by_agent.get(profile, 0)
        if profile.startswith("bot:") and _binomial_tail(hits, sent, pooled) < SPECIFIC_P_VALUE:
            out.add(profile)
    return out


def _recheck_specific(pages: list[Exchange]) -> set[str]:
    """Bots refused with 429/503 in every calm re-check of a URL while the browser, re-checked
    in between on the same URL, was served every time: treated differently under the same
    load, whichever order the limiter saw them in."""
    checks: dict[tuple[str, str], list[Exchange]] = {}
    for e in pages:
        if e.purpose == "recheck":
            checks.setdefault((e.profile, e.url), []).append(e)
    out: set[str] = set()
    for (profile, url), own in checks.items():
        browser = checks.get(("browser", url), [])
        if (
            profile.startswith("bot:")
            and len(own) >= 2
            and all(e.status in LIMIT_STATUSES for e in own)
            and browser
            and all(served(e) for e in browser)
        ):
            out.add(profile)
    return out


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if p <= 0:
        return 0.0 if k > 0 else 1.0
    if p >= 1:
        return 1.0
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _no_bucket_at_or_above(exchanges: list[Exchange], shared: list[Exchange], low: float) -> bool:
    """Whether no token bucket (nginx ``limit_req``, GCRA) refilling at ``low`` req/s or faster,
    with any burst, reproduces which of our requests the host served and which it limited.

    The fetcher's pace says where a limit answered, but an auditor starved of CPU, or an
    audit that ends before its pace settles, leaves the pace verdict open while the answers
    themselves settle it: the limiter refused the fifth request of a burst after a pause it
    would have drained at 16 req/s. Replaying the bucket over the observed outcomes tests
    each rate: a served request sets the bound ``burst >= level``, a refused one
    ``burst < level``; a rate is ruled out when no burst meets both, by ``FIT_TOLERANCE``.
    Rates above 1.5x the fastest second we sent are not tried: there, a refusal is told
    apart from two arrivals bunched by jitter only by a burst of zero, so nothing is ruled out."""
    refused = {e.id for e in shared}
    outcomes = [
        (e.timing.started_s, e.id in refused)
        for e in exchanges
        if e.status is not None and (e.id in refused or e.status not in LIMIT_STATUSES)
    ]
    if len(refused) < 2 or len(outcomes) < SUSTAIN_MIN_REQUESTS:
        return False
    top = 1.5 * _fastest_second([t for t, _ in outcomes])
    rate = low
    while rate <= top:
        if _bucket_fits(outcomes, rate):
            return False
        rate *= FIT_STEP
    return rate > low  # at least one rate was tried and none fitted


def _fastest_second(times: list[float]) -> float:
    best, start = 0.0, 0
    for end, t in enumerate(times):
        while t - times[start] > FIT_WINDOW_S:
            start += 1
        best = max(best, (end - start) / FIT_WINDOW_S)
    return best


def _bucket_fits(outcomes: list[tuple[float, bool]], rate: float) -> bool:
    """nginx's accounting: excess = max(0, excess - rate * elapsed + 1) at each request,
    refused when it exceeds the burst; a refused request leaves the bucket as it was."""
    level: float | None = None
    last = 0.0
    highest_served, lowest_refused = 0.0, math.inf
    for t, was_refused in outcomes:
        candidate = 0.0 if level is None else max(0.0, level - rate * (t - last) + 1)
        if was_refused:
            lowest_refused = min(lowest_refused, candidate)
        else:
            highest_served = max(highest_served, candidate)
            level, last = candidate, t
    return highest_served < lowest_refused + FIT_TOLERANCE


def _sustained(pages: list[Exchange], limit_ids: set[int]) -> float | None:
    """The highest actual rate held for SUSTAIN_MIN_S with no shared limit answer."""
    times = [e.timing.started_s for e in pages]
    if len(times) < SUSTAIN_MIN_REQUESTS:
        return None
    best: float | None = None
    start = 0
    for i, e in enumerate([*pages, None]):  # type: ignore[list-item]
        if e is not None and e.id not in limit_ids:
            continue
        segment = times[start:i]
        if len(segment) >= SUSTAIN_MIN_REQUESTS and segment[-1] - segment[0] >= SUSTAIN_MIN_S:
            rate = (len(segment) - 1) / (segment[-1] - segment[0])
            best = rate if best is None else max(best, rate)
        start = i + 1
    return best


def _own_rate(own: list[Exchange], at: Exchange) -> float:
    """This agent's own request rate over the window before ``at``."""
    t = at.timing.started_s
    window = [e for e in own if t - AGENT_WINDOW_S <= e.timing.started_s <= t]
    first = min(e.timing.started_s for e in window)
    span = max(t - first, 2.0)
    return len(window) / span if len(window) > 1 else 1.0 / AGENT_WINDOW_S


@dataclass
class RateVerdict:
    outcome: Literal["fail", "pass", "unclear", "none", "not_applicable"]
    text: str
    rate: float | None = None  # the rate the verdict rests on
    scope: Literal["ip", "agent", "probe", "none"] = "none"
    evidence: list[Exchange] = field(default_factory=list)


def rate_verdict(ctx: RuleContext, bot: str) -> RateVerdict:
    """Whether a required bot may crawl at ``rate.min_rps``, from limits on the start host."""
    need = ctx.policy.rate.min_rps
    low, high = need / CALM_MARGIN, need * CALM_MARGIN
    limits = host_limits(ctx, start_host(ctx))
    profile = f"bot:{bot}"
    if limits.unavailable:
        return RateVerdict(
            "not_applicable",
            f"the host answered {limits.unavailable_status} to every page request: it is "
            "unavailable (maintenance), not rate limited",
        )
    probe = _probe_verdict(ctx, profile, need)
    if probe is not None:
        return probe
    if profile in limits.agent_specific:
        own = limits.agent_refused_rps[profile]
        events = [e for e in limits.events if e.profile == profile]
        others = sum(n for p, n in limits.sent_by_agent.items() if p != profile)
        text = (
            f"{bot} alone was limited ({len(events)} answers 429/503 of "
            f"{limits.sent_by_agent.get(profile, 0)} requests) while the other agents, sending "
            f"from the same IP under the same load, got none to few ({others} requests); its own "
            f"rate at the first limit was ~{own:.2f} req/s"
        )
        if own <= low:
            return RateVerdict("fail", text, own, "agent", events)
        if own >= high:
            return RateVerdict(
                "pass", text + f", above rate.min_rps ({need:g})", own, "agent", events
            )
        return RateVerdict("unclear", text + f": too close to rate.min_rps ({need:g}) to call",
                           own, "agent", events)  # fmt: skip
    shared = limits.shared_events
    if not shared:
        return RateVerdict("none", "no 429/503 on pages")
    agents = sorted({e.profile for e in shared})
    who = f"{len(agents)} agents alike ({', '.join(agents[:5])})" if len(agents) > 1 else agents[0]
    refused, sustained = limits.refused_at_rps, limits.sustained_rps
    base = (
        f"a limit on the auditor's IP answered 429/503 to {who}: every agent shares one "
        "address, so each crawler IP meets the same limit"
    )
    if limits.calm_limit is not None:
        gap = calm_gap(ctx)
        return RateVerdict(
            "fail",
            base + f"; it refused even a request sent {gap:.1f} s after the previous one "
            f"(slower than rate.min_rps = {need:g} req/s)",
            1.0 / gap,
            "ip",
            [limits.calm_limit],
        )
    if refused is not None and refused <= low:
        return RateVerdict("fail", base + f", still at ~{refused:.2f} req/s", refused, "ip", shared)
    if sustained is not None and sustained >= high:
        return RateVerdict(
            "pass",
            base + f"; ~{sustained:.2f} req/s was sustained without a limit, above "
            f"rate.min_rps ({need:g})",
            sustained,
            "ip",
            shared,
        )
    if _no_bucket_at_or_above(_by_host(ctx).get(start_host(ctx), []), shared, low):
        return RateVerdict(
            "fail",
            base + f"; no limiter at {low:.2f} req/s or more (rate.min_rps less the 20% "
            "margin), whatever its burst, would have answered as this one did: it refused "
            "requests it would have served",
            refused,
            "ip",
            shared,
        )
    span = (f"it answered at ~{refused:.2f} req/s" if refused else "it answered") + (
        f" and ~{sustained:.2f} req/s was sustained" if sustained else ""
    )
    return RateVerdict(
        "unclear",
        base + f"; {span}: rate.min_rps ({need:g}) lies within the margin (±20%), too close "
        "to call from the audit's own traffic; measure it with --probe-rate",
        refused,
        "ip",
        shared,
    )


def _probe_verdict(ctx: RuleContext, profile: str, need: float) -> RateVerdict | None:
    """The opt-in probe's answer: the first step that drew a limit and the step below it."""
    probes = {p.profile: p for p in ctx.snapshot.rate_probes}
    probe = probes.get(profile)
    if probe is None or not probe.points:
        return None
    steps = sorted({pt.step_rps for pt in probe.points})
    browser = probes.get("browser")
    scope: Literal["ip", "agent", "probe"] = "probe"
    if probe.onset_rps is None:
        top = steps[-1]
        if top >= need:
            return RateVerdict(
                "pass", f"the rate probe reached {top:g} req/s with no limit", top, "probe"
            )
        return None
    if browser is not None and browser.onset_rps is not None:
        scope = "ip" if abs(math.log2(browser.onset_rps / probe.onset_rps)) <= 1 else "agent"
    below = [s for s in steps if s < probe.onset_rps]
    text = (
        f"the rate probe drew a limit at {probe.onset_rps:g} req/s ({probe.stopped_because})"
        + (f" after {below[-1]:g} req/s passed" if below else "")
        + (
            "; the browser was limited at about the same rate, so the limit is on the IP"
            if scope == "ip"
            else ""
        )
    )
    evidence = [ctx.snapshot.exchange(pt.exchange_id) for pt in probe.points[-1:]]
    if probe.onset_rps <= need:
        return RateVerdict("fail", text, probe.onset_rps, scope, evidence)
    if below and below[-1] >= need:
        return RateVerdict("pass", text, below[-1], scope, evidence)
    return RateVerdict("unclear", text + f": rate.min_rps ({need:g}) lies between the steps",
                       probe.onset_rps, scope, evidence)  # fmt: skip


def settled_fetch(
    ctx: RuleContext, url: str, exchange: Exchange | None
) -> tuple[Exchange | None, str]:
    """The answer to judge a URL by "as served to anyone", and why.

    ``exchange`` (usually the honest crawl's fetch) stands, unless it is a 429/503 that the
    site's limiter on the auditor's IP may have drawn: then a served fetch of the same URL by
    the honest crawler or the browser is used instead, or None when there is none (the
    verdict would rest on timing). A URL refused to every agent that tried it, two or more,
    and served to none is refused for its own sake and stands."""
    if exchange is None or exchange.status not in LIMIT_STATUSES:
        return exchange, ""
    limits = host_limits(ctx, host_of(url))
    if limits.unavailable or not limits.shared_events:
        return exchange, ""
    fetches = [
        e
        for e in ctx.snapshot.exchanges
        if e.url == url and e.purpose in PAGE_PURPOSES and e.status is not None
    ]
    served_here = [e for e in fetches if served(e) and e.profile in ("seoaudit", "browser")]
    if served_here:
        return served_here[-1], "served when fetched again (the first answer was the limiter's)"
    refused_to = {e.profile for e in fetches if e.status in LIMIT_STATUSES}
    if len(refused_to) >= 2 and not any(served(e) for e in fetches):
        return exchange, ""
    return None, (
        f"answered {exchange.status} while the site was limiting the auditor's IP (RL001), "
        "and never served in a calm re-check"
    )
