"""Evidence for people: the one renderer every reporter uses.

Each item becomes a headline a reader can check by hand — an exchange as request →
response ("GET /products/p01 as perplexitybot → 403 · cf-mitigated: challenge · title
'Just a moment…'"), a robots.txt line quoted with its number, an error named by what
happened ("connection reset after 0 bytes") — plus optional detail lines (headers,
redirect hops, the start of the body). Site text is decoded for display (``&#46;`` → ``.``)
and returned as plain text: each reporter still escapes it for its own format.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from seoaudit.error_words import describe_error
from seoaudit.result import Evidence

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\x1b\[[0-9;?]*[A-Za-z]")
_TAGS = re.compile(r"<[^>]{0,400}>|<[^>]*$")
_TELLING_HEADERS = ("cf-mitigated", "x-amzn-waf-action", "retry-after", "x-robots-tag",
                    "x-datadome", "x-sucuri-block", "ratelimit", "x-ratelimit")  # fmt: skip
MAX_URLS = 4


@dataclass(frozen=True)
class EvidenceView:
    headline: str
    quote: list[str] = field(default_factory=list)  # verbatim lines (robots.txt, headers)
    details: list[str] = field(default_factory=list)


def display(value: object, limit: int = 300) -> str:
    """Site text for reading: entities decoded, control characters and escapes removed."""
    text = html.unescape(str(value))
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_url(url: object, site: str | None) -> str:
    """A URL on the audited origin as its path; others in full."""
    text = str(url)
    if site:
        here, there = urlsplit(site), urlsplit(text)
        if there.netloc and (there.scheme, there.netloc) == (here.scheme, here.netloc):
            return (there.path or "/") + (f"?{there.query}" if there.query else "")
    return text


def agent(profile: object) -> str:
    value = str(profile or "")
    if value.startswith("bot:"):
        return value[4:]
    return {"browser": "a browser", "seoaudit": "seoaudit", "unknown-bot": "an unknown bot"}.get(
        value, value or "?"
    )


def render_evidence(item: Evidence | dict[str, Any], site: str | None = None) -> EvidenceView:
    data = item.model_dump() if isinstance(item, Evidence) else dict(item)
    data = {k: v for k, v in data.items() if v not in (None, "", [], {})}
    kind = data.get("kind", "")
    builder = _BUILDERS.get(kind, _generic)
    return builder(data, site)


def outcome_of(data: dict[str, Any]) -> str:
    """The answer: ``403``, ``200 after 4 redirects``, ``connection reset after 0 bytes``."""
    kind = data.get("error_kind") or (
        data.get("error") if data.get("error") in _ERROR_KINDS else None
    )
    status = data.get("status")
    if kind and kind not in ("redirect_limit", "redirect_loop", "out_of_scope", "too_large"):
        text = describe_error(
            kind,
            data.get("error_message") or _error_text(data),
            bytes_read=data.get("bytes"),
            elapsed_ms=data.get("elapsed_ms"),
        )
        return f"{status}, then {text}" if status and kind in ("reset", "timeout") else text
    text = str(status) if status is not None else "no answer"
    if not kind and data.get("error") and data.get("error") not in _ERROR_KINDS:
        text = display(data["error"], 160) if status is None else text
    hops = data.get("redirects") or []
    if hops:
        text += f" after {len(hops)} redirect{'s' if len(hops) > 1 else ''}"
    if kind:
        text += " · " + describe_error(kind, data.get("error_message"))
    return text


_ERROR_KINDS = {"timeout", "connect", "dns", "tls", "reset", "too_large", "protocol",
                "redirect_limit", "redirect_loop", "out_of_scope", "private_address",
                "interrupted", "other"}  # fmt: skip


def _error_text(data: dict[str, Any]) -> str:
    for signal in data.get("signals") or []:
        if ":" in str(signal):
            return str(signal).split(":", 1)[1]
    return ""


def _exchange(data: dict[str, Any], site: str | None) -> EvidenceView:
    method = data.get("method", "GET")
    url = data.get("url") or data.get("final_url")
    who = agent(data.get("profile"))
    head = f"{method} {short_url(url, site)}" if url else "request"
    head += f" as {who}" if data.get("profile") else ""
    head += f" → {outcome_of(data)}"
    facts: list[str] = []
    headers = [display(h, 120) for h in data.get("headers") or []]
    telling = [
        h for h in headers if h.split(":", 1)[0].strip().lower().startswith(_TELLING_HEADERS)
    ]
    if data.get("retry_after") and not any(h.lower().startswith("retry-after") for h in telling):
        telling.append(f"Retry-After: {display(data['retry_after'], 40)}")
    facts += telling[:2]
    if data.get("title"):
        facts.append(f"title '{display(data['title'], 80)}'")
    for signal in data.get("signals") or []:
        text = display(signal, 100)
        low = text.lower()
        if low.startswith(("header ", "status ")) or low.split(":", 1)[0] in _ERROR_KINDS:
            continue  # the header or status is shown already; the error is in words
        if "title" in low and data.get("title"):
            continue
        facts.append(text)
        if len(facts) >= 4:
            break
    if data.get("vendor") and not any(data["vendor"].lower() in f.lower() for f in facts):
        facts.append(f"{display(data['vendor'], 40)} markers")
    if data.get("role") == "browser":
        head = "control: " + head
    details = [f"header {h}" for h in headers if h not in telling]
    details += [f"redirect {display(h, 200)}" for h in data.get("redirects") or []]
    excerpt = data.get("excerpt") or data.get("bot_excerpt")
    if excerpt:
        text = display(_TAGS.sub(" ", str(excerpt)), 160)
        if text:
            details.append(f"body starts: {text}")
    return EvidenceView(" · ".join([head, *facts]), [], details)


def _robots_line(data: dict[str, Any], site: str | None) -> EvidenceView:
    origin = str(data.get("origin") or "")
    same = not origin or not site or urlsplit(origin).netloc == urlsplit(site).netloc
    where = "robots.txt" if same else f"{origin}/robots.txt"
    who = f" as {agent(data['profile'])}" if data.get("profile") else ""
    status = data.get("status")
    line = data.get("line")
    quote: list[str] = []
    group = [display(g, 60) for g in data.get("group") or []]
    if status is not None and 400 <= status < 500 and status != 429:
        return EvidenceView(
            f"{where}{who} → {status}: no robots.txt, so everything is allowed", [], []
        )
    if line is not None:
        text = data.get("line_text") or data.get("rule") or data.get("directive") or ""
        quote.append(f"{line:>4} | {display(text, 200)}")
        head = f"{where}{who}: line {line} decides"
        if group:
            head += " (group " + ", ".join(f"User-agent: {g}" for g in group) + ")"
        if data.get("lint"):
            head = f"{where}: line {line} ({display(data['lint'], 40)})"
        return EvidenceView(head, quote, [])
    if data.get("directive"):
        return EvidenceView(f"{where}{who}", [display(data["directive"], 200)], [])
    if data.get("rule"):
        return EvidenceView(f"{where}{who}", [display(data["rule"], 200)], [])
    scope = (
        f"the group for {', '.join(group)}"
        if group and group != ["*"]
        else "the 'User-agent: *' group"
    )
    answered = f" → {status}" if status is not None else ""
    return EvidenceView(f"{where}{who}{answered}: no rule in {scope} matches, so it is allowed")


def _directive(data: dict[str, Any], site: str | None) -> EvidenceView:
    sources = [display(s, 160) for s in data.get("sources") or []]
    head = (
        f"GET {short_url(data['url'], site)} as {agent(data.get('profile'))} → {outcome_of(data)}"
        if data.get("url")
        else "the page"
    )
    head += " · says " + ("; ".join(sources) if sources else "noindex")
    quote = [f"X-Robots-Tag: {display(v, 160)}" for v in data.get("x_robots_tag") or []]
    for name, content in data.get("meta_robots") or []:
        quote.append(f'<meta name="{display(name, 40)}" content="{display(content, 120)}">')
    return EvidenceView(head, quote, [])


def _canonical(data: dict[str, Any], site: str | None) -> EvidenceView:
    page = data.get("page_url")
    target = short_url(data.get("target", "?"), site)
    return EvidenceView(
        (f"{short_url(page, site)} declares " if page else "the page declares ")
        + f"rel=canonical → {target}"
    )


def _timing(data: dict[str, Any], site: str | None) -> EvidenceView:
    head = f"time to first byte as {display(data.get('bot', '?'), 40)}"
    parts = [f"p50 {data['p50_ms']:.0f} ms" if "p50_ms" in data else "",
             f"p75 {data['p75_ms']:.0f} ms" if "p75_ms" in data else ""]  # fmt: skip
    head += ": " + ", ".join(p for p in parts if p)
    if "samples" in data:
        head += f" over {data['samples']} requests"
    if data.get("browser_p75_ms") is not None:
        head += f"; a browser's p75: {data['browser_p75_ms']:.0f} ms"
    return EvidenceView(head)


def _url_list(urls: list[Any], site: str | None) -> str:
    shown = ", ".join(short_url(u, site) for u in urls[:MAX_URLS])
    return shown + (f" (+{len(urls) - MAX_URLS} more)" if len(urls) > MAX_URLS else "")


def _errors(data: dict[str, Any], site: str | None) -> EvidenceView:
    statuses = ", ".join(str(s) for s in data.get("statuses") or [])
    count = len(data.get("exchange_ids") or [])
    head = f"answers {statuses}" if statuses else "server errors"
    if data.get("urls"):
        head += f" on {_url_list(data['urls'], site)}"
    if count:
        head += f" ({count} requests)"
    return EvidenceView(head)


def _urls(data: dict[str, Any], site: str | None) -> EvidenceView:
    label = "pages affected" if data.get("kind") == "pages" else "URLs"
    return EvidenceView(f"{label}: {_url_list(data.get('urls') or [], site)}")


def _robots_compare(data: dict[str, Any], site: str | None) -> EvidenceView:
    who = agent(data.get("profile")) if data.get("profile") else "the bot"
    bot_status = data.get("bot_status", "no answer")
    head = f"robots.txt as {who} → {bot_status}; as a browser → {data.get('browser_status', '?')}"
    if data.get("bot_sha256") and data.get("bot_sha256") != data.get("browser_sha256"):
        head += " (different content)"
    details = []
    if data.get("bot_excerpt"):
        details.append(f"{who} got: {display(_TAGS.sub(' ', str(data['bot_excerpt'])), 160)}")
    return EvidenceView(head, [], details)


def _redirects(data: dict[str, Any], site: str | None) -> EvidenceView:
    hops = [display(h, 200) for h in data.get("hops") or []]
    return EvidenceView(f"{len(hops)} redirect hops", hops, [])


def _robots_size(data: dict[str, Any], site: str | None) -> EvidenceView:
    head = f"robots.txt is {data.get('bytes', 0):,} bytes; Google reads the first {data.get('limit', 0):,}"
    lost = [display(r, 200) for r in data.get("lost_rules") or []]
    if data.get("lost_count"):
        head += f": {data['lost_count']} rules past the cut are ignored"
    return EvidenceView(head, lost[:5], [])


def _header(data: dict[str, Any], site: str | None) -> EvidenceView:
    where = "the answer"
    if data.get("url"):
        who = agent(data.get("profile"))
        where = f"GET {short_url(data['url'], site)} as {who} → {outcome_of(data)}"
    quote = [display(h, 160) for h in data.get("headers") or []]
    return EvidenceView(where + " · advertises its quota", quote, [])


def _budget(data: dict[str, Any], site: str | None) -> EvidenceView:
    parts = []
    if data.get("sustainable_rps") is not None:
        parts.append(f"sustainable rate {data['sustainable_rps']:g} req/s")
    if data.get("needed_rps") is not None:
        parts.append(f"needed {data['needed_rps']:g} req/s")
    if data.get("urls") is not None:
        parts.append(f"{data['urls']} URLs to keep fresh")
    details = [display(s, 160) for s in data.get("sources") or []]
    return EvidenceView("crawl budget: " + ", ".join(parts), [], details)


def _log(data: dict[str, Any], site: str | None) -> EvidenceView:
    parts = [display(data[k], 120) for k in ("time", "ip") if data.get(k)]
    head = "server log: " + " ".join(parts)
    if data.get("url"):
        head += f" GET {short_url(data['url'], site)}"
    if data.get("status") is not None:
        head += f" → {data['status']}"
    return EvidenceView(head.strip())


def _generic(data: dict[str, Any], site: str | None) -> EvidenceView:
    kind = str(data.pop("kind", "evidence")).replace("_", " ")
    skip = {"exchange_id", "exchange_ids", "role"}
    parts = []
    for key, value in data.items():
        if key in skip:
            continue
        if isinstance(value, list):
            value = ", ".join(display(v, 80) for v in value[:MAX_URLS]) + (
                f" (+{len(value) - MAX_URLS} more)" if len(value) > MAX_URLS else ""
            )
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {display(v, 60)}" for k, v in list(value.items())[:6])
        parts.append(f"{key.replace('_', ' ')} {display(value, 160)}")
    return EvidenceView(f"{kind}: " + "; ".join(parts) if parts else kind)


_BUILDERS = {
    "exchange": _exchange,
    "robots_line": _robots_line,
    "directive": _directive,
    "canonical": _canonical,
    "timing": _timing,
    "errors": _errors,
    "pages": _urls,
    "urls": _urls,
    "robots_compare": _robots_compare,
    "redirects": _redirects,
    "robots_size": _robots_size,
    "header": _header,
    "crawl_budget": _budget,
    "log": _log,
}
