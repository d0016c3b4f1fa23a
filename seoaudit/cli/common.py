"""Small helpers every command shares: consoles, reading inputs, loading the policy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from seoaudit.errors import UsageError

ROBOTS_FETCH_CAP = 1024 * 1024


def command_app(**settings: Any) -> typer.Typer:
    """A Typer for a command module or group, with the settings every command shares."""
    settings.setdefault("rich_markup_mode", None)
    settings.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
    return typer.Typer(add_completion=False, pretty_exceptions_enable=False, **settings)


def wants_colour(stream: Any) -> bool:
    """Colour on a terminal; ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on even in a pipe or CI
    log (no-color.org, force-color.org); NO_COLOR wins when both are set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"


def console(*, stderr: bool = False):  # -> rich.console.Console
    """A Rich console: colour as ``wants_colour`` says, width from COLUMNS."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    colour = wants_colour(stream)
    return Console(
        file=stream,
        highlight=False,
        color_system="auto" if colour else None,
        force_terminal=colour or stream.isatty(),
        width=int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else None,
        emoji=False,
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_robots_source(source: str) -> tuple[bytes, str]:
    """robots.txt bytes from a file path or an http(s) URL (bounded fetch, 5 redirects)."""
    if source.startswith(("http://", "https://")):
        return _fetch_robots(source), source
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise UsageError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise UsageError(f"{source}: is a directory") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None


def _fetch_robots(url: str) -> bytes:
    import httpx

    from seoaudit import __version__

    headers = {"User-Agent": f"seoaudit/{__version__} (robots.txt check)"}
    try:
        with (
            httpx.Client(
                follow_redirects=True, max_redirects=5, timeout=10.0, headers=headers
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                meaning = (
                    "Google treats this as 'no robots.txt' (no restrictions)"
                    if 400 <= response.status_code < 500 and response.status_code != 429
                    else "Google treats this as a server error and stops crawling the host"
                )
                raise UsageError(f"{url} answered {response.status_code}: {meaning}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ROBOTS_FETCH_CAP:
                    break
            return bytes(body[:ROBOTS_FETCH_CAP])
    except httpx.TooManyRedirects:
        raise UsageError(f"{url}: more than 5 redirects (Google treats that as a 404)") from None
    except httpx.HTTPError as exc:
        raise UsageError(
            f"{url}: could not fetch robots.txt ({type(exc).__name__}: {exc})"
        ) from None


POLICY_NAMES = ("rules.yaml", "seoaudit.yaml")
QUIET_HELP = "Print only the one-line outcome (no progress bar, no report on the terminal)."


def find_source_root(start: Path | None = None) -> Path:
    """The git work tree holding ``start`` (default: the working directory), else ``start``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def discover_policy() -> Path | None:
    """``rules.yaml`` or ``seoaudit.yaml`` in the working directory, else at the git root."""
    cwd = Path.cwd()
    for folder in dict.fromkeys([cwd, find_source_root(cwd)]):
        for name in POLICY_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def resolve_policy(path: str | None, *, announce: bool = True) -> str | None:
    """The policy given with ``--policy``, else the one discovered (and say which it is)."""
    if path:
        return path
    found = discover_policy()
    if found is None:
        return None
    try:
        shown = str(found.relative_to(Path.cwd()))
    except ValueError:
        shown = str(found)
    if announce:
        sys.stderr.write(
            f"seoaudit: using the policy {shown} (found; --policy to choose another)\n"
        )
    return shown


def load_policy_option(path: str | None):  # -> Policy
    """The policy named on the command line, or the defaults when none is given."""
    from seoaudit.policy import default_policy, load_policy

    if not path:
        return default_policy()
    policy = load_policy(path)
    if is_empty_policy(path):
        sys.stderr.write(
            f"seoaudit: note: {path} sets nothing (empty or comments only): every key takes its "
            "default (seoaudit policy init URL writes a starter)\n"
        )
    return policy


def is_empty_policy(path: str) -> bool:
    """The file holds no key at all: valid, but rarely what the user meant."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return not any(line and line not in ("---", "...", "{}") for line in lines)


def parse_headers(values: list[str] | None) -> dict[str, str]:
    """``--header "Name: value"`` options; values are treated as secrets everywhere."""
    headers: dict[str, str] = {}
    for raw in values or []:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            raise UsageError(f'--header must look like "Name: value", not {raw.split(":")[0]!r}...')
        headers[name.strip()] = value.strip()
    return headers


def one_format(values: list[str] | None, allowed: tuple[str, ...], command: str) -> str:
    """``-f`` parsed the same way in every command (repeatable, comma-separated); a command
    that prints one document takes exactly one format, and says so."""
    chosen: list[str] = []
    for value in values or [allowed[0]]:
        for name in value.split(","):
            name = name.strip().lower()
            if name and name not in chosen:
                chosen.append(name)
    for name in chosen:
        if name not in allowed:
            raise UsageError(f"--format must be one of {', '.join(allowed)}, not {name!r}")
    if len(chosen) > 1:
        raise UsageError(f"{command} prints one format; choose one of {', '.join(chosen)}")
    return chosen[0] if chosen else allowed[0]


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c not in (0x09, 0x0A)}


def terminal_safe(text: str) -> str:
    """Site-provided text shown on a terminal: control characters (escape sequences) are made
    visible instead of being obeyed."""
    return text.translate(_CONTROL)


def history_path(path: Path | None) -> Path:
    """``--history``, else ``$SEOAUDIT_HISTORY``, else ``.seoaudit/history.sqlite`` here."""
    from seoaudit.history import DEFAULT_HISTORY

    if path is not None:
        return path
    env = os.environ.get("SEOAUDIT_HISTORY")
    return Path(env) if env else DEFAULT_HISTORY
