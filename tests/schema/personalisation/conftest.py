"""The personalisation shop (see ``tests/worlds/personalisation.py``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.worlds.personalisation import load_shop


@pytest.fixture
def shop(engine: Engine) -> Engine:
    return load_shop(engine)
