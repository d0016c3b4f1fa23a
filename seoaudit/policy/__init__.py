"""The policy: rules.yaml loaded, validated, with positions for error messages and SARIF."""

from seoaudit.policy.loader import default_policy, load_policy, parse_policy_text
from seoaudit.policy.model import Policy, PolicySource, Waiver

__all__ = [
    "Policy",
    "PolicySource",
    "Waiver",
    "default_policy",
    "load_policy",
    "parse_policy_text",
]
