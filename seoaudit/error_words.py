"""Transport errors in words: what happened, not the exception class that reported it.

``ReadError: `` says nothing to a reader; "connection reset after 0 bytes" does. Shared by
the engine (the "site unreachable" outcome) and every reporter (evidence lines).
"""

from __future__ import annotations

import re

_PLAIN = {
    "dns": "the host name does not resolve",
    "connect": "could not connect",
    "tls": "the TLS handshake failed",
    "protocol": "the answer was not valid HTTP",
    "redirect_limit": "too many redirects",
    "redirect_loop": "a redirect loop",
    "out_of_scope": "a redirect off the audited hosts (not followed)",
    "private_address": "refused: the host resolves to a private address",
    "interrupted": "not finished: the audit was interrupted",
    "too_large": "the answer was over the size cap (cut there)",
}
_NOISE = ("ConnectError", "ReadError", "RemoteProtocolError", "ReadTimeout", "ConnectTimeout")


def _seconds(ms: float | None) -> str:
    if ms is None:
        return ""
    s = ms / 1000
    return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"


def describe_error(
    kind: str | None,
    message: str | None = None,
    *,
    bytes_read: int | None = None,
    elapsed_ms: float | None = None,
) -> str:
    """One phrase for a failed exchange, e.g. ``connection reset after 0 bytes``."""
    message = (message or "").strip()
    detail = _useful(message)
    low = message.lower()
    if kind == "reset":
        text = "connection reset"
        if bytes_read is not None:
            text += f" after {bytes_read:,} bytes"
        return text
    if kind == "timeout":
        after = _seconds(elapsed_ms)
        return f"no answer within {after}" if after else "timed out"
    if kind == "connect":
        if "refused" in low or "all connection attempts failed" in low:
            return "connection refused"
        if "unreachable" in low:
            return "network unreachable"
        return "could not connect" + (f" ({detail})" if detail else "")
    if kind == "dns":
        return _PLAIN["dns"]
    if kind == "tls":
        if "certificate verify failed" in low:
            why = re.sub(
                r"\s*\(_ssl\.c:\d+\)", "", message.split("certificate verify failed", 1)[1]
            )
            why = why.strip(" :)]") or "not trusted"
            return f"the TLS certificate was rejected ({why}; --insecure accepts it for staging)"
        return _PLAIN["tls"] + (f": {detail}" if detail else "")
    if kind == "protocol" and "without sending a response" in low:
        return "the server closed the connection without an answer (nginx's 444 does this)"
    if kind in _PLAIN:
        return _PLAIN[kind] + (f" ({detail})" if detail and kind == "protocol" else "")
    return detail or (kind or "failed")


def _useful(message: str) -> str:
    """The message without an empty or class-name-only prefix (``ReadError: `` → "")."""
    text = message
    for noise in _NOISE:
        if text.startswith(noise):
            text = text[len(noise) :].lstrip(": ")
    if text.lower().startswith("[ssl") or "certificate" in text.lower():
        return text[:160]
    return text[:160]
