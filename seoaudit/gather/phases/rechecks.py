"""Phase 5: re-checks: refusals that our own load could explain, fetched again at a calm pace,
so a verdict never rests on which request a limiter happened to hit."""

from __future__ import annotations

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.state import RECHECK_ERRORS, GatherRun, refusal_key_of

RECHECK_MAX_REQUESTS = 24
_ANSWERS = "('page', 'probe', 'canonical')"  # the purposes a re-check compares
_REFUSALS_SQL = f"""
SELECT e.url, e.profile, e.status, e.error_kind,
    EXISTS (SELECT 1 FROM exchanges f WHERE f.url = e.url AND f.purpose IN {_ANSWERS}
            AND f.status < 400 AND f.error_kind IS NULL) AS served
FROM exchanges e
WHERE e.purpose IN {_ANSWERS}
    AND (e.status = 429 OR e.status >= 500 OR e.error_kind IN {RECHECK_ERRORS!r})
ORDER BY (SELECT min(f.id) FROM exchanges f WHERE f.url = e.url AND f.purpose IN {_ANSWERS}),
    e.id
"""


def recheck_plan(state: GatherRun) -> list[tuple[str, str]]:
    """(url, profile) pairs to fetch again, calmly, to tell a refusal that holds from
    one our own load caused.

    A refusal is worth a re-check when timing could explain it (429, 503, other 5xx,
    resets and timeouts) and another agent got the same URL (the load was shared), or
    when it hit a must-index URL of the honest crawl. Each (agent, answer) group is
    re-checked once, on its most important URL, as agent, browser, browser, agent: a
    refusal that holds for the agent while the browser is served, in either order, is
    the agent's; one that comes and goes is load."""
    groups: dict[tuple[str, str], list[str]] = {}
    honest_must: list[str] = []
    # Only refusals are read from the store, URLs in the order they were first asked.
    for url, profile, status, error_kind, was_served in state.store.query(_REFUSALS_SQL):
        key = refusal_key_of(status, error_kind)
        if key is None:
            continue
        limit_like = key in ("429", "503") or not key.isdigit()
        if profile == "seoaudit" and state.must_index_match(url) and limit_like:
            honest_must.append(url)
        elif was_served or limit_like:
            groups.setdefault((profile, key), []).append(url)
    required = set(state.policy.bots.required)
    wanted = set(state.policy.bots.wanted)

    def rank(item: tuple[tuple[str, str], list[str]]) -> tuple[int, str, str]:
        (profile, key), _ = item
        bot = profile.removeprefix("bot:")
        order = 0 if profile == "browser" else 1 if bot in required else 2 if bot in wanted else 3
        return order, profile, key

    plan: list[tuple[str, str]] = []
    for url in dict.fromkeys(honest_must):
        plan.append((url, "seoaudit"))
    for (profile, _key), urls in sorted(groups.items(), key=rank):
        url = next((u for u in urls if state.must_index_match(u)), urls[0])
        steps = [profile, "browser", "browser", profile] if profile != "browser" else [profile] * 2
        if len(plan) + len(steps) > RECHECK_MAX_REQUESTS:
            break
        plan += [(url, p) for p in steps]
    return plan[:RECHECK_MAX_REQUESTS]


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    plan = recheck_plan(state)
    if not plan:
        return
    state.phase("re-checks")
    crawl = state.policy.crawl
    gap = state.calm_gap()
    profiles = {p.id: p for p in state.profiles}
    replayed: dict[tuple[str, str], int] = {}
    for url, profile_id in plan:
        profile = profiles[profile_id]
        nth = replayed.get((url, profile_id), 0)
        replayed[(url, profile_id)] = nth + 1
        if state.stored_exchange(url, profile_id, "recheck", nth) is not None:
            continue  # a resumed run made this re-check already
        if fetcher.is_stopped(url, profile_id):
            continue
        await fetcher.calm(url, gap)
        fetched = await fetcher.fetch(
            url,
            profile=profile_id,
            user_agent=profile.user_agent,
            purpose="recheck",
            max_body_bytes=crawl.max_body_kib * 1024,
            serial=True,
        )
        facts = state.page_facts(fetched)
        if facts is not None:
            state.store.add_page(facts)
