"""``mailscope render``: a saved template or a file rendered for one customer; a bad
template exits non-zero with its lint errors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners import personalisation as personalisation
from server.settings import Settings
from tests.worlds.personalisation import load_shop

runner = CliRunner()


def test_render_a_saved_template_or_a_file(settings: Settings, engine: Engine,
                                           tmp_path: Path) -> None:
    load_shop(engine)
    personalisation.create_template(engine, name="Hello", kind="subject",
                                    source="Hi {{ first_name | default('there') }}")
    saved = runner.invoke(app, ["render", "Hello", "--customer", "u4"])
    assert (saved.exit_code, saved.stdout) == (0, "Hi there\n")
    by_id = runner.invoke(app, ["render", "1", "--customer", "u1"])
    assert by_id.stdout == "Hi Ana\n"
    assert "rule fired: Big spenders -> rules.offer = 'Free shipping'" in by_id.stderr
    body = tmp_path / "body.html"
    body.write_text("<p>{{ rules.offer | default('') }} for {{ first_name }}</p>\n")
    rendered = runner.invoke(app, ["render", str(body), "--customer", "u1"])
    assert rendered.stdout == "<p>Free shipping for Ana</p>\n"
    assert f"{body}:1:43: warning: customer.first_name is empty for 25%" in rendered.stderr


def test_a_bad_template_exits_with_its_lint_errors(settings: Settings, engine: Engine,
                                                   tmp_path: Path) -> None:
    load_shop(engine, rules=False)
    bad = tmp_path / "bad.html"
    bad.write_text("Hi {{ first_nme }}\n{{ x }")
    result = runner.invoke(app, ["render", str(bad), "--customer", "u1"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"{bad}:2:6: error: unexpected '}}'\n"
                             f"{bad}: 1 lint error(s); nothing rendered\n")
    loop = tmp_path / "loop.html"
    loop.write_text("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
    refused = runner.invoke(app, ["render", str(loop), "--customer", "u1"])
    assert refused.exit_code == 1
    assert refused.stderr == f"{loop}: macros nested deeper than 20 calls; remove the " \
                             "recursion\n"
    for args, message in (
            (["render", "missing", "--customer", "u1"],
             "'missing' is neither a file nor a saved template (name or id)"),
            (["render", str(bad), "--customer", "u1", "--kind", "html"],
             "--kind 'html' is not a template kind"),
            (["render", str(loop), "--customer", "nobody"],
             "customerIds: no customer has id 'nobody'")):
        failed = runner.invoke(app, args)
        assert failed.exit_code == 1 and message in failed.stderr
