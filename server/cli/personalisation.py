"""``mailscope render``: a template rendered for one customer, as it would be sent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

KINDS = ("body", "subject", "cta")


def render(template: Annotated[str, typer.Argument(
               help="A saved template's name or id, or the path of a template file.")],
           customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
           kind: Annotated[str, typer.Option(
               "--kind", help="For a file: body (HTML), subject or cta.")] = "body",
           database_url: DatabaseUrl = None) -> None:
    """Print TEMPLATE rendered for the customer, with the rules that fired (on stderr).
    Exits 1 with each lint error (line and column) when the template does not lint
    clean, and when the sandbox refuses the render."""
    from server.db.engine import get_engine
    from server.runners import personalisation as runner

    use_database(database_url)
    engine = get_engine()
    path = Path(template)
    if path.is_file():
        if kind not in KINDS:
            raise fail(f"--kind {kind!r} is not a template kind; use body, subject or cta")
        source, label = path.read_text(encoding="utf-8"), str(path)
    else:
        found = runner.find_template(engine, template)
        if found is None:
            raise fail(f"{template!r} is neither a file nor a saved template (name or id); "
                       "list saved templates in the personalisation page or the API")
        source, kind, label = found.source, found.kind, found.name
    try:
        messages, previews = runner.preview(engine, source=source, kind=kind,
                                            customer_ids=[customer])
    except runner.PersonalisationProblem as problem:
        raise fail(str(problem)) from None
    errors = [m for m in messages if m.severity == "error"]
    for message in messages:
        typer.echo(f"{label}:{message.line}:{message.column}: {message.severity}: "
                   f"{message.message}", err=True)
    if errors:
        raise fail(f"{label}: {len(errors)} lint error(s); nothing rendered")
    result = previews[0]
    for decision in result.outcome.fired:
        typer.echo(f"rule fired: {decision.rule.name} -> rules.{decision.rule.key} = "
                   f"{decision.rule.value!r}", err=True)
    if result.rendered.text is None:
        raise fail(f"{label}: {result.rendered.error}")
    typer.echo(result.rendered.text)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
