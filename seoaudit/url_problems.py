"""Why a URL the user typed cannot be audited, in words (``http://[::1`` is not "not http")."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_problem(raw: str) -> str | None:
    """What is wrong with ``raw`` as a start URL, or None when it is a usable http(s) URL."""
    text = raw.strip()
    if not text:
        return "the URL is empty"
    if any(c.isspace() for c in text):
        return "it contains spaces (percent-encode them as %20)"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "the host has an unclosed '[': an IPv6 address is written like http://[::1]/"
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme:
            return "it has no scheme: start it with https:// or http://"
        return f"the scheme is {parts.scheme!r}: seoaudit audits http:// and https:// URLs"
    if not parts.netloc or not parts.hostname:
        return "there is no host name after the scheme"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "the port is not a number from 0 to 65535"
    return None
