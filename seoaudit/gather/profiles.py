"""Who the auditor pretends to be, request by request.

- ``browser``: a current desktop Chrome string, the control: what people get;
- ``seoaudit``: the honest discovery agent, so site owners can tell us apart in logs;
- ``unknown-bot``: a made-up crawler, to tell "every bot-like agent is blocked" from "only
  this crawler's string is blocked";
- ``bot:<id>``: each policy bot with the registry's User-Agent string. These are spoofed
  (our IP is not the operator's), which is why blocks seen through them need verification.
"""

from __future__ import annotations

from typing import Any

from seoaudit import __version__
from seoaudit.snapshot import Profile

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
HONEST_UA = f"seoaudit/{__version__} (+https://github.com/seoaudit/seoaudit; site audit)"
UNKNOWN_BOT_UA = "Mozilla/5.0 (compatible; ExampleCrawler/1.0; +https://crawler.example/bot)"


def build_profiles(policy: Any, registry: Any) -> list[Profile]:
    profiles = [
        Profile(id="browser", kind="browser", user_agent=BROWSER_UA),
        Profile(id="seoaudit", kind="honest", user_agent=policy.crawl.user_agent or HONEST_UA),
        Profile(id="unknown-bot", kind="unknown_bot", user_agent=UNKNOWN_BOT_UA),
    ]
    for bot_id in policy.bots.all_ids():
        bot = registry.resolve(bot_id, policy.bots.custom)
        if bot is None or bot.control_token_only:
            continue  # a robots.txt switch such as Google-Extended sends no requests
        profiles.append(
            Profile(id=f"bot:{bot.id}", kind="bot", bot=bot.id, user_agent=bot.user_agent)
        )
    return profiles
