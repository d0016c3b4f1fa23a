"""What a rule's check receives: the snapshot, the policy, the bot registry, and a memo.

Derived facts (parsed robots.txt per origin, classification per exchange, directives per
bot) are computed once per evaluation and shared by every rule through ``memo``; helper
functions in ``seoaudit.analysis`` take the context and use it. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from seoaudit.snapshot import Snapshot

T = TypeVar("T")


@dataclass
class RuleContext:
    snapshot: Snapshot
    policy: Any  # seoaudit.policy.Policy
    registry: Any  # seoaudit.registry.BotRegistry
    memo: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a derived fact once per evaluation."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]
