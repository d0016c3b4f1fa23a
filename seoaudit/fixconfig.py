"""Fixes written as the config both teams paste: robots.txt blocks, nginx, Cloudflare,
AWS WAF and ModSecurity changes, each with what the protection still stops.

Pure: the snippets are derived from data already on the finding — the rule, the
protection, the subject (URL, bot) and the evidence (vendor, robots.txt group, headers) —
so they follow the rules however those are rewritten, and they are carried in the result
JSON (``fix.configs``) for every reporter to render. The tests check each snippet with the
real parser: the project's robots.txt parser, ``nginx -t``, ``apache2 -t`` with ModSecurity,
and botocore's WAFv2 model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from seoaudit.result import ConfigSnippet, Evidence, Subject

RANGES_FILE_NGINX = "/etc/nginx/verified-crawlers.conf"
RANGES_FILE_LIST = "/etc/modsecurity/verified-crawlers.txt"
RATE = "10r/s"
BURST = 20
RETRY_AFTER_S = 60
AWS_VERIFIED_LABEL = "awswaf:managed:aws:bot-control:bot:verified"

_BLOCKING = {"waf_block", "bot_challenge"}
_LOAD = {"rate_limit", "tarpit"}
# characters that would change the meaning of a robots.txt or nginx line
_UNSAFE_PATH = re.compile(r"[\s#*$\"'\\;{}`]")


def configs_for(
    rule: str,
    protection: str,
    subject: Subject,
    evidence: Sequence[Evidence],
    owner: str = "seo",
) -> list[ConfigSnippet]:
    """The config snippets that carry out this finding's fix (none when no config applies).

    ``owner`` is the finding's: a robots.txt edit goes to it (a shared finding's file edit
    to infrastructure, who deploys the file); server and WAF config always to infra.
    """
    items = [e.model_dump() for e in evidence]
    robots_owner = "infra" if owner == "shared" else owner
    if rule in ("RB002", "RB006"):
        return _robots_allow(subject, items, robots_owner)
    if rule == "RB009":
        return _robots_disallow(subject, items, robots_owner)
    if rule == "RB010":
        return _noindex_header(subject)
    robots_path = _protected_file(items)
    if robots_path is not None and (protection in _BLOCKING | _LOAD or rule in ("RB001", "SM003")):
        if _refused(items):
            return _exempt_file(robots_path, vendor_of(items), server_of(items))
        return []
    if protection in _BLOCKING:
        return _exempt_verified(subject.bot, vendor_of(items), server_of(items))
    if protection in _LOAD:
        return _rate_limit(subject.bot, vendor_of(items), server_of(items))
    return []


# -- reading the finding's data --------------------------------------------------------

_VENDOR_HINTS = (
    ("cf-mitigated", "Cloudflare"),
    ("server: cloudflare", "Cloudflare"),
    ("cf-ray", "Cloudflare"),
    ("x-amzn-waf-action", "AWS WAF"),
    ("akamaighost", "Akamai"),
    ("edgesuite", "Akamai"),
    ("incapsula", "Imperva"),
    ("x-datadome", "DataDome"),
    ("x-sucuri", "Sucuri"),
)


def vendor_of(items: Sequence[dict[str, Any]]) -> str | None:
    """The protection vendor the evidence names (a ``vendor`` field, else its headers)."""
    for item in items:
        if item.get("role") == "browser":
            continue
        vendor = item.get("vendor")
        if vendor:
            return "Cloudflare" if str(vendor).startswith("Cloudflare") else str(vendor)
        text = " ".join(str(v) for v in (item.get("headers") or []) + (item.get("signals") or []))
        text = (text + " " + str(item.get("server") or "")).lower()
        for hint, name in _VENDOR_HINTS:
            if hint in text:
                return name
    return None


def server_of(items: Sequence[dict[str, Any]]) -> str | None:
    """``nginx`` or ``apache`` when the Server header names the origin software."""
    for item in items:
        values = [str(item.get("server") or "")]
        for header in item.get("headers") or []:
            name, _, value = str(header).partition(":")
            if name.strip().lower() == "server":
                values.append(value)
        for value in values:
            low = value.strip().lower()
            if low.startswith("nginx") or low.startswith("openresty"):
                return "nginx"
            if low.startswith("apache"):
                return "apache"
    return None


def _protected_file(items: Sequence[dict[str, Any]]) -> str | None:
    """``/robots.txt`` or a sitemap path when the refused request was for one of them."""
    for item in items:
        url = item.get("url")
        if not url or item.get("role") == "browser":
            continue
        path = urlsplit(str(url)).path
        if path == "/robots.txt":
            return path
        if "sitemap" in path.lower() and path.lower().endswith((".xml", ".xml.gz", ".txt")):
            return path
    return None


def _refused(items: Sequence[dict[str, Any]]) -> bool:
    """The protected file was answered 403/429/5xx or challenged (not a plain 404)."""
    for item in items:
        status = item.get("status") or item.get("bot_status")
        if isinstance(status, int) and (status in (401, 403, 406, 429) or status >= 500):
            return True
        if item.get("vendor"):
            return True
    return False


def _safe_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if _UNSAFE_PATH.search(path) or not path.isascii():
        return None
    return path


def _group_agents(subject: Subject, items: Sequence[dict[str, Any]]) -> list[str]:
    """The User-agent values of the group that decided, narrowed to the finding's bot."""
    group: list[str] = []
    for item in items:
        if item.get("kind") == "robots_line" and item.get("group"):
            group = [str(g) for g in item["group"]]
            break
    if not group:
        return [subject.bot] if subject.bot else ["*"]
    if subject.bot:
        mine = [g for g in group if g.lower() == subject.bot.lower()]
        if mine:
            return mine
    return group


def _robots_rule(items: Sequence[dict[str, Any]]) -> tuple[int | None, str | None]:
    for item in items:
        if item.get("kind") == "robots_line":
            return item.get("line"), item.get("rule")
    return None, None


# -- robots.txt --------------------------------------------------------------------------


def _robots_allow(
    subject: Subject, items: Sequence[dict[str, Any]], owner: str
) -> list[ConfigSnippet]:
    path = _safe_path(subject.url)
    if path is None:
        return []
    agents = _group_agents(subject, items)
    line, rule = _robots_rule(items)
    code = "\n".join(f"User-agent: {a}" for a in agents) + f"\nAllow: {path}$\n"
    decided = f" (line {line}: {rule})" if line and rule else ""
    return [
        ConfigSnippet(
            target="robots.txt",
            owner=owner,  # type: ignore[arg-type]
            title=f"Open {path} to {subject.bot or 'every crawler'} and nothing else",
            where=(
                "Append to robots.txt. Crawlers merge groups that name the same user-agent, and "
                f"this Allow is longer than the Disallow that matched{decided}, so it wins."
            ),
            language="robotstxt",
            code=code,
            still_stops="Every other rule of the group still applies: only this URL is opened.",
        )
    ]


def _robots_disallow(
    subject: Subject, items: Sequence[dict[str, Any]], owner: str
) -> list[ConfigSnippet]:
    bot = subject.bot
    if not bot or _UNSAFE_PATH.search(bot):
        return []
    line, rule = _robots_rule(items)
    agents = [a for a in _group_agents(subject, items) if a != "*"]
    if line and rule and rule.lower().startswith("allow") and agents:
        where = (
            f"In robots.txt, replace the group for {', '.join(agents)} (line {line}: {rule}) "
            "with this group: an Allow in the bot's own group would outweigh the Disallow."
        )
    else:
        where = (
            f"Append to robots.txt. {bot} then obeys this group only (it no longer reads the "
            "'User-agent: *' group)."
        )
    return [
        ConfigSnippet(
            target="robots.txt",
            owner=owner,  # type: ignore[arg-type]
            title=f"Disallow the whole site for {bot}",
            where=where,
            language="robotstxt",
            code=f"User-agent: {bot}\nDisallow: /\n",
            still_stops=(
                f"Only {bot} is affected, and only if it obeys robots.txt: block crawlers that "
                "ignore it by their published ranges at the WAF."
            ),
        )
    ]


def _noindex_header(subject: Subject) -> list[ConfigSnippet]:
    path = _safe_path(subject.url)
    if path is None or "?" in path:
        return []
    return [
        ConfigSnippet(
            target="nginx",
            owner="infra",
            title=f"Send X-Robots-Tag: noindex for {path}",
            where="nginx, in the http {} block",
            language="nginx",
            context="http",
            code=(
                "# pages that must stay out of search results (exact paths)\n"
                "map $uri $seoaudit_noindex {\n"
                '    default "";\n'
                f'    "{path}" "noindex";\n'
                "}\n"
            ),
        ),
        ConfigSnippet(
            target="nginx",
            owner="infra",
            title="Add the header where those pages are served",
            where=(
                "nginx, in the server {} block (a location with its own add_header lines needs "
                "this line too: nginx does not inherit add_header into it)"
            ),
            language="nginx",
            context="server",
            code="add_header X-Robots-Tag $seoaudit_noindex always;\n",
            still_stops="Other pages get no header (an empty value is not sent).",
        ),
    ]


# -- nginx -------------------------------------------------------------------------------

NGINX_RANGES = f"""\
# The crawler operators' published addresses, one "CIDR 1;" line each:
#   seoaudit bots ranges --format nginx > {RANGES_FILE_NGINX}
geo $verified_crawler {{
    default 0;
    include {RANGES_FILE_NGINX};
}}
"""

NGINX_BOT_MAPS = """\
# the usual bot rule: bot-like user-agents (crawler strings included)
map $http_user_agent $bot_like {
    default 0;
    "~*(bot|crawl|spider|slurp)" 1;
}

# refused: bot-like agents from outside the verified ranges
# (robots.txt and sitemaps are never refused)
map "$bot_like$verified_crawler:$uri" $bot_refused {
    "~:/robots\\.txt$" 0;
    "~:/sitemap[^/]*\\.xml(\\.gz)?$" 0;
    "~^10:" 1;
    default 0;
}
"""

NGINX_LIMIT_MAPS = f"""\
# rate-limit key: the client address; verified crawlers, robots.txt and
# sitemaps are not counted (an empty key is never limited)
map "$verified_crawler:$uri" $rate_limit_key {{
    "~:/robots\\.txt$" "";
    "~:/sitemap[^/]*\\.xml(\\.gz)?$" "";
    "~^1:" "";
    default $binary_remote_addr;
}}
limit_req_zone $rate_limit_key zone=per_client:10m rate={RATE};
"""


def _nginx_limit_429(comment: str, zone: str, burst: int, location: str, message: str) -> str:
    """The server-side half of a limiter: over the zone's rate, 429 + Retry-After (which
    crawlers honour by slowing down), never 403."""
    return f"""\
# {comment}
limit_req zone={zone} burst={burst} nodelay;
limit_req_status 429;
error_page 429 @{location};
location @{location} {{
    add_header Retry-After {RETRY_AFTER_S} always;
    return 429 "{message}: retry after {RETRY_AFTER_S} s\\n";
}}
"""


NGINX_SERVER_LIMIT = _nginx_limit_429(
    "over the limit: 429 + Retry-After, which crawlers honour (not 403)",
    "per_client",
    BURST,
    "too_many_requests",
    "Too many requests",
)

NGINX_SERVER_BLOCK = """\
# replaces the user-agent test of your bot rule
if ($bot_refused) {
    return 403;
}
"""

STILL_LIMITED = (
    f"every other client is still limited to {RATE.replace('r/s', ' requests/s')} per address "
    f"(burst {BURST}) and answered 429 with Retry-After: {RETRY_AFTER_S} over it"
)


def _nginx(bot: str | None, *, block: bool) -> list[ConfigSnippet]:
    who = f"verified {bot}" if bot else "verified crawlers"
    http = NGINX_RANGES + "\n" + (NGINX_BOT_MAPS + "\n" if block else "") + NGINX_LIMIT_MAPS
    server = (NGINX_SERVER_BLOCK + "\n" if block else "") + NGINX_SERVER_LIMIT
    if block:
        stops = (
            "Bot-like user-agents from any other address, including requests that only claim "
            f"to be a crawler, still get 403; {STILL_LIMITED}."
        )
    else:
        stops = f"Only the verified ranges skip the limit; {STILL_LIMITED}."
    return _nginx_pair(
        f"nginx: let {who} through"
        + ("" if block else " the rate limit")
        + "; 429 + Retry-After for load",
        "nginx: apply it in the site",
        "nginx, in the server {} block of the site",
        http,
        server,
        stops,
    )


def _modsecurity(bot: str | None) -> ConfigSnippet:
    return ConfigSnippet(
        target="modsecurity",
        owner="infra",
        title=f"ModSecurity: the rule that refused {bot or 'the crawler'} skips verified crawlers",
        where=(
            "Apache (or nginx) ModSecurity config, before the refusing rule (with the OWASP CRS: "
            "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf). Replace 1000100 with that rule's id, "
            'as ModSecurity\'s audit log names it ([id "..."]).'
        ),
        language="apache",
        code=(
            "# The crawler operators' published addresses, one per line, from:\n"
            f"#   seoaudit bots ranges --format list > {RANGES_FILE_LIST}\n"
            f'SecRule REMOTE_ADDR "@ipMatchFromFile {RANGES_FILE_LIST}" \\\n'
            '    "id:1016001,phase:1,pass,nolog,ctl:ruleRemoveById=1000100"\n'
        ),
        still_stops=(
            "Verified crawlers skip that one rule only: every other rule still inspects them, "
            "and requests from any other address, spoofed crawler strings included, are judged "
            "by it as before."
        ),
    )


# -- Cloudflare and AWS WAF --------------------------------------------------------------


def _cloudflare_skip(bot: str | None) -> ConfigSnippet:
    name = bot or "the crawler"
    return ConfigSnippet(
        target="cloudflare",
        owner="infra",
        title=f"Cloudflare: skip the bot rules for verified bots ({name})",
        where=(
            "Cloudflare dashboard → Security → WAF → Custom rules → Create rule. Expression "
            "below; action Skip (all remaining custom rules, plus Super Bot Fight Mode and "
            "rate limiting rules); place it first."
        ),
        language="text",
        code="(cf.client.bot)\n",
        still_stops=(
            "Everything Cloudflare does not list as a verified bot, including requests that "
            f"only claim to be {name}, is still challenged or blocked. If {name} is not on "
            "Cloudflare's verified-bots list (Cloudflare Radar → Bots), put its published "
            "ranges in an IP list named verified_crawlers (seoaudit bots ranges --format list) "
            "and use (cf.client.bot or ip.src in $verified_crawlers)."
        ),
    )


def _cloudflare_rate() -> ConfigSnippet:
    return ConfigSnippet(
        target="cloudflare",
        owner="infra",
        title="Cloudflare: the rate limiting rule does not count verified bots",
        where=(
            "Cloudflare dashboard → Security → WAF → Rate limiting rules → the rule that "
            "limited the crawler → Edit expression; keep action Block, which answers 429."
        ),
        language="text",
        code='(not cf.client.bot and http.request.uri.path ne "/robots.txt")\n',
        still_stops=(
            "Every other client is still counted per the rule's characteristics (e.g. per IP) "
            "and answered 429 over the limit; only Cloudflare-verified bots and robots.txt "
            "are not counted."
        ),
    )


def _cloudflare_file(path: str) -> ConfigSnippet:
    return ConfigSnippet(
        target="cloudflare",
        owner="infra",
        title=f"Cloudflare: {path} skips the bot, WAF and rate rules",
        where=(
            "Cloudflare dashboard → Security → WAF → Custom rules → Create rule. Expression "
            "below; action Skip (all remaining custom rules, Super Bot Fight Mode, rate "
            "limiting rules); place it first."
        ),
        language="text",
        code=(
            '(http.request.uri.path eq "/robots.txt" or '
            'starts_with(http.request.uri.path, "/sitemap"))\n'
        ),
        still_stops="Only robots.txt and the sitemap files skip the rules; every page is "
        "protected as before.",
    )


def _visibility(name: str) -> dict[str, Any]:
    return {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": name,
    }


def _aws_allow_verified(bot: str | None) -> ConfigSnippet:
    rule = {
        "Name": "allow-verified-crawlers",
        "Priority": 100,
        "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": AWS_VERIFIED_LABEL}},
        "Action": {"Allow": {}},
        "VisibilityConfig": _visibility("allow-verified-crawlers"),
    }
    return ConfigSnippet(
        target="aws-waf",
        owner="infra",
        title=f"AWS WAF: allow requests Bot Control labels verified ({bot or 'crawlers'})",
        where=(
            "AWS WAF → Web ACLs → your web ACL → Rules → Add rule → Rule JSON editor. Its "
            "Priority must come after the AWSManagedRulesBotControlRuleSet group (the label "
            "exists only once that group has run) and before the rule that refused the crawler."
        ),
        language="json",
        code=json.dumps(rule, indent=2) + "\n",
        still_stops=(
            "Bot Control still blocks or challenges every bot it cannot verify, including "
            f"requests that only claim to be {bot or 'a crawler'}. Allow ends evaluation: rules "
            "placed after this one no longer see verified bots."
        ),
    )


def _aws_rate() -> ConfigSnippet:
    not_verified = {
        "NotStatement": {
            "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": AWS_VERIFIED_LABEL}}
        }
    }
    rule = {
        "Name": "rate-limit-except-verified-crawlers",
        "Priority": 110,
        "Statement": {
            "RateBasedStatement": {
                "Limit": 600,
                "EvaluationWindowSec": 60,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": not_verified,
            }
        },
        "Action": {
            "Block": {
                "CustomResponse": {
                    "ResponseCode": 429,
                    "ResponseHeaders": [{"Name": "Retry-After", "Value": str(RETRY_AFTER_S)}],
                }
            }
        },
        "VisibilityConfig": _visibility("rate-limit-except-verified-crawlers"),
    }
    return ConfigSnippet(
        target="aws-waf",
        owner="infra",
        title="AWS WAF: rate-based rule that skips verified crawlers and answers 429",
        where=(
            "AWS WAF → Web ACLs → your web ACL → Rules → replace the rate-based rule that "
            "limited the crawler (Rule JSON editor), with a Priority after the "
            "AWSManagedRulesBotControlRuleSet group."
        ),
        language="json",
        code=json.dumps(rule, indent=2) + "\n",
        still_stops=(
            "Every address outside Bot Control's verified bots is still limited to 600 "
            f"requests per minute and answered 429 with Retry-After: {RETRY_AFTER_S}."
        ),
    )


def _aws_allow_file(path: str) -> ConfigSnippet:
    rule = {
        "Name": "allow-robots-txt",
        "Priority": 0,
        "Statement": {
            "ByteMatchStatement": {
                "SearchString": "/robots.txt",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                "PositionalConstraint": "EXACTLY",
            }
        },
        "Action": {"Allow": {}},
        "VisibilityConfig": _visibility("allow-robots-txt"),
    }
    return ConfigSnippet(
        target="aws-waf",
        owner="infra",
        title=f"AWS WAF: {path} is always allowed",
        where="AWS WAF → Web ACLs → your web ACL → Rules → Add rule → Rule JSON editor, first.",
        language="json",
        code=json.dumps(rule, indent=2) + "\n",
        still_stops="Only the exact path /robots.txt is allowed; every page is protected as before.",
    )


# -- choosing by vendor --------------------------------------------------------------------


def _origin(bot: str | None, server: str | None, *, block: bool) -> list[ConfigSnippet]:
    out: list[ConfigSnippet] = []
    if server in (None, "nginx"):
        out += _nginx(bot, block=block)
    if block and server in (None, "apache"):
        out.append(_modsecurity(bot))
    return out


def _exempt_verified(
    bot: str | None, vendor: str | None, server: str | None
) -> list[ConfigSnippet]:
    if vendor == "Cloudflare":
        return [_cloudflare_skip(bot)]
    if vendor in ("AWS WAF", "AWS"):
        return [_aws_allow_verified(bot)]
    if vendor is None:
        return _origin(bot, server, block=True)
    return []  # another vendor: its console steps are in the fix; no config we can vouch for


def _rate_limit(bot: str | None, vendor: str | None, server: str | None) -> list[ConfigSnippet]:
    if vendor == "Cloudflare":
        return [_cloudflare_rate()]
    if vendor in ("AWS WAF", "AWS"):
        return [_aws_rate()]
    if vendor is None:
        return _origin(bot, server, block=False)
    return []


def _nginx_pair(
    http_title: str, server_title: str, server_where: str, http: str, server: str, stops: str
) -> list[ConfigSnippet]:
    """An nginx fix in its two halves: maps and zones in http {}, the rule in server {}."""
    return [
        ConfigSnippet(
            target="nginx",
            owner="infra",
            title=http_title,
            where="nginx, in the http {} block",
            language="nginx",
            context="http",
            code=http,
        ),
        ConfigSnippet(
            target="nginx",
            owner="infra",
            title=server_title,
            where=server_where,
            language="nginx",
            context="server",
            code=server,
            still_stops=stops,
        ),
    ]


def _exempt_file(path: str, vendor: str | None, server: str | None) -> list[ConfigSnippet]:
    if vendor == "Cloudflare":
        return [_cloudflare_file(path)]
    if vendor in ("AWS WAF", "AWS"):
        return [_aws_allow_file(path)]
    if vendor is None:
        return _origin(None, server, block=False)
    return []


# -- the crawler budget: a limiter at the rate infrastructure allows (issue 17) ------------


def nginx_rate(rate_rps: float) -> str:
    """An nginx ``rate=`` value at or below ``rate_rps`` (nginx takes whole r/s or r/m)."""
    per_minute = max(1, int(rate_rps * 60 + 1e-9))
    if per_minute % 60 == 0:
        return f"{per_minute // 60}r/s"
    return f"{per_minute}r/m"


def budget_burst(rate_rps: float) -> int:
    """Burst allowance: about one second of the allowed rate, at least one request."""
    return max(1, int(rate_rps))


def _nginx_budget(rate_rps: float) -> list[ConfigSnippet]:
    rate, burst = nginx_rate(rate_rps), budget_burst(rate_rps)
    http = (
        NGINX_RANGES
        + "\n"
        + NGINX_BOT_MAPS
        + f"""
# the crawler budget: every verified crawler shares one key, limited to the share
# of origin capacity infrastructure allows (robots.txt and sitemaps never counted)
map "$verified_crawler:$uri" $crawler_budget_key {{
    "~:/robots\\.txt$" "";
    "~:/sitemap[^/]*\\.xml(\\.gz)?$" "";
    "~^1:" "verified";
    default "";
}}
limit_req_zone $crawler_budget_key zone=crawler_budget:1m rate={rate};
"""
    )
    server = (
        NGINX_SERVER_BLOCK
        + "\n"
        + _nginx_limit_429(
            "over the crawler budget: 429 + Retry-After, which crawlers honour by slowing down",
            "crawler_budget",
            burst,
            "crawler_budget_spent",
            "Crawl budget spent",
        )
    )
    stops = (
        f"Verified crawlers together get at most {rate} (burst {burst}) and 429 with "
        f"Retry-After: {RETRY_AFTER_S} above it, never 403; bot-like agents from any other "
        "address, requests that only claim to be a crawler included, still get 403."
    )
    return _nginx_pair(
        f"nginx: verified crawlers share a {rate} budget; the rest of the bot rule stays",
        "nginx: apply the crawler budget in the site",
        "nginx, in the server {} block of the site (replaces the bot rule)",
        http,
        server,
        stops,
    )


def _aws_budget(rate_rps: float) -> ConfigSnippet:
    limit = max(10, int(rate_rps * 60 + 1e-9))  # AWS WAF's smallest rate-based limit is 10
    verified = {"LabelMatchStatement": {"Scope": "LABEL", "Key": AWS_VERIFIED_LABEL}}
    rule = {
        "Name": "crawler-budget",
        "Priority": 105,
        "Statement": {
            "RateBasedStatement": {
                "Limit": limit,
                "EvaluationWindowSec": 60,
                "AggregateKeyType": "CONSTANT",
                "ScopeDownStatement": verified,
            }
        },
        "Action": {
            "Block": {
                "CustomResponse": {
                    "ResponseCode": 429,
                    "ResponseHeaders": [{"Name": "Retry-After", "Value": str(RETRY_AFTER_S)}],
                }
            }
        },
        "VisibilityConfig": _visibility("crawler-budget"),
    }
    floor = " (AWS WAF's floor: 10 a minute)" if limit > rate_rps * 60 + 1e-9 else ""
    return ConfigSnippet(
        target="aws-waf",
        owner="infra",
        title=f"AWS WAF: verified crawlers share {limit} requests a minute{floor}, then 429",
        where=(
            "AWS WAF → Web ACLs → your web ACL → Rules → Add rule → Rule JSON editor, with a "
            "Priority after the AWSManagedRulesBotControlRuleSet group and before the rule "
            "that blocked crawlers (that rule then skips the verified label)."
        ),
        language="json",
        code=json.dumps(rule, indent=2) + "\n",
        still_stops=(
            "Bot Control still blocks or challenges every bot it cannot verify; verified "
            f"crawlers over {limit} a minute together get 429 with Retry-After: "
            f"{RETRY_AFTER_S}, never 403."
        ),
    )


def _cloudflare_budget(rate_rps: float) -> ConfigSnippet:
    per_minute = max(1, int(rate_rps * 60 + 1e-9))
    return ConfigSnippet(
        target="cloudflare",
        owner="infra",
        title=f"Cloudflare: verified bots limited to {per_minute} requests a minute, then 429",
        where=(
            "Cloudflare dashboard → Security → WAF → Rate limiting rules → Create rule. "
            f"Expression below; counting by data center; {per_minute} requests per 1 minute; "
            "action Block (answers 429). Then make the rule that blocked crawlers skip "
            "(cf.client.bot)."
        ),
        language="text",
        code=(
            '(cf.client.bot and http.request.uri.path ne "/robots.txt" and '
            'not starts_with(http.request.uri.path, "/sitemap"))\n'
        ),
        still_stops=(
            "Everything Cloudflare does not list as a verified bot is challenged or blocked as "
            "before; Cloudflare counts per data center, so the budget holds per location."
        ),
    )


def limiter_configs(
    rate_rps: float, vendor: str | None = None, server: str | None = None
) -> list[ConfigSnippet]:
    """The protection that replaces a crawler block: verified crawlers are never refused,
    only limited together to ``rate_rps`` with 429 + Retry-After.

    A known vendor gets its own config; an unknown one gets every config we can vouch for.
    """
    if vendor == "Cloudflare":
        return [_cloudflare_budget(rate_rps)]
    if vendor in ("AWS WAF", "AWS"):
        return [_aws_budget(rate_rps)]
    if vendor is not None:
        return []
    out: list[ConfigSnippet] = []
    if server in (None, "nginx"):
        out += _nginx_budget(rate_rps)
    if server is None:
        out += [_cloudflare_budget(rate_rps), _aws_budget(rate_rps)]
    return out
