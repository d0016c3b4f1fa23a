"""The rule catalog: every ``Rule`` defined in a module under ``seoaudit/rules/<family>/``.

Adding a rule is adding one module that defines ``RULE = Rule(...)``; nothing else lists it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from seoaudit.rules.base import Rule

FAMILY_PACKAGES = ("robots", "challenge", "ratelimit", "indexing", "sitemaps", "performance")
FAMILY_ORDER = {"RB": 0, "CH": 1, "RL": 2, "IX": 3, "SM": 4, "PF": 5}


@cache
def all_rules() -> tuple[Rule, ...]:
    found: dict[str, Rule] = {}
    for family in FAMILY_PACKAGES:
        try:
            package = importlib.import_module(f"seoaudit.rules.{family}")
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            rule = getattr(module, "RULE", None)
            if isinstance(rule, Rule):
                if rule.code in found:
                    raise RuntimeError(f"rule code {rule.code} defined twice")
                found[rule.code] = rule
    return tuple(sorted(found.values(), key=lambda r: (FAMILY_ORDER.get(r.family, 9), r.code)))


def get_rule(code_or_slug: str) -> Rule | None:
    key = code_or_slug.strip()
    return next(
        (r for r in all_rules() if r.code.lower() == key.lower() or r.slug == key.lower()), None
    )
