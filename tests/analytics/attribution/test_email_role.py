from __future__ import annotations

import polars as pl
from hypothesis import given

from analytics.attribution import PATHS_SCHEMA, EmailRole, build_journeys, email_role
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES
from tests.analytics.attribution.strategies import SETTINGS, path_frames

# 10 converting journeys
PATHS = pl.DataFrame(
    [
        (["email", "web"], 4.0, 0.0, 9.0),  # initiated
        (["paid", "email"], 3.0, 0.0, 0.0),  # closed
        (["email", "paid", "email"], 1.0, 0.0, 0.0),  # initiated and closed, 2 touches
        (["paid", "email", "web"], 1.0, 0.0, 0.0),  # assisted
        (["web"], 1.0, 0.0, 5.0),  # no email
        (["email"], 0.0, 0.0, 7.0),  # never converts: ignored
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)


def test_email_role_by_hand() -> None:
    # touched 9/10; initiated (4 + 1)/10; closed (3 + 1)/10; assisted 1/10
    # email touches 4 + 3 + 2 + 1 = 10 over 10 journeys
    assert email_role(PATHS) == EmailRole(
        converting_journeys=10.0,
        touched_share=0.9,
        initiated_share=0.5,
        closed_share=0.4,
        assisted_share=0.1,
        mean_email_touches=1.0,
    )


def test_no_conversions_give_zero_shares() -> None:
    assert email_role(PATHS.tail(1)) == EmailRole(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@SETTINGS
@given(paths=path_frames())
def test_roles_cover_exactly_the_journeys_email_touched(paths: pl.DataFrame) -> None:
    role = email_role(paths)
    assert (
        role.assisted_share
        <= role.touched_share
        <= (role.initiated_share + role.closed_share + role.assisted_share + 1e-12)
    )
    assert role.touched_share <= 1.0 + 1e-12
    assert role.mean_email_touches >= role.touched_share - 1e-12


def test_journeys_are_aggregated_by_channel_first() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    # touched converting journeys: o1 [email, paid, email, web], o2 [email], o3 [email],
    # o4 [web]: initiated 3/4, closed 2/4, none only assisting, (2 + 1 + 1) email touches / 4
    assert email_role(journeys) == EmailRole(4.0, 0.75, 0.75, 0.5, 0.0, 1.0)
