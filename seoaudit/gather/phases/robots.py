"""Phase 1: robots.txt of every origin in scope, once per profile, so a WAF that answers bots
differently from people is visible; refusals our own burst may have drawn, again calmly."""

from __future__ import annotations

import asyncio
import base64

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.state import GatherRun, calm_pair, refusal_key
from seoaudit.robots_txt import RobotsTxt
from seoaudit.snapshot import Exchange, Profile, RobotsFacts

ROBOTS_MAX_BYTES = 1024 * 1024  # past Google's 500 KiB, so the lost rules can be named
ROBOTS_MAX_REDIRECTS = 5  # Google follows at most five hops (crawler-facts §1.2)
ROBOTS_RECHECK_MAX = 16


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("robots.txt")

    replayed: dict[tuple[str, str, bool], int] = {}

    async def one(origin: str, profile: Profile, *, recheck: bool = False) -> Exchange:
        stored = _stored_robots(state, origin, profile.id, recheck, replayed)
        if stored is not None:
            return stored
        fetched = await fetcher.fetch(
            origin + "/robots.txt",
            profile=profile.id,
            user_agent=profile.user_agent,
            purpose="robots",
            max_redirects=ROBOTS_MAX_REDIRECTS,
            max_body_bytes=ROBOTS_MAX_BYTES,
            serial=recheck,
        )
        has_body = fetched.exchange.status is not None
        state.store.add_robots(
            RobotsFacts(
                origin=origin,
                profile=profile.id,
                exchange_id=fetched.exchange.id,
                body_b64=base64.b64encode(fetched.body).decode("ascii") if has_body else None,
                recheck=recheck,
            )
        )
        return fetched.exchange

    # The honest copy first: it decides where the sitemaps are.
    honest = state.honest
    answers: list[tuple[str, Profile, Exchange]] = []
    for origin in state.origins:
        answers.append((origin, honest, await one(origin, honest)))
    others = [p for p in state.profiles if p.id != "seoaudit"]
    pairs = [(o, p) for o in state.origins for p in others]
    exchanges = await asyncio.gather(*(one(o, p) for o, p in pairs))
    answers += [(o, p, e) for (o, p), e in zip(pairs, exchanges, strict=True)]
    # A refusal our own burst of robots.txt fetches may have drawn is fetched again at a
    # calm pace, agent and browser in turn, so robots verdicts never rest on it.
    profiles = {p.id: p for p in state.profiles}
    plan: list[tuple[str, Profile]] = []
    served_somewhere = {o for o, _, e in answers if refusal_key(e) is None}
    for origin, profile, exchange in answers:
        if refusal_key(exchange) is None or exchange.status in (401, 403):
            continue
        if origin not in served_somewhere:  # refused to everyone: nothing to compare
            if profile.id == "seoaudit":
                plan.append((origin, profile))  # once, in case our own burst caused it
            continue
        steps = calm_pair(profile.id)
        if len(plan) + len(steps) > ROBOTS_RECHECK_MAX:
            break
        plan += [(origin, profiles[s]) for s in steps]
    for origin, profile in plan:
        if not fetcher.is_stopped(origin + "/", profile.id):
            if _stored_robots(state, origin, profile.id, True, replayed, peek=True) is None:
                await fetcher.calm(origin + "/", state.calm_gap())
            await one(origin, profile, recheck=True)


def _stored_robots(
    state: GatherRun,
    origin: str,
    profile: str,
    recheck: bool,
    replayed: dict[tuple[str, str, bool], int],
    *,
    peek: bool = False,
) -> Exchange | None:
    """A resumed run's next stored robots.txt answer for (origin, profile, recheck)."""
    if not state.resumed:
        return None
    key = (origin, profile, recheck)
    nth = replayed.get(key, 0)
    exchange_id = state.store.scalar(
        "SELECT exchange_id FROM robots WHERE origin = ? AND profile = ? AND recheck = ? "
        "ORDER BY seq LIMIT 1 OFFSET ?",
        (origin, profile, int(recheck), nth),
    )
    if exchange_id is None:
        return None
    if not peek:
        replayed[key] = nth + 1
    return state.store.snapshot().exchange(exchange_id)


def honest_robots(state: GatherRun, origin: str) -> RobotsTxt | None:
    """The honest copy the crawl follows: a calm re-check's when the first was refused."""
    data = state.store.scalar(
        "SELECT r.data FROM robots r JOIN exchanges e ON e.id = r.exchange_id "
        "WHERE r.origin = ? AND r.profile = 'seoaudit' AND e.status BETWEEN 200 AND 299 "
        "ORDER BY r.exchange_id LIMIT 1",
        (origin,),
    )
    if data is None:
        return None
    facts = RobotsFacts.model_validate_json(data)
    if facts.body_b64 is None:
        return None
    return RobotsTxt.parse(facts.body_bytes() or b"")
