"""The ``mailscope`` command. Each area registers its commands from its own module."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="mailscope",
    help="Mailscope: email-marketing analytics server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Modules that add commands to ``app`` (each defines ``register(app)``).
_COMMAND_MODULES = ("server.cli.db", "server.cli.data", "server.cli.demo", "server.cli.keys",
                    "server.cli.run", "server.cli.jobs",
                    "server.cli.attribute", "server.cli.budget", "server.cli.triggers",
                    "server.cli.predictions", "server.cli.personalisation",
                    "server.cli.audit", "server.cli.recommendations", "server.cli.customers",
                    "server.cli.retention", "server.cli.privacy")


def _register() -> None:
    from server.cli import db

    app.add_typer(db.app, name="db")
    for name in _COMMAND_MODULES[1:]:
        importlib.import_module(name).register(app)


_register()


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as error:
        # A setting from the environment that does not hold: name it and the fix, not a
        # traceback (reached by every command, since each one reads the settings).
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            where = f"MAILSCOPE_{field.upper()}: " if field else ""
            message = problem["msg"].removeprefix("Value error, ")
            print(f"configuration error: {where}{message}", file=sys.stderr)
        raise SystemExit(2) from None
