"""Bodies the scenario server can serve: shop pages, sitemaps, and vendor block/challenge pages.

Vendor pages carry the headers and body markers of crawler-facts §8 (Cloudflare, Akamai,
AWS WAF, DataDome, PerimeterX, Sucuri, Imperva, generic CAPTCHA) so classification is
tested against what those vendors really send.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

Rendered = tuple[list[tuple[str, str]], str, str]  # headers, body, content type
HTML = "text/html; charset=utf-8"


def _page(
    *,
    title: str,
    path: str,
    origin: str,
    links: list[str] = (),  # type: ignore[assignment]
    assets: list[str] = (),  # type: ignore[assignment]
    meta_robots: list[tuple[str, str]] | list[list[str]] = (),  # type: ignore[assignment]
    canonical: str | None = None,
    hreflang: list[list[str]] = (),  # type: ignore[assignment]
    text: str = "",
    paragraphs: int = 3,
) -> str:
    head = [f"<title>{html.escape(title)}</title>", '<meta charset="utf-8">']
    for name, content in meta_robots:
        head.append(f'<meta name="{html.escape(name)}" content="{html.escape(content)}">')
    if canonical:
        href = canonical if "://" in canonical else origin + canonical
        head.append(f'<link rel="canonical" href="{html.escape(href)}">')
    for lang, href in hreflang:
        head.append(f'<link rel="alternate" hreflang="{lang}" href="{origin}{href}">')
    for asset in assets:
        if asset.endswith(".css"):
            head.append(f'<link rel="stylesheet" href="{asset}">')
        elif asset.endswith(".js"):
            head.append(f'<script src="{asset}" defer></script>')
    nav = "".join(
        f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>' for link in links
    )
    images = "".join(
        f'<img src="{a}" alt="">' for a in assets if a.endswith((".png", ".jpg", ".svg"))
    )
    filler = text or (
        "Our shop sells sturdy, repairable goods. Free returns within 30 days. "
        f"This page ({html.escape(path)}) describes the product range, sizes and care. "
    )
    body = "".join(f"<p>{filler}</p>" for _ in range(paragraphs))
    return (
        '<!doctype html><html lang="en"><head>'
        + "".join(head)
        + f"</head><body><header><h1>{html.escape(title)}</h1></header>"
        + f"<nav><ul>{nav}</ul></nav><main>{body}{images}</main>"
        + "<footer>&copy; Example Shop</footer></body></html>"
    )


def page(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    return [], _page(path=ctx["path"], origin=ctx["origin"], **params), HTML


def sitemap(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    origin = params.get("origin_url") or ctx["origin"]
    paths = list(params.get("paths", []))
    count = int(params.get("generate", 0))
    entries = [f"<url><loc>{html.escape(origin + p)}</loc></url>" for p in paths]
    entries += [f"<url><loc>{origin}/generated/{i}</loc></url>" for i in range(count)]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(entries)
        + "</urlset>\n"
    )
    return [], body, "application/xml"


def sitemap_index(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    origin = ctx["origin"]
    entries = "".join(
        f"<sitemap><loc>{html.escape(c if '://' in c else origin + c)}</loc></sitemap>"
        for c in params.get("children", [])
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + entries
        + "</sitemapindex>\n"
    )
    return [], body, "application/xml"


def robots(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    lines = list(params.get("lines", []))
    filler = int(params.get("filler_kib", 0))
    text = "\n".join(lines) + "\n"
    if filler:
        block = "".join(f"Disallow: /filler/{i:06d}/\n" for i in range(filler * 1024 // 24 + 1))
        text = text + "User-agent: *\n" + block
        text += "\n".join(params.get("tail", [])) + "\n"
    return [], text.replace("{origin}", ctx["origin"]), "text/plain; charset=utf-8"


def _vendor(title: str, markers: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>"
        '<meta name="robots" content="noindex, nofollow"></head>'
        f"<body>{markers}</body></html>"
    )


def cloudflare_challenge(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Just a moment...",
        '<div id="challenge-running">Checking your browser before accessing the site.</div>'
        "<script>window._cf_chl_opt={cvId:'3',cType:'managed'};</script>"
        '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
        '<div class="cf-turnstile"></div>',
    )
    headers = [
        ("cf-mitigated", "challenge"),
        ("Server", "cloudflare"),
        ("CF-RAY", "8a1b2c3d4e5f-AMS"),
    ]
    return headers, body, HTML


def cloudflare_block(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Attention Required! | Cloudflare",
        '<link rel="stylesheet" href="/cdn-cgi/styles/cf.errors.css">'
        "<h1>Sorry, you have been blocked</h1><h2>Error 1020</h2>"
        "<p>You are unable to access this site.</p>"
        "<p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f6a7b</strong></p>",
    )
    return [("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f6a7b-AMS")], body, HTML


def akamai_block(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = (
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n"
        f'You don\'t have permission to access "http&#58;&#47;&#47;shop{html.escape(ctx["path"])}" '
        "on this server.<P>\nReference&#32;&#35;18&#46;2f3c1702&#46;1700000000&#46;1a2b3c4d\n"
        "<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;2f3c1702</P>\n</BODY>\n</HTML>\n"
    )
    return [("Server", "AkamaiGHost"), ("Mime-Version", "1.0")], body, "text/html"


def aws_waf_challenge(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Human Verification",
        '<script src="https://example.token.awswaf.com/challenge.js"></script>'
        '<div id="challenge-container"></div>',
    )
    return [("x-amzn-waf-action", "challenge")], body, HTML


def aws_waf_captcha(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Human Verification",
        '<script src="https://example.captcha.awswaf.com/jsapi.js"></script>'
        '<div id="captcha-container"></div>',
    )
    return [("x-amzn-waf-action", "captcha")], body, HTML


def datadome(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "example.com",
        "<script>var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'2211F522B61E269B869FA6EAFFB5E1',"
        "'host':'geo.captcha-delivery.com'}</script>"
        '<script src="https://ct.captcha-delivery.com/c.js"></script>',
    )
    headers = [
        ("x-datadome", "protected"),
        ("x-datadome-cid", "AHrlqAAAAAMA"),
        ("Set-Cookie", "datadome=abc123; Path=/"),
    ]
    return headers, body, HTML


def perimeterx(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Access to this page has been denied.",
        "<h1>Access to this page has been denied because we believe you are using automation "
        "tools to browse the website.</h1>"
        '<p><a href="https://www.perimeterx.com/whywasiblocked">Why was I blocked?</a></p>'
        '<div id="px-captcha"></div><script src="https://client.perimeterx.net/PXabc/main.min.js">'
        "</script>",
    )
    return [], body, HTML


def sucuri(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Sucuri WebSite Firewall - Access Denied",
        '<link rel="stylesheet" href="https://cdn.sucuri.net/sucuri-firewall-block.css">'
        "<h1>Access Denied - Sucuri Website Firewall</h1>"
        "<p>If you think this is a mistake, contact cloudproxy@sucuri.net</p>",
    )
    return (
        [("Server", "Sucuri/Cloudproxy"), ("X-Sucuri-ID", "11005"), ("X-Sucuri-Block", "BOT001")],
        body,
        HTML,
    )


def imperva(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Request unsuccessful. Incapsula incident ID: 1234000010000000000-1",
        '<iframe src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=1-2-0"></iframe>'
        "<p>Request unsuccessful. Incapsula incident ID: 1234000010000000000-1</p>",
    )
    return (
        [("X-Iinfo", "1-2-3 NNNN CT(0 0 0) RT(1 2) q(0 0 0 -1) r(0 0) U5"), ("X-CDN", "Incapsula")],
        body,
        HTML,
    )


def recaptcha(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    body = _vendor(
        "Please verify you are human",
        "<p>Our systems have detected unusual traffic. Please verify you are human.</p>"
        '<script src="https://www.google.com/recaptcha/api.js"></script>'
        '<div class="g-recaptcha" data-sitekey="6Lc_example"></div>',
    )
    return [], body, HTML


def soft_block(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    """A 200 answer with a short apology instead of the page (what CH003 must catch)."""
    body = (
        "<!doctype html><html><head><title>Access restricted</title></head><body>"
        "<p>Access denied. Automated access to this site is not permitted.</p></body></html>"
    )
    return [], body, HTML


def empty(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    return [], "", params.get("content_type", HTML)


TEMPLATES: dict[str, Callable[[dict[str, Any], dict[str, Any]], Rendered]] = {
    "page": page,
    "sitemap": sitemap,
    "sitemap_index": sitemap_index,
    "robots": robots,
    "cloudflare_challenge": cloudflare_challenge,
    "cloudflare_block": cloudflare_block,
    "akamai_block": akamai_block,
    "aws_waf_challenge": aws_waf_challenge,
    "aws_waf_captcha": aws_waf_captcha,
    "datadome": datadome,
    "perimeterx": perimeterx,
    "sucuri": sucuri,
    "imperva": imperva,
    "recaptcha": recaptcha,
    "soft_block": soft_block,
    "empty": empty,
}


def shop(params: dict[str, Any], ctx: dict[str, Any]) -> Rendered:
    """A page of the demo shop; links and assets follow from the path, like a real CMS."""
    path = ctx["path"].split("?")[0]
    categories = list(params.get("categories", ["shoes", "bags", "hats", "sale"]))
    per_category = int(params.get("products_per_category", 10))
    posts = int(params.get("posts", 8))
    common_assets = ["/assets/site.css", "/assets/app.js"]
    nav = ["/", *(f"/category/{c}" for c in categories), "/blog/", "/about", "/cart", "/search"]
    title, links, assets = "Example Shop", list(nav), list(common_assets)
    if path == "/":
        title = "Example Shop: repairable everyday goods"
        links += [f"/products/p{i:02d}" for i in (1, 11, 21, 31)]
    elif path.startswith("/category/"):
        name = path.rsplit("/", 1)[-1]
        index = categories.index(name) if name in categories else 0
        title = f"{name.title()} | Example Shop"
        first = index * per_category + 1
        links += [f"/products/p{i:02d}" for i in range(first, first + per_category)]
    elif path.startswith("/products/"):
        sku = path.rsplit("/", 1)[-1]
        number = int(sku[1:]) if sku[1:].isdigit() else 1
        category = categories[min((number - 1) // per_category, len(categories) - 1)]
        title = f"Product {sku.upper()} | {category.title()} | Example Shop"
        links += [
            f"/category/{category}",
            f"/products/p{max(1, number - 1):02d}",
            f"/products/p{number + 1:02d}",
        ]
        assets = ["/assets/site.css", "/assets/js/product.js", f"/img/{sku}.png"]
    elif path.startswith("/blog/"):
        title = "Blog | Example Shop" if path == "/blog/" else f"{path[6:]} | Blog | Example Shop"
        links += [f"/blog/post-{i}" for i in range(1, posts + 1)]
    else:
        title = f"{path.strip('/').title() or 'Page'} | Example Shop"
    return (
        [],
        _page(
            title=params.get("title") or title,
            path=path,
            origin=ctx["origin"],
            links=links,
            assets=assets,
            meta_robots=params.get("meta_robots", []),
            canonical=params.get("canonical", ctx["origin"] + path),
        ),
        HTML,
    )


TEMPLATES["shop"] = shop
