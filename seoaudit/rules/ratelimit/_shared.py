"""What the rate-limit rules share."""

from __future__ import annotations

RATE_DOC = "https://developers.google.com/crawling/docs/crawlers-fetchers/reduce-crawl-rate"
RFC9110_RETRY_AFTER = "https://www.rfc-editor.org/rfc/rfc9110#field.retry-after"
RATELIMIT_DRAFT = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/"
GOOGLE_429 = (
    "Google slows crawling of the whole host after 429/503 and drops URLs that keep failing "
    "for about 2 days (crawler-facts §3.1)"
)
LIMITER_FIX = {
    "infra": [
        "Exempt verified crawlers (IP ranges / reverse DNS) from per-client limits, or give "
        "them their own, higher bucket",
        "When the limit is reached, answer 429 (or 503) with Retry-After, never 403",
        "Keep /robots.txt and sitemaps outside the limiter",
    ],
    "seo": [
        "Compare crawl stats (Search Console, Bing Webmaster Tools) before and after",
    ],
}
