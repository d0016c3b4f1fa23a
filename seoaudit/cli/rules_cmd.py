"""`seoaudit rules [CODE]`: the rule catalog, generated from the rules' own metadata."""

from __future__ import annotations

import typer
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from seoaudit.cli.common import command_app, console, one_format, print_json
from seoaudit.errors import UsageError
from seoaudit.rules.catalog import all_rules, get_rule
from seoaudit.rules.docs import rule_markdown

app = command_app()  # this module's commands; seoaudit.cli.commands maps names to it


@app.command("rules")
def rules_command(
    code: str | None = typer.Argument(
        None, metavar="[CODE]", help="A rule code or slug for its full docs."
    ),
    fmt: list[str] | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT", help="terminal, json or markdown."
    ),
) -> None:
    """List the rules, or print one rule's docs."""
    fmt = one_format(fmt, ("terminal", "json", "markdown"), "rules")  # type: ignore[assignment]
    if code:
        rule = get_rule(code)
        if rule is None:
            raise UsageError(f"unknown rule {code!r} (see `seoaudit rules`)")
        if fmt == "json":
            print_json(
                {
                    "code": rule.code,
                    "slug": rule.slug,
                    "title": rule.title,
                    "severity": rule.severity,
                    "owner": rule.owner,
                    "protection": rule.protection,
                    "docs": rule.docs.as_dict(),
                }
            )
        elif fmt == "markdown":
            typer.echo(rule_markdown(rule))
        else:
            console().print(Markdown(rule_markdown(rule)))
        return
    rules = all_rules()
    if fmt == "json":
        print_json(
            [
                {
                    "code": r.code,
                    "slug": r.slug,
                    "title": r.title,
                    "severity": r.severity,
                    "owner": r.owner,
                    "protection": r.protection,
                }
                for r in rules
            ]
        )
        return
    if fmt == "markdown":
        from seoaudit.rules.docs import rule_table_markdown

        typer.echo(rule_table_markdown())
        return
    table = Table(title=f"{len(rules)} rules", title_justify="left")
    for column in ("code", "slug", "severity", "owner", "title"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(r.code, r.slug, r.severity, r.owner, Text(r.title))
    console().print(table)
