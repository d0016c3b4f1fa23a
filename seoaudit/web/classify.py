"""What one response was: the page, a challenge, a block, a soft block, a rate limit, an error.

Markers beat status codes (crawler-facts §8): challenges and block pages come back as 200,
202, 403, 405, 429 or 503, so a page is recognised from its headers and body at any status.
Whether it is a *challenge* or a *block* is decided by what the page asks of the client: a
CAPTCHA, a press-and-hold, a JavaScript or proof-of-work check is a challenge (a person can
pass it, a crawler cannot); a page that only refuses is a block. Vendor markers name who
serves the page; they do not decide the kind. A vendor header alone (``server:
cloudflare``) only shows the vendor is present; naming falls back on the maintained
``is-antibot`` provider set. Each marker's source is crawler-facts §8 or the captured pages
in tests/data/vendor_pages (sources.yaml there).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

from seoaudit.snapshot import Exchange

Kind = Literal[
    "ok", "challenge", "block", "soft_block", "rate_limited", "error", "redirect", "not_found"
]
SCAN_CHARS = 16 * 1024  # the snapshot keeps 16 KiB of small and refused answers
INTERSTITIAL_TEXT = 1500  # generic CAPTCHA widgets count only on pages about this short


@dataclass(frozen=True)
class Marker:
    """One recognisable trait of a protection page.

    ``means``: ``asks`` (the page asks the client to act: a challenge), ``refuses`` (it only
    refuses: a block). ``asks`` is the phrase the report uses for what is asked.
    ``interstitial_only``: a generic trait (a reCAPTCHA widget, "verify you are human") that
    real pages carry too (contact forms), so it counts only on a short page or a refusal."""

    vendor: str | None
    means: Literal["asks", "refuses"]
    header: tuple[str, str] | None = None  # (name, regex on value)
    body: str | None = None  # regex on the first SCAN_CHARS of the body
    asks: str | None = None
    interstitial_only: bool = False


# fmt: off
MARKERS: tuple[Marker, ...] = (
    # -- headers the vendors document
    Marker("Cloudflare", "asks", header=("cf-mitigated", r"^challenge$"), asks="a Cloudflare challenge"),
    Marker("AWS WAF", "asks", header=("x-amzn-waf-action", r"^challenge$"), asks="a JavaScript challenge"),
    Marker("AWS WAF", "asks", header=("x-amzn-waf-action", r"^captcha$"), asks="a CAPTCHA"),
    Marker("AWS WAF", "refuses", header=("x-amzn-waf-action", r"^block$")),
    Marker("Vercel", "asks", header=("x-vercel-mitigated", r"^challenge$"), asks="a browser check"),
    Marker("Vercel", "refuses", header=("x-vercel-mitigated", r"^deny$")),
    Marker("Sucuri", "refuses", header=("x-sucuri-block", r".")),
    # -- bodies that ask the client to act
    Marker("Cloudflare", "asks", body=r"window\._cf_chl_opt|/cdn-cgi/challenge-platform/", asks="a JavaScript challenge"),
    Marker("Cloudflare", "asks", body=r"jschl[_-](?:vc|answer)|cf_chl_jschl|cf-browser-verification", asks="a JavaScript challenge (I'm Under Attack mode)"),
    Marker("Cloudflare", "asks", body=r"<title>\s*Just a moment\.\.\.\s*</title>", asks="a browser check"),
    Marker("Cloudflare", "asks", body=r"cf-turnstile|challenges\.cloudflare\.com/turnstile", asks="a Turnstile check"),
    Marker("Cloudflare", "asks", body=r"cf_captcha_kind|cf-captcha-container|id=\"?challenge-form", asks="a CAPTCHA"),
    Marker("AWS WAF", "asks", body=r"awswaf\.com/[^\"']*(?:challenge|captcha|jsapi)|AwsWafIntegration|gokuProps", asks="a JavaScript or CAPTCHA check"),
    Marker("DataDome", "asks", body=r"captcha-delivery\.com", asks="a CAPTCHA / device check"),
    Marker("HUMAN (PerimeterX)", "asks", body=r"px-captcha|Press\s*(?:&amp;|&|and)\s*Hold|captcha\.px-cdn\.net", asks="press and hold"),
    Marker("Imperva", "asks", body=r"_Incapsula_Resource\?(?:SWJIYLWA|SWUDNSAI|SWHANEDL)|___utmvc", asks="a JavaScript check"),
    Marker("Akamai", "asks", body=r"_sec/cp_challenge|sec-if-cpt-container|ak-challenge", asks="a browser check"),
    Marker("Anubis", "asks", body=r"/\.within\.website/x/cmd/anubis/|anubis_challenge|id=\"anubis_", asks="a proof-of-work check"),
    Marker("Vercel", "asks", body=r"<title>\s*Vercel Security Checkpoint", asks="a browser check"),
    Marker("Sucuri", "asks", body=r"sucuri_cloudproxy_js", asks="a JavaScript check"),
    Marker("Kasada", "asks", body=r"KPSDK|ips\.js\?KP_UIDz", asks="a JavaScript check"),
    Marker("reCAPTCHA", "asks", body=r"g-recaptcha|www\.google\.com/recaptcha/|recaptcha/api\.js", asks="a CAPTCHA (reCAPTCHA)", interstitial_only=True),
    Marker("hCaptcha", "asks", body=r"h-captcha|hcaptcha\.com/1/api", asks="a CAPTCHA (hCaptcha)", interstitial_only=True),
    Marker("FunCaptcha", "asks", body=r"funcaptcha|arkoselabs\.com", asks="a CAPTCHA (FunCaptcha)", interstitial_only=True),
    Marker(None, "asks", body=r"verify (?:that )?you are (?:a )?human|are you a robot|complete the security check|checking (?:if the site connection is secure|your browser)|enable JavaScript and cookies to continue|please enable javascript before you are allowed", asks="a human check", interstitial_only=True),
    # -- bodies that only refuse
    Marker("Cloudflare", "refuses", body=r"Sorry, you have been blocked|used Cloudflare to restrict|Error 10(?:06|07|08|10|12|20)\b"),
    Marker("Cloudflare", "refuses", body=r"Attention Required! \| Cloudflare"),
    Marker("Akamai", "refuses", body=r"Reference(?:\s|&#32;)(?:#|&#35;)18(?:\.|&#46;)[0-9a-f]+"),
    Marker("Akamai", "refuses", body=r"errors(?:\.|&#46;)edgesuite(?:\.|&#46;)net"),
    Marker("Imperva", "refuses", body=r"Incapsula incident ID|_Incapsula_Resource|Powered by Incapsula"),
    Marker("HUMAN (PerimeterX)", "refuses", body=r"perimeterx\.net/whywasiblocked|believe you are using automation tools|_pxAppId|client\.perimeterx\.net"),
    Marker("Sucuri", "refuses", body=r"Sucuri Website Firewall - Access Denied|sucuri-firewall-block"),
    Marker("F5 BIG-IP", "refuses", body=r"The requested URL was rejected\. Please consult"),
    Marker("ModSecurity", "refuses", body=r"Mod_Security|This error was generated by Mod_Security|modsecurity-errorpage"),
    Marker("DDoS-Guard", "refuses", body=r"ddos-guard\.net/|DDoS-Guard</title>"),
)
# fmt: on
SIGNATURES = MARKERS  # the name earlier code and tests used
_COMPILED = [
    (
        m,
        re.compile(m.header[1], re.I) if m.header else None,
        re.compile(m.body, re.I) if m.body else None,
    )
    for m in MARKERS
]
_BLOCK_TEXT = re.compile(
    r"access denied|forbidden|you have been blocked|request (?:was )?blocked|not allowed to "
    r"access|bot(?:s)? (?:are )?not allowed|automated (?:access|requests|traffic)",
    re.I,
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.I | re.S)
_VENDOR_HEADERS = {
    "cf-ray": "Cloudflare",
    "x-amzn-requestid": "AWS",
    "x-iinfo": "Imperva",
    "x-sucuri-id": "Sucuri",
    "x-datadome": "DataDome",
    "x-datadome-cid": "DataDome",
    "akamai-grn": "Akamai",
    "x-px-block": "HUMAN (PerimeterX)",
}
_ANTIBOT_NAMES = {  # is-antibot's provider ids, in the names the rest of the report uses
    "cloudflare": "Cloudflare", "cloudflare-turnstile": "Cloudflare", "vercel": "Vercel",
    "akamai": "Akamai", "datadome": "DataDome", "perimeterx": "HUMAN (PerimeterX)",
    "imperva": "Imperva", "sucuri": "Sucuri", "kasada": "Kasada", "aws-waf": "AWS WAF",
    "anubis": "Anubis", "recaptcha": "reCAPTCHA", "hcaptcha": "hCaptcha",
    "shapesecurity": "Shape (F5)", "reblaze": "Reblaze", "funcaptcha": "FunCaptcha",
}  # fmt: skip
BLOCK_STATUSES = {401, 403, 406, 451}
SOFT_BLOCK_SHARE = 0.2  # bot text under 20% of the browser's text


@dataclass
class Classification:
    kind: Kind
    vendor: str | None = None
    signals: list[str] = field(default_factory=list)
    status: int | None = None
    asks: str | None = None  # for a challenge: what the page asks of the client

    @property
    def is_blocking(self) -> bool:
        return self.kind in ("challenge", "block", "soft_block", "rate_limited", "error")


def _headers_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        out.setdefault(name.lower(), value)
    return out


def visible_text_length(body: str) -> int:
    """Characters of visible text, roughly: tags, scripts and styles removed."""
    return len(" ".join(html.unescape(_TAGS.sub(" ", body[:SCAN_CHARS])).split()))


def detect_markers(
    headers: list[tuple[str, str]],
    body: str,
    *,
    interstitial: bool = True,
) -> tuple[str | None, str | None, list[str]]:
    """(kind, vendor, signals) from protection markers; kind None when none matched.

    ``interstitial``: the page is short or a refusal, so generic CAPTCHA traits count."""
    kind, vendor, signals, _ = _markers(headers, body, interstitial)
    return kind, vendor, signals


def _markers(
    headers: list[tuple[str, str]], body: str, interstitial: bool
) -> tuple[str | None, str | None, list[str], str | None]:
    lowered = _headers_dict(headers)
    text = body[:SCAN_CHARS]
    asks: str | None = None
    refuses = False
    vendors: list[str] = []
    signals: list[str] = []
    for marker, header_re, body_re in _COMPILED:
        if marker.interstitial_only and not interstitial:
            continue
        hit = None
        if header_re is not None and marker.header is not None:
            value = lowered.get(marker.header[0])
            if value is not None and header_re.search(value):
                hit = f"header {marker.header[0]}: {value[:80]}"
        elif body_re is not None:
            match = body_re.search(text)
            if match:
                hit = f'body marker "{match.group(0)[:60]}"'
        if hit is None:
            continue
        signals.append(hit)
        if marker.means == "asks":
            asks = asks or marker.asks
        else:
            refuses = True
        if marker.vendor and marker.vendor not in vendors:
            vendors.append(marker.vendor)
    if asks is None and not refuses:
        return None, None, [], None
    # A protection vendor outranks the widget it embeds (Cloudflare serving Turnstile).
    widget = {"reCAPTCHA", "hCaptcha", "FunCaptcha"}
    named = [v for v in vendors if v not in widget] or vendors
    return ("challenge" if asks else "block"), (named[0] if named else None), signals, asks


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
    if not found.detected:
        return None
    return _ANTIBOT_NAMES.get(found.provider, found.provider)


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
    length = text_length if text_length is not None else visible_text_length(body)
    interstitial = length <= INTERSTITIAL_TEXT or status >= 400
    kind, vendor, signals, asks = _markers(headers, body, interstitial)
    retry_after = any(k.lower() == "retry-after" for k, _ in headers)
    if kind is not None:
        vendor = vendor or vendor_present(headers, body)
        return Classification(kind, vendor, signals, status, asks)  # type: ignore[arg-type]
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
    if _BLOCK_TEXT.search(body[:SCAN_CHARS]) and length < 400:
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
