"""A world of customers whose profiles are computed (see ``support.AS_OF``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from server.ingest.customers import refresh_everyone
from tests.schema.customers.support import AS_OF


@pytest.fixture
def profiled(world: Engine) -> Engine:
    refresh_everyone(world, AS_OF)
    return world
