"""Coverage-guided fuzzing of the robots.txt engine with atheris (libFuzzer).

Any bytes a server sends as robots.txt, checked for any agent and path, must give a verdict:
no exception, and the verdict names a rule line that exists. Run it longer by hand:

    python fuzz/robots_fuzz.py -max_total_time=600 -len_control=0 fuzz/corpus  (seeds; it grows)

The test suite runs it for a bounded number of inputs (tests/test_fuzz_properties.py).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from seoaudit.robots_txt import RobotsTxt

AGENTS = ("googlebot", "bingbot", "gptbot", "*", "")


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    agent = AGENTS[provider.ConsumeIntInRange(0, len(AGENTS) - 1)]
    path = provider.ConsumeUnicodeNoSurrogates(64)
    body = provider.ConsumeBytes(provider.remaining_bytes())
    robots = RobotsTxt.parse(body)
    verdict = robots.check(agent or "googlebot", "https://example.com/" + path)
    if not isinstance(verdict.allowed, bool):
        raise AssertionError(f"verdict is not a bool: {verdict!r}")
    line_count = body.count(b"\n") + body.count(b"\r") + 1
    line = getattr(verdict, "line", None)
    if line is not None and not 0 < line <= line_count:
        raise AssertionError(f"verdict names line {line} of a {line_count}-line file")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
