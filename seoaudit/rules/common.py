"""Small helpers the rule modules share: subjects, counts, and Google's documented costs."""

from __future__ import annotations

from urllib.parse import urlsplit

from seoaudit.result import Subject

GOOGLE_ROBOTS_5XX = (
    "Google stops crawling the whole host for about 12 hours, then crawls with the last "
    "cached robots.txt for up to 30 days (crawler-facts §1.2)"
)
ROBOTS_SPEC = "https://developers.google.com/crawling/docs/robots-txt/robots-txt-spec"
HTTP_ERRORS_DOC = "https://developers.google.com/search/docs/crawling-indexing/http-network-errors"
VERIFY_DOC = "https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot"
BLOCK_INDEXING_DOC = "https://developers.google.com/search/docs/crawling-indexing/block-indexing"
SITEMAPS_DOC = "https://developers.google.com/search/docs/crawling-indexing/sitemaps/build-sitemap"
RFC9309 = "https://www.rfc-editor.org/rfc/rfc9309.html"

EXEMPT_VERIFIED = (
    "Exempt verified crawlers from the bot rule by IP range or reverse DNS (or the WAF's "
    "verified-bot category), never by user-agent string alone"
)


def host_subject(origin: str, bot: str | None = None) -> Subject:
    return Subject(host=urlsplit(origin).netloc or origin, bot=bot)


def url_subject(url: str, bot: str | None = None) -> Subject:
    return Subject(url=url, bot=bot)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
