"""What one response was: the page, a challenge, a block, a soft block, a rate limit, an error.

Markers beat status codes (crawler-facts §8): challenges come back as 200, 202, 403, 405,
429 or 503, and a vendor header alone (``server: cloudflare``) only shows the vendor is
present. Vendor naming falls back on the maintained ``is-antibot`` provider set; the
challenge/block signatures below are the ones §8 documents, each with its source there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from seoaudit.snapshot import Exchange

Kind = Literal[
    "ok", "challenge", "block", "soft_block", "rate_limited", "error", "redirect", "not_found"
]
SCAN_CHARS = 4096  # markers sit in the head/top of interstitials; the snapshot keeps 4 KiB


@dataclass(frozen=True)
class Signature:
    vendor: str
    kind: Literal["challenge", "block"]
    header: tuple[str, str] | None = None  # (name, regex on value)
    body: str | None = None  # regex on the first SCAN_CHARS of the body
    source: str = "crawler-facts §8"


SIGNATURES: tuple[Signature, ...] = (
    Signature("Cloudflare", "challenge", header=("cf-mitigated", r"^challenge$")),
    Signature("Cloudflare", "challenge", body=r"<title>\s*Just a moment\.\.\.\s*</title>"),
    Signature("Cloudflare", "challenge", body=r"window\._cf_chl_opt|/cdn-cgi/challenge-platform/"),
    Signature("Cloudflare", "block", body=r"Attention Required! \| Cloudflare"),
    Signature(
        "Cloudflare", "block", body=r"Sorry, you have been blocked|used Cloudflare to restrict"
    ),
    Signature("AWS WAF", "challenge", header=("x-amzn-waf-action", r"^(challenge|captcha)$")),
    Signature("AWS WAF", "block", header=("x-amzn-waf-action", r"^block$")),
    # Akamai writes its denial page with HTML entities: "Reference&#32;&#35;18&#46;…"
    Signature("Akamai", "block", body=r"Reference(?:\s|&#32;)(?:#|&#35;)18(?:\.|&#46;)[0-9a-f]+"),
    Signature("Akamai", "block", body=r"errors(?:\.|&#46;)edgesuite(?:\.|&#46;)net"),
    Signature("Imperva", "block", body=r"Incapsula incident ID|_Incapsula_Resource"),
    Signature("DataDome", "challenge", body=r"geo\.captcha-delivery\.com|ct\.captcha-delivery"),
    Signature("DataDome", "block", header=("x-datadome", r"^protected$")),
    Signature("HUMAN (PerimeterX)", "block", body=r"perimeterx\.net/whywasiblocked|px-captcha"),
    Signature("HUMAN (PerimeterX)", "block", body=r"believe you are using automation tools"),
    Signature("Sucuri", "block", header=("x-sucuri-block", r".")),
    Signature("Sucuri", "block", body=r"Sucuri Website Firewall - Access Denied"),
    Signature("F5 BIG-IP", "block", body=r"The requested URL was rejected\. Please consult"),
    Signature("Vercel", "challenge", header=("x-vercel-mitigated", r"^(challenge|deny)$")),
    Signature("Vercel", "challenge", body=r"<title>\s*Vercel Security Checkpoint"),
    Signature("Anubis", "challenge", body=r"/\.within\.website/x/cmd/anubis/"),
    Signature("reCAPTCHA", "challenge", body=r"g-recaptcha|www\.google\.com/recaptcha/"),
    Signature("hCaptcha", "challenge", body=r"h-captcha|hcaptcha\.com"),
    Signature(
        "Cloudflare Turnstile", "challenge", body=r"cf-turnstile|challenges\.cloudflare\.com"
    ),
    Signature(
        "generic", "challenge", body=r"verify (?:that )?you are (?:a )?human|unusual traffic"
    ),
)
_COMPILED = [
    (
        sig,
        re.compile(sig.header[1], re.I) if sig.header else None,
        re.compile(sig.body, re.I) if sig.body else None,
    )
    for sig in SIGNATURES
]
_BLOCK_TEXT = re.compile(
    r"access denied|forbidden|you have been blocked|request (?:was )?blocked|not allowed to "
    r"access|bot(?:s)? (?:are )?not allowed|automated (?:access|requests|traffic)",
    re.I,
)
_VENDOR_HEADERS = {
    "cf-ray": "Cloudflare",
    "x-amzn-requestid": "AWS",
    "x-iinfo": "Imperva",
    "x-sucuri-id": "Sucuri",
    "x-datadome-cid": "DataDome",
    "akamai-grn": "Akamai",
}
BLOCK_STATUSES = {401, 403, 406, 451}
SOFT_BLOCK_SHARE = 0.2  # bot text under 20% of the browser's text


@dataclass
class Classification:
    kind: Kind
    vendor: str | None = None
    signals: list[str] = field(default_factory=list)
    status: int | None = None

    @property
    def is_blocking(self) -> bool:
        return self.kind in ("challenge", "block", "soft_block", "rate_limited", "error")


def _headers_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        out.setdefault(name.lower(), value)
    return out


def detect_markers(
    headers: list[tuple[str, str]], body: str
) -> tuple[str | None, str | None, list[str]]:
    """(kind, vendor, signals) from challenge/block markers; kind None when none matched."""
    found_kind: str | None = None
    vendor: str | None = None
    signals: list[str] = []
    lowered = _headers_dict(headers)
    text = body[:SCAN_CHARS]
    for sig, header_re, body_re in _COMPILED:
        hit = None
        if header_re is not None and sig.header is not None:
            value = lowered.get(sig.header[0])
            if value is not None and header_re.search(value):
                hit = f"header {sig.header[0]}: {value[:80]}"
        elif body_re is not None:
            match = body_re.search(text)
            if match:
                hit = f'body marker "{match.group(0)[:60]}"'
        if hit is None:
            continue
        signals.append(hit)
        if found_kind != "challenge":  # a challenge outranks a block
            found_kind = sig.kind
        if vendor is None or vendor == "generic":
            vendor = sig.vendor
    if vendor == "generic":
        vendor = None
    return found_kind, vendor, signals


def vendor_present(headers: list[tuple[str, str]], body: str) -> str | None:
    """Which protection vendor fronts the site (presence, not a verdict)."""
    lowered = _headers_dict(headers)
    server = lowered.get("server", "").lower()
    for needle, name in (("cloudflare", "Cloudflare"), ("akamaighost", "Akamai"),
                         ("sucuri", "Sucuri"), ("ddos-guard", "DDoS-Guard")):  # fmt: skip
        if needle in server:
            return name
    for header, name in _VENDOR_HEADERS.items():
        if header in lowered:
            return name
    try:
        from is_antibot import is_antibot

        found = is_antibot(headers=lowered, html=body[:SCAN_CHARS])
    except Exception:  # a third-party detector must never break an audit
        return None
    return found.provider if found.detected else None


def classify_response(
    status: int | None,
    headers: list[tuple[str, str]],
    body: str,
    *,
    error_kind: str | None = None,
    text_length: int | None = None,
    control_status: int | None = None,
    control_text_length: int | None = None,
) -> Classification:
    if status is None:
        return Classification("error", signals=[f"no response ({error_kind or 'error'})"])
    kind, vendor, signals = detect_markers(headers, body)
    retry_after = any(k.lower() == "retry-after" for k, _ in headers)
    if kind is not None:
        return Classification(kind, vendor or vendor_present(headers, body), signals, status)  # type: ignore[arg-type]
    if status == 429 or (status == 503 and retry_after):
        return Classification(
            "rate_limited", vendor_present(headers, body), [f"status {status}"], status
        )
    if status in BLOCK_STATUSES:
        return Classification("block", vendor_present(headers, body), [f"status {status}"], status)
    if status >= 500:
        return Classification("error", None, [f"status {status}"], status)
    if status in (404, 410):
        return Classification("not_found", None, [f"status {status}"], status)
    if 300 <= status < 400:
        return Classification("redirect", None, [f"status {status}"], status)
    if status >= 400:
        return Classification("block", vendor_present(headers, body), [f"status {status}"], status)
    control_ok = control_status is not None and 200 <= control_status < 300
    if (
        control_ok
        and control_text_length
        and text_length is not None
        and text_length < control_text_length * SOFT_BLOCK_SHARE
    ):
        signal = f"{text_length} characters of text where the browser got {control_text_length}"
        extra = [f'block text "{m.group(0)}"'] if (m := _BLOCK_TEXT.search(body)) else []
        return Classification("soft_block", None, [signal, *extra], status)
    if _BLOCK_TEXT.search(body[:SCAN_CHARS]) and (text_length or 0) < 400:
        return Classification("soft_block", None, ["short page with block wording"], status)
    return Classification("ok", None, [], status)


def classify_exchange(
    exchange: Exchange,
    *,
    text_length: int | None = None,
    control: Exchange | None = None,
    control_text_length: int | None = None,
) -> Classification:
    if exchange.error is not None and exchange.status is None:
        return Classification("error", signals=[f"{exchange.error.kind}: {exchange.error.message}"])
    if exchange.error is not None and exchange.error.kind in ("reset", "timeout", "protocol"):
        return Classification(
            "error",
            signals=[f"{exchange.error.kind}: {exchange.error.message}"],
            status=exchange.status,
        )
    if exchange.error is not None and exchange.error.kind in ("redirect_limit", "redirect_loop"):
        return Classification("redirect", signals=[exchange.error.message], status=exchange.status)
    return classify_response(
        exchange.status,
        exchange.headers,
        exchange.body.excerpt,
        text_length=text_length,
        control_status=control.status if control is not None else None,
        control_text_length=control_text_length,
    )
