"""Turn robots.txt bytes into numbered records, exactly as Google's reference parser reads them.

Google's parser (github.com/google/robotstxt, robots.cc) is lenient in specific ways that
change verdicts, so each quirk is reproduced here on purpose:

- a leading UTF-8 BOM, or any leading prefix of one, is skipped; a BOM elsewhere is not;
- lines end at LF, CR or CRLF; a line keeps at most 16,663 bytes (8 × 2083 − 1) and a NUL
  byte ends it (C string semantics);
- ``#`` starts a comment anywhere; keys and values are whitespace-stripped;
- a missing colon is accepted when the line has exactly two whitespace-separated words;
- keys are recognised by *prefix*, case-insensitively, with Google's accepted typos
  (``useragent``, ``user agent``, ``dissallow``, ``dissalow``, ``disalow``, ``diasllow``,
  ``disallaw``, ``site-map``);
- allow/disallow values are normalised: bytes >= 0x80 percent-encoded, ``%xx`` upper-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

MAX_LINE_BYTES = 8 * 2083 - 1  # Google keeps this many bytes of a line
UTF8_BOM = b"\xef\xbb\xbf"

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})|([\x80-\xff])")
_WHITESPACE_SEP = re.compile(rb"[ \t]")


class Key(Enum):
    USER_AGENT = "user-agent"
    ALLOW = "allow"
    DISALLOW = "disallow"
    SITEMAP = "sitemap"
    UNKNOWN = "unknown"


_USER_AGENT_KEYS = (b"user-agent", b"useragent", b"user agent")
_DISALLOW_KEYS = (b"disallow", b"dissallow", b"dissalow", b"disalow", b"diasllow", b"disallaw")
_SITEMAP_KEYS = (b"sitemap", b"site-map")
CANONICAL_KEYS = {b"user-agent", b"allow", b"disallow", b"sitemap"}


@dataclass(frozen=True, slots=True)
class Record:
    """One key/value line. ``value`` is normalised for allow/disallow, raw text otherwise."""

    line: int  # 1-based, as Google counts (CRLF is one break)
    key: Key
    raw_key: str  # the key as written, for lint (typos, unknown fields)
    value: str
    start: int  # byte offset of the line in the input (after the BOM)
    end: int  # byte offset just past the line's content
    colon: bool  # False when whitespace stood in for the colon


def _normalise_pattern(value: bytes) -> str:
    def sub(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return b"%" + m.group(1).upper()
        return b"%%%02X" % m.group(2)[0]

    return _ESCAPE.sub(sub, value).decode("ascii")


def classify_key(key: bytes) -> Key:
    low = key.lower()
    if low.startswith(_USER_AGENT_KEYS):
        return Key.USER_AGENT
    if low.startswith(b"allow"):
        return Key.ALLOW
    if low.startswith(_DISALLOW_KEYS):
        return Key.DISALLOW
    if low.startswith(_SITEMAP_KEYS):
        return Key.SITEMAP
    return Key.UNKNOWN


def split_key_value(line: bytes) -> tuple[bytes, bytes, bool] | None:
    """Google's GetKeyAndValueFrom: comment cut, strip, colon or lone-whitespace separator."""
    hash_pos = line.find(b"#")
    if hash_pos >= 0:
        line = line[:hash_pos]
    line = line.strip()
    colon = line.find(b":")
    if colon >= 0:
        return line[:colon].strip(), line[colon + 1 :].strip(), True
    sep = _WHITESPACE_SEP.search(line)
    if sep is None:
        return None
    value = line[sep.start() :].lstrip(b" \t")
    if _WHITESPACE_SEP.search(value):
        return None  # more than two words: not a key/value line
    return line[: sep.start()].strip(), value.strip(), False


def iter_lines(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(line number, start offset, end offset, content) for every line, Google's way."""
    offset = 0
    while offset < 3 and offset < len(data) and data[offset] == UTF8_BOM[offset]:
        offset += 1
    lines = []
    number = 0
    pos = offset
    for m in _LINE_BREAK.finditer(data, offset):
        number += 1
        lines.append((number, pos, m.start(), data[pos : m.start()]))
        pos = m.end()
    number += 1
    lines.append((number, pos, len(data), data[pos:]))
    return lines


def parse_records(data: bytes) -> list[Record]:
    records: list[Record] = []
    for number, start, end, content in iter_lines(data):
        if len(content) > MAX_LINE_BYTES:
            content = content[:MAX_LINE_BYTES]
        nul = content.find(b"\0")
        if nul >= 0:
            content = content[:nul]
        if not content:
            continue
        parts = split_key_value(content)
        if parts is None:
            continue
        key_bytes, value_bytes, colon = parts
        key = classify_key(key_bytes)
        if key in (Key.ALLOW, Key.DISALLOW, Key.UNKNOWN):
            value = _normalise_pattern(value_bytes)
        else:
            value = value_bytes.decode("utf-8", "replace")
        records.append(
            Record(
                line=number,
                key=key,
                raw_key=key_bytes.decode("utf-8", "replace"),
                value=value,
                start=start,
                end=end,
                colon=colon,
            )
        )
    return records
