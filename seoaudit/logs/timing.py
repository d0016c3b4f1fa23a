"""Response time as servers log it, converted to integer microseconds of origin time.

Each server names and scales it differently; the origin (upstream) figure is preferred to
the total one, because the question is whether crawling loads the origin, not whether a
slow client took long to read. Values are converted with `round(seconds * 1_000_000)`, the
definition the log cube (`seoaudit.logs.cube`) gives for every engine.
"""

from __future__ import annotations

import math

# JSON field names in order of preference, with the unit each is written in
JSON_TIMING_FIELDS: tuple[tuple[str, str], ...] = (
    ("upstream_response_time", "s"),  # nginx $upstream_response_time
    ("OriginResponseDurationMs", "ms"),  # Cloudflare Logpush
    ("target_processing_time", "s"),  # AWS ALB
    ("time-to-first-byte", "s"),  # CloudFront (standard logs v2 / real-time)
    ("time_to_first_byte", "s"),
    ("request_time", "s"),  # nginx $request_time
    ("duration", "s"),  # Caddy
    ("EdgeTimeToFirstByteMs", "ms"),  # Cloudflare, when the origin figure is absent
    ("time-taken", "s"),
    ("time_taken", "s"),
    ("duration_ms", "ms"),
    ("response_time_ms", "ms"),
    ("latency_ms", "ms"),
    ("elapsed_ms", "ms"),
)
UNIT_FACTOR = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}

# What to add to the server's log format when the log has no timing at all
HOW_TO_ADD = {
    "nginx": 'log_format timed \'$remote_addr - $remote_user [$time_local] "$request" $status '
    '$body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time '
    "urt=$upstream_response_time';",
    "apache": 'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D" '
    "combined_timed  (%D: microseconds)",
    "iis": "W3C logging fields: tick 'Time Taken' (time-taken, milliseconds)",
    "caddy": "the default JSON access log already has duration (seconds)",
    "cloudflare": "Logpush job fields: add OriginResponseDurationMs (and EdgeTimeToFirstByteMs)",
    "cloudfront": "standard logs already have time-taken and time-to-first-byte",
    "alb": "ALB access logs already have target_processing_time",
}


def unit_for_name(name: str) -> str:
    """The unit a field name implies (`...Ms`, `_ms` → ms; `_us` → µs; `_ns` → ns; else s)."""
    low = name.lower()
    if low.endswith(("ms", "_millis", "millis")):
        return "ms"
    if low.endswith(("_us", "micros", "_usec")) or name.endswith("Us"):
        return "us"
    if low.endswith(("_ns", "nanos")) or name.endswith("Ns"):
        return "ns"
    return "s"


def to_us(value: object, unit: str) -> int | None:
    """Microseconds from a logged value: number, numeric string, or nginx's `0.1, 0.2 : 0.3`
    (several upstreams tried: their times add up). `-`, empty or negative → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text or text == "-":
            return None
        if "," in text or ":" in text:
            parts = [p.strip() for p in text.replace(":", ",").split(",")]
            values = [to_us(p, unit) for p in parts if p and p != "-"]
            known = [v for v in values if v is not None]
            return sum(known) if known else None
        try:
            number = float(text)
        except ValueError:
            return None
    if not math.isfinite(number) or number < 0:
        return None
    return round(number * UNIT_FACTOR[unit])


def advice(detected_format: str) -> str:
    """Which field to add, for the format a log was read as."""
    if detected_format == "w3c":
        return HOW_TO_ADD["iis"]
    if detected_format == "json":
        return (
            "add the response time to the JSON log: nginx "
            '"request_time":"$request_time","upstream_response_time":"$upstream_response_time"; '
            + HOW_TO_ADD["cloudflare"]
            + "; or map a field with --fields duration=NAME[:s|ms|us]"
        )
    return f"nginx: {HOW_TO_ADD['nginx']}  Apache: {HOW_TO_ADD['apache']}"
