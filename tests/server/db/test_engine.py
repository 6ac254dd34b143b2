"""One engine per database URL; engines pushed out of the cache close their connections."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from server.db import engine as engines


def test_the_same_url_gives_the_same_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert engines.engine_for(url) is engines.engine_for(url)


def test_an_evicted_engine_closes_its_pooled_connections(tmp_path: Path) -> None:
    first = engines.engine_for(f"sqlite:///{tmp_path / 'first.db'}")
    with first.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert first.pool.checkedin() == 1
    for number in range(engines._ENGINES_KEPT):
        engines.engine_for(f"sqlite:///{tmp_path / f'other-{number}.db'}")
    assert first.pool.checkedin() == 0
    assert engines.engine_for(f"sqlite:///{tmp_path / 'first.db'}") is not first
