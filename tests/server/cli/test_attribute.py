"""``mailscope attribute``: a path file in, per-channel credit out as table, CSV or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from server.cli import app

runner = CliRunner()

PATHS = """path;total_conversions;total_conversion_value;total_null
email > paid > web;120;5400.0;880
web;10;100;50
email;5;50;500
"""
LINEAR_CSV = """model,channel,conversions,value,share
linear,email,45.0,1850.0,0.3333333333333333
linear,paid,40.0,1800.0,0.2962962962962963
linear,web,50.0,1900.0,0.37037037037037035
"""
TABLE = """\
                   Attribution by channel
┏━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┓
┃ Model          ┃ Channel ┃ Conversions ┃    Value ┃ Share ┃
┡━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━┩
│ first_touch    │ email   │      125.00 │ 5,450.00 │ 92.6% │
│ first_touch    │ paid    │        0.00 │     0.00 │  0.0% │
│ first_touch    │ web     │       10.00 │   100.00 │  7.4% │
│ position_based │ email   │       53.00 │ 2,210.00 │ 39.3% │
│ position_based │ paid    │       24.00 │ 1,080.00 │ 17.8% │
│ position_based │ web     │       58.00 │ 2,260.00 │ 43.0% │
└────────────────┴─────────┴─────────────┴──────────┴───────┘
"""


@pytest.fixture
def path_file(write_file) -> Path:
    return write_file("paths.txt", PATHS)


def test_table(path_file: Path) -> None:
    result = runner.invoke(app, ["attribute", str(path_file), "--model", "first_touch",
                                 "-m", "position_based"])
    assert result.exit_code == 0, result.output
    assert result.output == TABLE


def test_csv_to_stdout(path_file: Path) -> None:
    result = runner.invoke(app, ["attribute", str(path_file), "-m", "linear",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output == LINEAR_CSV


def test_json_to_a_file(path_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = runner.invoke(app, ["attribute", str(path_file), "-m", "linear", "--format",
                                 "json", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output == f"3 rows (1 models) written to {target}\n"
    assert json.loads(target.read_text()) == [
        {"model": "linear", "channel": "email", "conversions": 45.0, "value": 1850.0,
         "share": 45 / 135},
        {"model": "linear", "channel": "paid", "conversions": 40.0, "value": 1800.0,
         "share": 40 / 135},
        {"model": "linear", "channel": "web", "conversions": 50.0, "value": 1900.0,
         "share": 50 / 135},
    ]


def test_all_models_sum_to_the_file_totals(path_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "all.csv"
    result = runner.invoke(app, ["attribute", str(path_file), "--model", "all", "-o",
                                 str(target), "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(target)
    totals = frame.group_by("model", maintain_order=True).agg(pl.col("conversions", "value",
                                                                     "share").sum())
    assert totals["model"].to_list() == ["first_touch", "last_touch", "linear",
                                         "position_based", "markov", "shapley"]
    assert totals["conversions"].to_list() == pytest.approx([135.0] * 6)
    assert totals["value"].to_list() == pytest.approx([5550.0] * 6)
    assert totals["share"].to_list() == pytest.approx([1.0] * 6)


def test_position_weights_and_stdin() -> None:
    result = runner.invoke(app, ["attribute", "-", "-m", "position_based", "--format", "csv",
                                 "--position-weights", "0.5,0,0.5"], input="a > b > c;1;10;0\n")
    assert result.exit_code == 0, result.output
    assert result.output == ("model,channel,conversions,value,share\n"
                             "position_based,a,0.5,5.0,0.5\n"
                             "position_based,b,0.0,0.0,0.0\n"
                             "position_based,c,0.5,5.0,0.5\n")


@pytest.mark.parametrize(("content", "arguments", "message"), [
    ("email > web;3;x;0\n", ["-m", "linear"],
     "line 1, column total_conversion_value: 'x' is not a number >= 0; write a plain "
     "decimal such as 120 or 5400.0"),
    ("email > web;3;30;0\nemail > > web;1;1;1\n", ["-m", "linear"],
     "line 2, column path: step 2 of 'email > > web' is empty; join channel names with "
     "' > ', e.g. email > paid > web"),
    ("email;3;30\n", ["-m", "linear"],
     "line 1: expected 4 fields separated by ';' "
     "(path;total_conversions;total_conversion_value;total_null), found 3"),
    ("\n\n", ["-m", "linear"], "no paths found; write one path per line"),
    ("email;1;1;0\n", ["-m", "u_shaped"],
     "--model 'u_shaped' is unknown: use one of first_touch, last_touch, linear, "
     "position_based, markov, shapley or all"),
    ("email;1;1;0\n", ["-m", "time_decay"],
     "--model time_decay needs each touch's time, which path files do not hold"),
    ("email;1;1;0\n", ["-m", "linear", "--format", "xml"],
     "--format 'xml' is unknown: use table, csv or json"),
    ("email;1;1;0\n", ["-m", "position_based", "--position-weights", "0.5,0.5,0.5"],
     "--position-weights '0.5,0.5,0.5': give three shares >= 0 that sum to 1"),
    ("email;1;1;0\n", ["-m", "linear", "-o", "missing/out.csv"],
     "-o missing/out.csv: folder missing does not exist; create it first"),
])
def test_errors_name_the_line_or_option_and_exit_1(write_file, content: str,
                                                   arguments: list[str], message: str) -> None:
    path = write_file("bad.txt", content)
    result = runner.invoke(app, ["attribute", str(path), *arguments])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["attribute", str(tmp_path / "nope.txt"), "-m", "linear"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.txt'}: no such file" in result.output
