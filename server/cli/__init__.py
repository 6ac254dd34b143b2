"""The ``mailscope`` command. Each area registers its commands from its own module."""

from __future__ import annotations

import importlib

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
    app()
