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
    from seoaudit.cli.common import is_empty_policy
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
        if is_empty_policy(path):
            console().print(  # one line per file, whatever the width: tools read it
                f"{path}: ok, but it sets nothing: every key takes its default "
                "(seoaudit policy schema lists them)",
                soft_wrap=True,
            )
            continue
        console().print(
            f"{path}: ok — {len(bots.required)} required, {len(bots.wanted)} wanted, "
            f"{len(bots.blocked)} blocked bot(s); {len(policy.paths.must_index)} must_index and "
            f"{len(policy.paths.must_not_index)} must_not_index pattern(s); "
            f"{len(policy.waivers)} waiver(s)",
            soft_wrap=True,
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
# seoaudit policy for {host}
# Every key is optional and has a default. What each key means:
#   seoaudit policy schema        (all keys, types and defaults, as JSON Schema)
#   seoaudit rules                (the rules these settings feed)
# Check this file with:  seoaudit policy check {filename}
version: 1
site:
  start: {start}
  # hosts in scope; links and redirects to other hosts are recorded, not fetched
  hosts: [{host}]
bots:
  # Crawlers that must reach and index your pages (the default: the two search engines).
  required: [googlebot, bingbot]
  # Crawlers you want but do not require, e.g. AI answer engines (blocking them costs
  # AI-answer visibility). None until you say so:
  wanted: []                           # e.g. [oai-searchbot, perplexitybot]
  # Crawlers that must NOT be allowed in robots.txt. None until you say so; seoaudit then
  # warns when robots.txt still lets one in:
  blocked: []                          # e.g. [gptbot, ccbot]  (list: seoaudit bots)
paths:                                 # robots.txt patterns: prefix, * and $
  must_index: ["/"]                    # add the pages that earn money: "/products/", "/blog/*"
  must_not_index: []                   # e.g. "/admin/", "/cart"
crawl:
  max_pages: 200
  max_rps: 5                           # the auditor never sends more than this per second
infra:                                 # the infrastructure team's side
  uptime_slo: 99.9                     # percent, shown beside every visibility SLO
  origin_capacity_rps: null            # req/s the origin serves without degrading, e.g. 50
  crawler_share: 0.1                   # share of that capacity crawlers may use together
  expensive_paths: []                  # e.g. ["/search"]
  maintenance_windows: []              # e.g. [{{days: [sun], start: "02:00", end: "03:00"}}] (UTC)
visibility:                            # SLOs in percent, like uptime; null turns one off
  window_days: 28
  crawler_success: 99.5                # verified required-crawler requests served 2xx/3xx/304 (logs)
  robots_txt_availability: 99.9        # robots.txt answered 2xx/3xx/404 (logs, else audit)
  must_index_indexable: 99.0           # must-index URLs reachable and indexable (audit)
"""


@policy_app.command("init")
def policy_init(
    url: str = typer.Argument(..., metavar="URL", help="The site's start URL."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="PATH", help="Write here (atomically)."
    ),
) -> None:
    """Print (or write) a starter policy for a site."""
    from seoaudit.url_problems import url_problem

    problem = url_problem(url)
    if problem:
        raise UsageError(f"{url!r} cannot be audited: {problem}")
    parts = urlsplit(url)
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
