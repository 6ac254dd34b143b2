"""docs/webhooks.md lists exactly the mapping the code applies."""

from __future__ import annotations

from pathlib import Path

from server.webhooks import PROVIDERS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def _documented() -> set[tuple[str, str, str | None, str | None]]:
    rows = set()
    mapping_section = DOCS.read_text().split("\n## ")[0]
    for line in mapping_section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`"):
            provider, kind, ours, bounce = cells
            rows.add((provider, kind.strip("`"),
                      None if ours.startswith("—") else ours.strip("`"), bounce or None))
    return rows


def test_the_documented_table_is_the_mapping() -> None:
    coded = {(provider.title, kind, ours, bounce)
             for provider in PROVIDERS.values()
             for kind, (ours, bounce) in provider.mapping.items()}
    assert _documented() == coded
