"""Small helpers every command shares: consoles, reading inputs, loading the policy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from seoaudit.errors import UsageError

ROBOTS_FETCH_CAP = 1024 * 1024


def console(*, stderr: bool = False) -> Console:
    """A Rich console: colour only on a TTY (and never with NO_COLOR), width from COLUMNS."""
    stream = sys.stderr if stderr else sys.stdout
    is_tty = stream.isatty()
    return Console(
        file=stream,
        highlight=False,
        color_system="auto" if is_tty and not os.environ.get("NO_COLOR") else None,
        force_terminal=is_tty,
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
