"""Which findings a waiver covers: rule (code, slug or family), URL pattern, bot."""

from __future__ import annotations

from typing import Any

from seoaudit.robots_txt.matching import matches


def waiver_matches(waiver: Any, rule_code: str, url_path: str, bot: str | None) -> bool:
    rule = str(getattr(waiver, "rule", "")).strip()
    if rule.upper() != rule_code.upper() and not rule_code.upper().startswith(rule.upper()):
        from seoaudit.rules.catalog import get_rule

        found = get_rule(rule)
        if found is None or found.code != rule_code:
            return False
    waiver_bot = getattr(waiver, "bot", None)
    if waiver_bot and (bot or "").lower() != waiver_bot.lower():
        return False
    return matches(getattr(waiver, "url", "*") or "*", url_path or "/")
