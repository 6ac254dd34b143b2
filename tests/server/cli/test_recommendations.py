"""``mailscope recommend``, ``mailscope recommendations evaluate`` and ``mailscope
variants select``."""

from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners.base import MEMO
from tests.server.ingest.conftest import table_rows
from tests.worlds.shop import load_shop

runner = CliRunner()


def test_recommend_prints_products_with_reasons(settings, engine: Engine) -> None:
    MEMO.clear()
    load_shop(engine)
    result = runner.invoke(app, ["recommend", "--customer", "u7", "--limit", "2"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(" 1. p2  Trail (shoes)  score ")
    assert lines[0].endswith("bought with Ankle socks")
    assert lines[1].endswith("bought with Runner") and len(lines) == 2
    typo = runner.invoke(app, ["recommend", "--customer", "u77"])
    assert typo.exit_code == 1 and "no customer has id 'u77'" in typo.output


def test_evaluate_prints_both_methods_and_the_ratio(settings, engine: Engine) -> None:
    load_shop(engine)
    result = runner.invoke(app, ["recommendations", "evaluate", "--split", "2026-03-15",
                                 "--horizon-days", "30"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("split 2026-03-15T00:00:00+00:00, 30 days after; 3 customers "
                        "bought something new")
    assert lines[1].split() == ["hit@5", "recall@5", "hit@10", "recall@10"]
    assert lines[2].split()[0] == "recommender" and lines[3].split()[0] == "popularity"
    assert lines[4].startswith("ratio")


def test_select_logs_choices_once(settings, engine: Engine) -> None:
    load_shop(engine)
    first = runner.invoke(app, ["variants", "select", "sel"])
    second = runner.invoke(app, ["variants", "select", "sel"])

    assert first.exit_code == 0, first.output
    assert ("12 customers chosen, 0 already logged for 'send' (fallback, exploration 100%)"
            in first.output)
    assert "0 customers chosen, 12 already logged" in second.output
    assert "mean propensity 0.500" in second.output
    assert table_rows(engine, "SELECT count(*) FROM variant_choice") == [(12,)]


def test_refusals_say_what_to_do(settings, engine: Engine) -> None:
    MEMO.clear()
    empty = runner.invoke(app, ["recommend", "--customer", "u1"])
    no_data = runner.invoke(app, ["recommendations", "evaluate"])
    bad_split = runner.invoke(app, ["recommendations", "evaluate", "--split", "soon"])
    bad_limit = runner.invoke(app, ["recommend", "--customer", "u1", "--limit", "0"])
    unknown = runner.invoke(app, ["variants", "select", "nope"])

    assert empty.exit_code == 1 and "there is no product catalog" in empty.output
    assert no_data.exit_code == 1 and "there are no orders or product views" in no_data.output
    assert bad_split.exit_code == 1 and "--split 'soon' is not a date" in bad_split.output
    assert bad_limit.exit_code == 1 and "limit must be between 1 and 50" in bad_limit.output
    assert unknown.exit_code == 1 and "campaign 'nope' does not exist" in unknown.output
