"""Scenario sites: real HTTP servers on 127.0.0.1 that behave like protected production sites.

They power the tests (one scenario per conflict) and ``seoaudit demo``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seoaudit.errors import UsageError
from seoaudit.scenarios.model import Scenario
from seoaudit.scenarios.server import RequestRecord, ScenarioServer, is_bot_like

__all__ = [
    "RequestRecord",
    "Scenario",
    "ScenarioServer",
    "is_bot_like",
    "list_scenarios",
    "load_scenario",
]


def list_scenarios() -> list[str]:
    folder = resources.files("seoaudit.scenarios").joinpath("data")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(source: str | Path | dict[str, Any]) -> Scenario:
    """A scenario by packaged name, by file path, or from a dict. Bad data fails loudly."""
    if isinstance(source, dict):
        data, label = source, source.get("name", "<dict>")
    else:
        text_source = str(source)
        path = Path(text_source)
        if path.suffix in (".yaml", ".yml") and path.exists():
            text, label = path.read_text("utf-8"), str(path)
        else:
            packaged = resources.files("seoaudit.scenarios").joinpath("data", f"{text_source}.yaml")
            if not packaged.is_file():
                raise UsageError(
                    f"unknown scenario {text_source!r}; known: {', '.join(list_scenarios())}"
                )
            text, label = packaged.read_text("utf-8"), text_source
        data = yaml.safe_load(text)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"scenario {label} is invalid: {exc}") from None
