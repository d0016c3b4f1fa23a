"""Generated access logs with known answers, for tests and `bench/logs_bench.py`.

Addresses: real Googlebot and bingbot addresses come from the shipped published ranges
(66.249.66.0/27, 157.55.39.0/24); spoofers and humans use documentation-reserved blocks
(RFC 5737), which no crawler owns, so a GPTBot user-agent from them is spoofed.

`generate_load` writes a log with response times and a planted crawler peak that does, or
does not, slow everyone else down: the crawl-safety verdict's known answer.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT_UA = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
GPTBOT_UA = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)
VERIFIED_GOOGLE_IPS = [f"66.249.66.{i}" for i in range(1, 31)]
VERIFIED_BING_IPS = [f"157.55.39.{i}" for i in range(1, 31)]
SPOOFER_IPS = [f"203.0.113.{i}" for i in range(1, 50)]
HUMAN_IPS = [f"198.51.100.{i}" for i in range(1, 250)]
PATHS = ["/", "/products/a", "/products/b", "/blog/post-1", "/blog/post-2", "/about", "/search?q=x"]
BLOCKED_PATH = "/checkout/step1"


@dataclass
class Planted:
    """What the generated log holds, to compare a report with."""

    lines: int = 0
    by_group: Counter[tuple[str, str]] = field(default_factory=Counter)  # (bot, verdict)
    bytes_by_group: Counter[tuple[str, str]] = field(default_factory=Counter)
    verified_google_403: int = 0
    verified_google_429: int = 0
    spoofed_google_403: int = 0
    malformed: int = 0


def _clf(ip: str, when: dt.datetime, path: str, status: int, size: int, ua: str) -> str:
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{ua}"'


def generate(
    n: int,
    *,
    seed: int = 7,
    crawler_share: float = 0.10,
    malformed_every: int = 0,
    start: dt.datetime | None = None,
) -> tuple[Iterator[str], Planted]:
    """`n` combined-format lines (lazily) and the planted answer, filled as lines are made."""
    planted = Planted()
    rng = random.Random(seed)
    t0 = start or dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def lines() -> Iterator[str]:
        for i in range(n):
            when = t0 + dt.timedelta(seconds=i * 86_400 / max(n, 1))
            if malformed_every and i % malformed_every == malformed_every - 1:
                planted.malformed += 1
                planted.lines += 1
                yield f"garbage line {i} \x7f"
                continue
            roll = rng.random()
            size = rng.randint(500, 40_000)
            if roll < crawler_share:
                kind = rng.random()
                if kind < 0.5:  # verified Googlebot
                    ip, ua, key = (
                        rng.choice(VERIFIED_GOOGLE_IPS),
                        GOOGLEBOT_UA,
                        ("googlebot", "verified"),
                    )
                    if i % 97 == 0:
                        path, status = BLOCKED_PATH, 403
                        planted.verified_google_403 += 1
                    elif i % 89 == 0:
                        path, status = "/products/a", 429
                        planted.verified_google_429 += 1
                    else:
                        path, status = rng.choice(PATHS), 200
                elif kind < 0.7:  # spoofed Googlebot, refused by the WAF
                    ip, ua, key = rng.choice(SPOOFER_IPS), GOOGLEBOT_UA, ("googlebot", "spoofed")
                    path, status = rng.choice(PATHS), 403
                    planted.spoofed_google_403 += 1
                elif kind < 0.85:
                    ip, ua, key = rng.choice(VERIFIED_BING_IPS), BINGBOT_UA, ("bingbot", "verified")
                    path, status = rng.choice(PATHS), 200
                else:
                    ip, ua, key = rng.choice(HUMAN_IPS), GPTBOT_UA, ("gptbot", "spoofed")
                    path, status = rng.choice(PATHS), 200
            else:
                ip, ua, key = rng.choice(HUMAN_IPS), BROWSER_UA, ("browser or unknown", "")
                path, status = rng.choice(PATHS), rng.choice((200, 200, 200, 304, 404))
            planted.lines += 1
            planted.by_group[key] += 1
            planted.bytes_by_group[key] += size
            yield _clf(ip, when, path, status, size, ua)

    return lines(), planted


@dataclass
class PlantedLoad:
    """The known answer of a `generate_load` log."""

    lines: int = 0
    minutes: int = 0
    peak_minutes: list[int] = field(default_factory=list)  # Unix minutes of the peak
    peak_rpm_min: int = 0
    peak_rpm_max: int = 0
    base_rpm_max: int = 0  # highest crawler rate outside the peak
    crawler_requests: int = 0
    human_requests: int = 0


def generate_load(
    *,
    minutes: int = 360,
    seed: int = 11,
    human_rpm: int = 40,
    base_crawler_rpm: tuple[int, int] = (0, 10),
    peak_rpm: int = 200,
    peak_start: int = 120,
    peak_minutes: int = 30,
    peak_slows: bool = True,
    base_ms: float = 80.0,
    slow_factor: float = 3.0,
    peak_error_share: float = 0.0,
    peak_human_rpm: int | None = None,
    timed: bool = True,
    start: dt.datetime | None = None,
) -> tuple[list[str], PlantedLoad]:
    """Combined lines with nginx `rt=`/`urt=` timings (none when not `timed`); humans' latency
    is log-normal around `base_ms`, multiplied by `slow_factor` in the peak minutes when
    `peak_slows`; in the peak, `peak_error_share` of humans' requests get a 503."""
    rng = random.Random(seed)
    t0 = start or dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    planted = PlantedLoad(minutes=minutes)
    out: list[str] = []
    peak = range(peak_start, peak_start + peak_minutes)
    rates = []
    for m in range(minutes):
        in_peak = m in peak
        crawlers = (
            rng.randint(peak_rpm - 10, peak_rpm + 10) if in_peak else rng.randint(*base_crawler_rpm)
        )
        rate = peak_human_rpm if in_peak and peak_human_rpm is not None else human_rpm
        humans = rng.randint(rate - 5, rate + 5)
        minute_start = t0 + dt.timedelta(minutes=m)
        if in_peak:
            planted.peak_minutes.append(int(minute_start.timestamp()) // 60)
            rates.append(crawlers)
        else:
            planted.base_rpm_max = max(planted.base_rpm_max, crawlers)
        events = [(rng.random() * 60, True) for _ in range(humans)]
        events += [(rng.random() * 60, False) for _ in range(crawlers)]
        for offset, human in sorted(events):
            when = minute_start + dt.timedelta(seconds=offset)
            stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
            upstream = rng.lognormvariate(0, 0.3) * base_ms / 1000
            status = 200
            if human:
                if in_peak and peak_slows:
                    upstream *= slow_factor
                if in_peak and rng.random() < peak_error_share:
                    status = 503
                ip, ua, path = rng.choice(HUMAN_IPS), BROWSER_UA, rng.choice(PATHS)
                planted.human_requests += 1
            else:
                ip, ua, path = rng.choice(VERIFIED_GOOGLE_IPS), GOOGLEBOT_UA, rng.choice(PATHS)
                planted.crawler_requests += 1
            timing = f" rt={upstream + 0.002:.3f} urt={upstream:.3f}" if timed else ""
            out.append(
                f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rng.randint(500, 40_000)} "-" '
                f'"{ua}"{timing}'
            )
    planted.lines = len(out)
    planted.peak_rpm_min, planted.peak_rpm_max = (min(rates), max(rates)) if rates else (0, 0)
    return out, planted
