"""docs/report-columns.md lists exactly the columns each report download has."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import Engine

from server.runners.report_tables import REPORTS, build_table
from tests.server.web.test_reports_export import MARCH, QUERIES
from tests.worlds.dashboard import load_world

DOCS = Path(__file__).resolve().parents[3] / "docs" / "report-columns.md"
CELL = re.compile(r"`([^`]+)` \(([A-Za-z0-9]+)")


def _documented() -> dict[str, list[tuple[str, str]]]:
    rows = {}
    for line in DOCS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = CELL.findall(cells[1])
    return rows


def test_every_report_has_its_documented_columns(engine: Engine) -> None:
    load_world(engine)
    documented = _documented()
    assert sorted(documented) == sorted(REPORTS)
    for name in REPORTS:
        query = parse_qs(QUERIES.get(name, MARCH))
        frame = build_table(engine, name, {key: values[0] for key, values in query.items()},
                            query)
        columns = [(column, str(dtype).split("(")[0]) for column, dtype in frame.schema.items()]
        if name == "campaign-breakdown":  # its first column is the dimension asked for
            assert columns[0][0] == query["dimension"][0]
            columns[0] = ("<dimension>", columns[0][1])
        assert columns == documented[name], name
