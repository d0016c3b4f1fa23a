"""`seoaudit policy check|schema|init`: validate, describe and scaffold rules.yaml."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import typer

from seoaudit.atomic import write_atomic
from seoaudit.cli.common import command_app, console, resolve_policy
from seoaudit.errors import UsageError

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it

policy_app = command_app(
    help="Validate and scaffold the policy (rules.yaml).", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(
    paths: list[str] | None = typer.Argument(
        None,
        metavar="[PATH]...",
        help="Policy files (default: rules.yaml or seoaudit.yaml here or at the git root).",
    ),
) -> None:
    """Validate a policy: prints every problem as FILE:LINE:COL: key: problem, exit 2."""
    from seoaudit.errors import PolicyError
    from seoaudit.policy import load_policy

    if not paths:
        found = resolve_policy(None)
        if found is None:
            raise UsageError(
                "no policy given, and no rules.yaml or seoaudit.yaml here or at the git root"
            )
        paths = [found]
    problems: list[PolicyError] = []
    for path in paths:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            problems.append(exc)
            continue
        bots = policy.bots
        console().print(
            f"{path}: ok — {len(bots.required)} required, {len(bots.wanted)} wanted, "
            f"{len(bots.blocked)} blocked bot(s); {len(policy.paths.must_index)} must_index and "
            f"{len(policy.paths.must_not_index)} must_not_index pattern(s); "
            f"{len(policy.waivers)} waiver(s)"
        )
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise PolicyError([p for error in problems for p in error.problems])


@policy_app.command("schema")
def policy_schema() -> None:
    """Print the policy's JSON Schema (for editors: yaml-language-server, VS Code)."""
    from seoaudit.policy import Policy

    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "seoaudit policy (rules.yaml)"
    typer.echo(json.dumps(schema, indent=2))


STARTER = """\
# seoaudit policy for {host}. Every key is optional; see the repository's rules.yaml for
# the full commented reference. Check it with: seoaudit policy check {filename}
version: 1
site:
  start: {start}
  hosts: [{host}]
bots:
  required: [googlebot, bingbot]          # blocking these costs search traffic
  wanted: [oai-searchbot, perplexitybot]  # blocking these costs AI-answer visibility
  blocked: [gptbot, ccbot]                # training crawlers you do not want
paths:
  must_index: ["/"]                       # add your money pages: "/products/", "/blog/*"
  must_not_index: []                      # e.g. "/admin/", "/cart"
crawl:
  max_pages: 200
  max_rps: 5                              # the auditor never goes faster than this
rate:
  min_rps: 1.0
  recrawl_days: 14
"""


@policy_app.command("init")
def policy_init(
    url: str = typer.Argument(..., metavar="URL", help="The site's start URL."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="PATH", help="Write here (atomically)."
    ),
) -> None:
    """Print (or write) a starter policy for a site."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    text = STARTER.format(
        host=parts.netloc.lower(),
        start=f"{parts.scheme}://{parts.netloc.lower()}{parts.path or '/'}",
        filename=output or "rules.yaml",
    )
    if output:
        write_atomic(output, text)
        console(stderr=True).print(f"wrote {output}")
    else:
        typer.echo(text, nl=False)
