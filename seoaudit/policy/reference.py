"""The README's policy reference table, generated from the pydantic model (never written twice)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from seoaudit.policy.model import Policy

README_START = "<!-- policy:start -->"
README_END = "<!-- policy:end -->"


def _default(field: Any) -> str:
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return ""
    return json.dumps(value, default=str)


def _rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        key = prefix + name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, key + ".")
            continue
        rows.append((key, _default(field), (field.description or "").replace("|", "\\|")))
    return rows


def policy_reference_markdown() -> str:
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | `{default}` | {text} |" for key, default, text in _rows(Policy)]
    return "\n".join(lines)
