"""Does crawling load the origin? A verdict from the log cube, with the statistics behind it.

The unit of evidence is the minute. For every minute with enough timed requests from
everyone else (browsers and unknown clients: the traffic an outage would hurt), take the
p95 of their origin time and their 5xx share, and set it against that minute's crawler
requests (every claimed crawler, verified or not: a spoofer loads the origin too).

- Busiest crawler minutes: the top 10% of minutes by crawler requests (those at or above
  the exact 90th percentile, and above the median), against all other minutes.
- Test: one-sided Mann-Whitney U on the per-minute p95 (busy > other), normal approximation
  with tie correction. It compares ranks, so a few pathological minutes do not decide it,
  and it assumes no shape for latency, which is skewed. Requests within a minute are not
  independent, which is why minutes, not requests, are the samples: a test on requests
  would call any trivial shift "significant" on a day of logs.
- Minimum effect: a difference is load only if it is significant (p < 0.01) *and* the median
  per-minute p95 rises by at least 20% and 25 ms (or the 5xx share by at least one point).
  Smaller shifts are within the minute-to-minute noise of a healthy origin and no capacity
  decision follows from them; requiring both keeps a 3 ms shift on a 10 ms page, or a 5%
  shift on a slow one, from being reported as load.
- A seeded bootstrap over minutes (1,000 resamples) gives a 95% interval for the rise in the
  median per-minute p95, shown beside the test.
- Highest safe rate: minutes are grouped in doubling bands of crawler rate (1, 2-3, 4-7, ...);
  each band above the median is tested against the minutes at or below the median, with a
  Bonferroni-corrected threshold. The safe rate is the highest crawler rate seen in the bands
  below the first degraded one.

This is correlation within one log: crawlers busy at the daily peak would look like load.
The report therefore shows everyone else's request rate in both groups beside the verdict,
and the verdict carries a caution when that rate (mean per minute) is 20% or more higher
in the busy minutes.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from statistics import median
from typing import Any

from seoaudit.logs.cube import CRAWLER, HUMAN_BOT, OTHER, LogCube, exact_quantile

MIN_TIMED_PER_MINUTE = 20  # timed requests a minute needs for its p95 to mean anything
MIN_MINUTES = 10  # minutes with timing needed for any verdict
MIN_GROUP_MINUTES = 5  # minutes each compared group needs
ALPHA = 0.01
MIN_RISE_RATIO = 1.20
MIN_RISE_MS = 25
MIN_RISE_5XX = 0.01
BUSY_QUANTILE = 90
CONFOUND_RATIO = 1.2  # others' traffic this much higher in busy minutes: say so
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 17


def mann_whitney_greater(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """(U of a, z, one-sided p that a tends to exceed b); normal approximation, tie-corrected."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks_a = 0.0
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        ties = j - i + 1
        tie_term += ties**3 - ties
        ranks_a += rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        i = j + 1
    u = ranks_a - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return u, 0.0, 1.0
    z = (u - mean - 0.5) / math.sqrt(variance)  # continuity correction
    return u, z, 0.5 * math.erfc(z / math.sqrt(2))


def _bootstrap_rise(a: list[float], b: list[float]) -> tuple[float, float]:
    """95% interval of median(a) - median(b), resampling minutes (seeded: reproducible)."""
    rng = random.Random(BOOTSTRAP_SEED)
    rises = sorted(
        median(rng.choices(a, k=len(a))) - median(rng.choices(b, k=len(b)))
        for _ in range(BOOTSTRAP_RESAMPLES)
    )
    return rises[int(0.025 * len(rises))], rises[int(0.975 * len(rises)) - 1]


def _pooled(histograms: list[Counter[int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for histogram in histograms:
        total.update(histogram)
    return total


def compare(
    busy: list[dict[str, Any]],
    other: list[dict[str, Any]],
    alpha: float = ALPHA,
    *,
    interval: bool = True,
) -> dict[str, Any]:
    """The latency and 5xx comparison of two groups of minutes, and whether it is load.

    Without `interval`, the bootstrap (the costly part) runs only when the other conditions
    for load already hold, since only then can it change the answer."""
    busy_p95 = [m["p95_ms"] for m in busy]
    other_p95 = [m["p95_ms"] for m in other]
    _, z, p = mann_whitney_greater(busy_p95, other_p95)
    busy_median, other_median = median(busy_p95), median(other_p95)
    rise_ms = busy_median - other_median
    ratio = busy_median / other_median if other_median > 0 else (math.inf if rise_ms > 0 else 1.0)
    candidate = p < alpha and rise_ms >= MIN_RISE_MS and ratio >= MIN_RISE_RATIO
    low, high = _bootstrap_rise(busy_p95, other_p95) if interval or candidate else (None, None)
    latency_load = candidate and low is not None and low > 0
    errors_busy = sum(m["errors"] for m in busy) / max(1, sum(m["requests"] for m in busy))
    errors_other = sum(m["errors"] for m in other) / max(1, sum(m["requests"] for m in other))
    _, z5, p5 = mann_whitney_greater(
        [m["share_5xx"] for m in busy], [m["share_5xx"] for m in other]
    )
    error_load = p5 < alpha and errors_busy - errors_other >= MIN_RISE_5XX

    def side(group: list[dict[str, Any]], group_p95: list[float]) -> dict[str, Any]:
        pooled = _pooled([m["histogram"] for m in group])
        return {
            "minutes": len(group),
            "crawler_rpm_max": max(m["crawler"] for m in group),
            "crawler_rpm_median": median(m["crawler"] for m in group),
            "others_rpm_median": median(m["requests"] for m in group),
            "others_rpm_mean": round(sum(m["requests"] for m in group) / len(group), 1),
            "p50_ms": exact_quantile(pooled, 50),
            "p95_ms": exact_quantile(pooled, 95),
            "median_minute_p95_ms": median(group_p95),
            "share_5xx": round(
                sum(m["errors"] for m in group) / max(1, sum(m["requests"] for m in group)), 4
            ),
        }

    return {
        "busy": side(busy, busy_p95),
        "other": side(other, other_p95),
        "latency_test": {
            "method": "one-sided Mann-Whitney U on per-minute p95, tie-corrected normal approximation",
            "z": round(z, 3),
            "p_value": _round_p(p),
            "rise_ms": round(rise_ms, 1),
            "ratio": round(ratio, 3) if math.isfinite(ratio) else None,
            "bootstrap_95ci_ms": None if low is None else [round(low, 1), round(high, 1)],
            "alpha": alpha,
            "load": latency_load,
        },
        "error_test": {
            "method": "one-sided Mann-Whitney U on per-minute 5xx share",
            "z": round(z5, 3),
            "p_value": _round_p(p5),
            "rise": round(errors_busy - errors_other, 4),
            "alpha": alpha,
            "load": error_load,
        },
        "load": latency_load or error_load,
    }


def _round_p(p: float) -> float:
    return float(f"{p:.3g}")


def per_minute(cube: LogCube) -> tuple[list[dict[str, Any]], str]:
    """Every minute with traffic: crawler and others' requests, 5xx, latency histogram."""
    minutes: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"crawler": 0, "verified": 0, "requests": 0, "errors": 0, "timed": 0,
                 "by_bot": Counter(), "histogram": Counter(), "crawler_histogram": Counter()}
    )  # fmt: skip
    for key, cell in cube.traffic.items():
        minute = minutes[key.minute]
        if key.bot == HUMAN_BOT:
            minute["requests"] += cell.requests
            if key.status >= 500:
                minute["errors"] += cell.requests
        else:
            minute["crawler"] += cell.requests
            if key.verdict == "verified":
                minute["verified"] += cell.requests
                minute["by_bot"][key.bot] += cell.requests
    others_timed = 0
    for key, count in cube.latency.items():
        minute = minutes[key.minute]
        if key.audience == OTHER:
            minute["histogram"][key.bucket_ms] += count
            others_timed += count
        else:
            minute["crawler_histogram"][key.bucket_ms] += count
    audience = OTHER
    if others_timed == 0:  # a log of crawler traffic only: judge by crawler latency itself
        audience = CRAWLER
        for minute in minutes.values():
            minute["histogram"] = minute["crawler_histogram"]
            minute["requests"] = minute["crawler"]
    rows = []
    for number in sorted(minutes):
        minute = minutes[number]
        timed = sum(minute["histogram"].values())
        rows.append(
            {
                "minute": number,
                **{k: minute[k] for k in ("crawler", "verified", "requests", "errors", "by_bot")},
                "timed": timed,
                "histogram": minute["histogram"],
                "p50_ms": exact_quantile(minute["histogram"], 50),
                "p95_ms": exact_quantile(minute["histogram"], 95),
                "share_5xx": minute["errors"] / minute["requests"] if minute["requests"] else 0.0,
            }
        )
    return rows, audience


def _bands(top: int) -> list[tuple[int, int]]:
    """Doubling crawler-rate bands [1,1], [2,3], [4,7], ... up to the highest rate seen."""
    bands, low = [], 1
    while low <= top:
        bands.append((low, 2 * low - 1))
        low *= 2
    return bands


def crawl_safety(cube: LogCube) -> dict[str, Any]:
    """The crawl-safety section of the log report (see the module docstring for the method)."""
    from seoaudit.logs.timing import advice

    rows, audience = per_minute(cube)
    crawler_time = sum(c.time_us for k, c in cube.traffic.items() if k.bot != HUMAN_BOT)
    all_time = sum(c.time_us for c in cube.traffic.values())
    timed = sum(c.timed for c in cube.traffic.values())
    bot_totals: Counter[str] = Counter()
    for row in rows:
        bot_totals.update(row["by_bot"])
    top_bots = [b for b, _ in bot_totals.most_common(5)]
    out: dict[str, Any] = {
        "timed_requests": timed,
        "timing_fields": {f: t for f, t in cube.timing_fields.items()},
        "audience": "everyone but crawlers" if audience == OTHER else "crawlers (no other traffic)",
        "crawler_share_origin_time": round(crawler_time / all_time, 4) if all_time else None,
        "per_minute": {
            "minute": [r["minute"] for r in rows],
            "crawler_requests": [r["crawler"] for r in rows],
            "verified_crawler_requests": [r["verified"] for r in rows],
            "by_verified_bot": {b: [r["by_bot"].get(b, 0) for r in rows] for b in top_bots},
            "other_requests": [r["requests"] for r in rows],
            "p50_ms": [r["p50_ms"] for r in rows],
            "p95_ms": [r["p95_ms"] for r in rows],
            "share_5xx": [round(r["share_5xx"], 4) for r in rows],
        },
        "method": {
            "min_timed_per_minute": MIN_TIMED_PER_MINUTE,
            "busy_quantile": BUSY_QUANTILE,
            "alpha": ALPHA,
            "min_rise": f"{MIN_RISE_RATIO - 1:.0%} and {MIN_RISE_MS} ms of p95, "
            f"or {MIN_RISE_5XX * 100:g} percentage point of 5xx share",
        },
    }
    if timed == 0:
        formats = sorted(set(v.split(" ")[0] for v in cube.formats.values())) or ["combined"]
        out["status"] = "no_timing"
        out["add_field"] = {f: advice(f) for f in formats}
        out["verdict"] = (
            "The log has no response times, so whether crawling loads the origin cannot be "
            "told. Add the field: " + " | ".join(out["add_field"].values())
        )
        return out
    usable = [r for r in rows if r["timed"] >= MIN_TIMED_PER_MINUTE and r["p95_ms"] is not None]
    out["minutes_tested"] = len(usable)
    out["minutes_too_few_timed"] = len(rows) - len(usable)
    if len(usable) < MIN_MINUTES:
        out["status"] = "too_little_data"
        out["verdict"] = (
            f"Too little timed traffic to judge: {len(usable)} minute(s) have at least "
            f"{MIN_TIMED_PER_MINUTE} timed requests; at least {MIN_MINUTES} are needed."
        )
        return out
    rates = Counter(r["crawler"] for r in usable)
    threshold = exact_quantile(rates, BUSY_QUANTILE) or 0
    middle = exact_quantile(rates, 50) or 0
    busy = [r for r in usable if r["crawler"] >= threshold and r["crawler"] > middle]
    other = [r for r in usable if not (r["crawler"] >= threshold and r["crawler"] > middle)]
    top_rate = max(r["crawler"] for r in usable)
    if len(busy) < MIN_GROUP_MINUTES or len(other) < MIN_GROUP_MINUTES:
        out["status"] = "no_variation"
        out["verdict"] = (
            f"Crawling at up to {top_rate} req/min: its rate hardly varied, so its effect on "
            "origin latency cannot be separated from everything else's."
        )
        return out
    comparison = compare(busy, other)
    out["busy_threshold_rpm"] = threshold
    out["comparison"] = comparison
    baseline = [r for r in usable if r["crawler"] <= middle]
    bands = [(lo, hi) for lo, hi in _bands(top_rate) if hi > middle]
    tested = []
    for lo, hi in bands:
        members = [r for r in usable if max(lo, middle + 1) <= r["crawler"] <= hi]
        if not members:
            continue
        if len(members) < MIN_GROUP_MINUTES or len(baseline) < MIN_GROUP_MINUTES:
            tested.append({"from_rpm": max(lo, middle + 1), "to_rpm": hi,
                           "minutes": len(members), "tested": False})  # fmt: skip
            continue
        result = compare(members, baseline, ALPHA / max(1, len(bands)), interval=False)
        tested.append(
            {
                "from_rpm": max(lo, middle + 1),
                "to_rpm": hi,
                "minutes": len(members),
                "tested": True,
                "crawler_rpm_min": min(r["crawler"] for r in members),
                "crawler_rpm_max": result["busy"]["crawler_rpm_max"],
                "median_minute_p95_ms": result["busy"]["median_minute_p95_ms"],
                "share_5xx": result["busy"]["share_5xx"],
                "p_value": result["latency_test"]["p_value"],
                "load": result["load"],
            }
        )
    out["bands"] = tested
    safe = max((r["crawler"] for r in baseline), default=0)
    degraded_from = None
    for band in tested:
        if not band["tested"]:
            continue
        if band["load"]:
            degraded_from = band["crawler_rpm_min"]
            break
        safe = max(safe, band["crawler_rpm_max"])
    if comparison["load"] and degraded_from is None:
        degraded_from = threshold
        safe = max((r["crawler"] for r in other), default=0)
    out["safe_rpm"] = safe
    out["degraded_from_rpm"] = degraded_from
    out["load"] = degraded_from is not None
    busy_side, other_side = comparison["busy"], comparison["other"]
    latency = comparison["latency_test"]
    stats = (
        f"p95 {busy_side['median_minute_p95_ms']} ms in the busiest crawler minutes "
        f"(>= {threshold} req/min, {busy_side['minutes']} min) vs "
        f"{other_side['median_minute_p95_ms']} ms in the other {other_side['minutes']} min "
        f"(median per-minute p95; Mann-Whitney p = {latency['p_value']}, "
        f"rise {latency['rise_ms']} ms, 95% CI {latency['bootstrap_95ci_ms'][0]} to "
        f"{latency['bootstrap_95ci_ms'][1]} ms); 5xx {busy_side['share_5xx']:.2%} vs "
        f"{other_side['share_5xx']:.2%}"
    )
    busy_others, other_others = busy_side["others_rpm_mean"], other_side["others_rpm_mean"]
    out["confounded"] = bool(other_others and busy_others >= CONFOUND_RATIO * other_others)
    caution = (
        f" Caution: everyone else's traffic was {busy_others / other_others - 1:.0%} higher in the "
        "busiest crawler minutes too, so part of any difference may be theirs."
        if out["confounded"]
        else ""
    )
    if degraded_from is None:
        out["status"] = "no_load"
        out["verdict"] = (
            f"Crawling at up to {safe} req/min did not measurably load the origin: {stats}."
            + caution
        )
    else:
        out["status"] = "load"
        unseen = (
            f" (no minute had between {safe + 1} and {degraded_from - 1} req/min)"
            if degraded_from - safe > 2
            else ""
        )
        out["verdict"] = (
            f"Crawling at {degraded_from} req/min and more did measurably load the origin; "
            f"up to {safe} req/min it did not{unseen}: {stats}." + caution
        )
    return out
