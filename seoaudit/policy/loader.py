"""Load rules.yaml into a Policy, collecting *every* problem with its file, line and column.

PyYAML's composer gives us nodes with positions; we build plain data from them while
recording where each key path lives (``paths.must_index[1]`` → line 12) and refusing
duplicate keys. Pydantic then validates the data, and its errors are mapped back to those
positions, with a "did you mean" for misspelt keys and bot ids.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from seoaudit.errors import PolicyError, PolicyProblem
from seoaudit.policy.model import Policy, PolicySource

Positions = dict[str, tuple[int, int]]
_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FAMILIES = ("RB", "CH", "RL", "IX", "SM", "PF")


def key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Builder:
    """Turns a composed YAML node tree into data, recording positions and duplicates."""

    def __init__(self, loader: yaml.SafeLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.positions: Positions = {}
        self.problems: list[PolicyProblem] = []

    def build(self, node: yaml.Node, loc: tuple[Any, ...] = ()) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) or key is None:
                    key = str(key)
                here = (*loc, key)
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                if key in result:
                    first = self.positions.get(key_path(here), (0, 0))[0]
                    self.problems.append(
                        PolicyProblem(
                            self.filename,
                            line,
                            col,
                            key_path(here),
                            f"duplicate key (first defined on line {first})",
                        )
                    )
                    continue
                self.positions[key_path(here)] = (line, col)
                result[key] = self.build(value_node, here)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                here = (*loc, index)
                self.positions[key_path(here)] = (
                    item.start_mark.line + 1,
                    item.start_mark.column + 1,
                )
                items.append(self.build(item, here))
            return items
        return self.loader.construct_object(node, deep=True)


def _position(positions: Positions, loc: tuple[Any, ...]) -> tuple[int, int]:
    for end in range(len(loc), 0, -1):
        pos = positions.get(key_path(loc[:end]))
        if pos:
            return pos
    return (1, 1)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (for suggestions)."""
    model: Any = Policy
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            inner = [a for arg in args for a in getattr(arg, "__args__", ())]
            model = next(
                (c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None
            )
        if model is None:
            return None
    return model


def _suggest(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _pydantic_problems(
    exc: ValidationError, positions: Positions, filename: str
) -> list[PolicyProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p and "]" in p))
        # drop pydantic's union-branch markers such as 'function-after[...]' or 'literal['disable']'
        line, col = _position(positions, loc)
        if err["type"] == "extra_forbidden":
            model = _model_at(loc)
            fields = list(model.model_fields) if model else []
            message = "unknown key" + _suggest(str(loc[-1]), fields)
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            message = err["msg"]
            if "input" in err and not isinstance(err["input"], dict | list):
                message += f" (got {err['input']!r})"
        problems.append(PolicyProblem(filename, line, col, key_path(loc), message))
    # union members produce one error per branch for the same key: keep the first
    unique: dict[tuple[int, int, str], PolicyProblem] = {}
    for p in problems:
        unique.setdefault((p.line, p.col, p.key_path), p)
    return list(unique.values())


def _check_pattern(pattern: str) -> str | None:
    if not pattern:
        return "empty path pattern"
    if not pattern.startswith(("/", "*")):
        return f'path pattern must start with "/" or "*" (robots.txt syntax): {pattern!r}'
    if "$" in pattern[:-1]:
        return f'"$" may only end a pattern: {pattern!r}'
    return None


def _semantic_problems(
    policy: Policy, positions: Positions, filename: str, today: dt.date
) -> list[PolicyProblem]:
    from seoaudit.registry import load_registry

    registry = load_registry()
    problems: list[PolicyProblem] = []

    def add(path: str, message: str) -> None:
        line, col = positions.get(path, _position(positions, tuple(path.split("."))))
        problems.append(PolicyProblem(filename, line, col, path, message))

    custom = {k.lower() for k in policy.bots.custom}
    known = registry.ids() + sorted(custom)
    roles: dict[str, str] = {}
    for role in ("required", "wanted", "blocked"):
        for index, bot in enumerate(getattr(policy.bots, role)):
            path = f"bots.{role}[{index}]"
            if bot not in custom and registry.get(bot) is None:
                add(path, f'unknown bot "{bot}"' + _suggest(bot, known))
            elif bot in roles and roles[bot] != role:
                add(path, f'"{bot}" is already listed in bots.{roles[bot]}')
            roles.setdefault(bot, role)
    for group in ("must_index", "must_not_index"):
        for index, pattern in enumerate(getattr(policy.paths, group)):
            problem = _check_pattern(pattern)
            if problem:
                add(f"paths.{group}[{index}]", problem)
    overlap = set(policy.paths.must_index) & set(policy.paths.must_not_index)
    for pattern in sorted(overlap):
        index = policy.paths.must_not_index.index(pattern)
        add(f"paths.must_not_index[{index}]", f"{pattern!r} is also in paths.must_index")
    rule_keys = _known_rule_keys()
    for key in policy.rules:
        if rule_keys and key.upper() not in rule_keys and key.lower() not in rule_keys:
            add(f"rules.{key}", f'unknown rule "{key}"' + _suggest(key, sorted(rule_keys)))
    for index, waiver in enumerate(policy.waivers):
        path = f"waivers[{index}]"
        if waiver.expires < today:
            add(f"{path}.expires", f"waiver expired on {waiver.expires.isoformat()}")
        problem = _check_pattern(waiver.url)
        if problem:
            add(f"{path}.url", problem)
        if waiver.bot and waiver.bot.lower() not in custom and registry.get(waiver.bot) is None:
            add(f"{path}.bot", f'unknown bot "{waiver.bot}"' + _suggest(waiver.bot, known))
        if (
            rule_keys
            and waiver.rule.upper() not in rule_keys
            and waiver.rule.lower() not in rule_keys
        ):
            add(
                f"{path}.rule",
                f'unknown rule "{waiver.rule}"' + _suggest(waiver.rule, sorted(rule_keys)),
            )
    for index, pattern in enumerate(policy.infra.expensive_paths):
        problem = _check_pattern(pattern)
        if problem:
            add(f"infra.expensive_paths[{index}]", problem)
    for index, window in enumerate(policy.infra.maintenance_windows):
        start, end = window.minutes()
        if start == end:
            add(
                f"infra.maintenance_windows[{index}].end", "a window must not start and end at once"
            )
    for index, host in enumerate(policy.site.hosts):
        if "/" in host or " " in host or not host:
            add(f"site.hosts[{index}]", f"not a host name: {host!r}")
    if policy.site.start and not re.match(r"^https?://[^/\s]+", policy.site.start):
        add("site.start", f"not an http(s) URL: {policy.site.start!r}")
    return problems


def _known_rule_keys() -> set[str]:
    from seoaudit.rules.catalog import all_rules

    rules = all_rules()
    if not rules:
        return set()
    keys = set(_FAMILIES)
    for rule in rules:
        keys.add(rule.code.upper())
        keys.add(rule.slug.lower())
    return keys


def _expand_env(
    data: dict[str, Any], positions: Positions, filename: str
) -> tuple[list[PolicyProblem], list[str]]:
    problems, secrets = [], []
    headers = (
        (data.get("crawl") or {}).get("headers") if isinstance(data.get("crawl"), dict) else None
    )
    if not isinstance(headers, dict):
        return problems, secrets
    for name, value in list(headers.items()):
        if not isinstance(value, str):
            continue

        def sub(m: re.Match[str], name: str = name) -> str:
            env = os.environ.get(m.group(1))
            if env is None:
                line, col = positions.get(f"crawl.headers.{name}", (1, 1))
                problems.append(
                    PolicyProblem(
                        filename,
                        line,
                        col,
                        f"crawl.headers.{name}",
                        f"environment variable {m.group(1)} is not set",
                    )
                )
                return ""
            return env

        expanded = _ENV_VAR.sub(sub, value)
        headers[name] = expanded
        if expanded:
            secrets.append(expanded)
    return problems, secrets


def parse_policy_text(
    text: str,
    filename: str = "rules.yaml",
    *,
    today: dt.date | None = None,
    sha256: str | None = None,
) -> Policy:
    """Validate policy text; raise PolicyError listing every problem."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise PolicyError(
            [PolicyProblem(filename, 1, 1, "", "invalid YAML: " + " ".join(str(exc).split()))]
        ) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or exc.context or "invalid YAML"
            raise PolicyError(
                [PolicyProblem(filename, line, col, "", f"invalid YAML: {problem}")]
            ) from None
        except yaml.YAMLError as exc:
            raise PolicyError(
                [PolicyProblem(filename, 1, 1, "", "invalid YAML: " + " ".join(str(exc).split()))]
            ) from None
        builder = _Builder(loader, filename)
        try:
            data = {} if node is None else builder.build(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise PolicyError(
                [PolicyProblem(filename, line, col, "", f"invalid YAML value: {exc}")]
            ) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(
            [
                PolicyProblem(
                    filename,
                    1,
                    1,
                    "",
                    f"a policy must be a mapping of keys (got a {type(data).__name__})",
                )
            ]
        )
    problems = list(builder.problems)
    data = _lower_bot_ids(data)
    env_problems, secrets = _expand_env(data, builder.positions, filename)
    problems += env_problems
    policy, schema_problems = _validate_by_section(data, builder.positions, filename)
    problems += schema_problems
    problems += _semantic_problems(policy, builder.positions, filename, today or dt.date.today())
    if problems:
        raise PolicyError(sorted(problems, key=lambda p: (p.line, p.col)))
    policy._source = PolicySource(path=filename, sha256=sha256, positions=builder.positions)
    policy._secrets = tuple(secrets)
    return policy


def _validate_by_section(
    data: dict[str, Any], positions: Positions, filename: str
) -> tuple[Policy, list[PolicyProblem]]:
    """Validate section by section, so one bad section does not hide the others' problems.

    Sections that fail fall back to their defaults for the semantic checks that follow.
    """
    problems: list[PolicyProblem] = []
    try:
        return Policy.model_validate(data), problems
    except ValidationError as exc:
        problems += _pydantic_problems(exc, positions, filename)
    good: dict[str, Any] = {}
    for name in Policy.model_fields:
        if name not in data:
            continue
        try:
            good[name] = getattr(Policy.model_validate({name: data[name]}), name)
        except ValidationError:
            continue
    return Policy.model_validate({k: v for k, v in good.items()}), problems


def _lower_bot_ids(data: dict[str, Any]) -> dict[str, Any]:
    bots = data.get("bots")
    if isinstance(bots, dict):
        for role in ("required", "wanted", "blocked"):
            if isinstance(bots.get(role), list):
                bots[role] = [b.strip().lower() if isinstance(b, str) else b for b in bots[role]]
    return data


def load_policy(path: str | os.PathLike[str], *, today: dt.date | None = None) -> Policy:
    """Read and validate a policy file. Every failure is a PolicyError naming the file."""
    filename = str(path)
    target = Path(path)
    try:
        raw = target.read_bytes()
    except IsADirectoryError:
        raise PolicyError(
            [PolicyProblem(filename, 1, 1, "", "is a directory, not a policy file")]
        ) from None
    except FileNotFoundError:
        raise PolicyError([PolicyProblem(filename, 1, 1, "", "file not found")]) from None
    except OSError as exc:
        raise PolicyError(
            [PolicyProblem(filename, 1, 1, "", f"cannot read: {exc.strerror}")]
        ) from None
    if b"\0" in raw:
        raise PolicyError(
            [PolicyProblem(filename, 1, 1, "", "not a text file (it contains NUL bytes)")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([PolicyProblem(filename, line, 1, "", "not valid UTF-8 text")]) from None
    return parse_policy_text(text, filename, today=today, sha256=hashlib.sha256(raw).hexdigest())


def default_policy() -> Policy:
    return Policy()
