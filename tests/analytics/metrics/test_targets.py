from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.metrics import METRIC_NAMES, Targets, metric
from analytics.metrics.definitions import ValueFormat


def test_defaults_come_from_the_metric_table() -> None:
    targets = Targets()
    assert targets.target("open_rate") == 0.22
    assert targets.target("complaint_rate") == 0.001
    assert targets.target("hard_bounce_rate") is None
    assert targets.warning_band == 0.10
    assert set(targets.values) == set(METRIC_NAMES)


def test_from_dict_overrides_defaults_only_where_given() -> None:
    targets = Targets.from_dict(
        {"open_rate": 0.3, "hard_bounce_rate": 0.01, "bounce_rate": None, "warning_band": 0.2}
    )
    assert targets.target("open_rate") == 0.3
    assert targets.target("hard_bounce_rate") == 0.01
    assert targets.target("bounce_rate") is None
    assert targets.target("click_rate") == 0.03
    assert targets.warning_band == 0.2
    assert targets == Targets.from_dict(
        {"open_rate": 0.3, "hard_bounce_rate": 0.01, "bounce_rate": None, "warning_band": 0.2}
    )
    assert hash(targets) == hash(Targets.from_dict(dict(targets.values) | {"warning_band": 0.2}))


def test_integers_are_accepted_as_numbers() -> None:
    assert Targets.from_dict({"revenue_per_email": 2}).target("revenue_per_email") == 2.0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"open_rate": 22}, "target for open_rate must be between 0 and 1; got 22"),
        ({"open_rate": -0.1}, "target for open_rate must be between 0 and 1; got -0.1"),
        ({"open_rate": math.nan}, "target for open_rate must be between 0 and 1; got nan"),
        ({"open_rate": "0.2"}, "target for open_rate must be a number between 0 and 1; got '0.2'"),
        ({"open_rate": True}, "target for open_rate must be a number between 0 and 1; got True"),
        ({"revenue_per_email": -1}, "target for revenue_per_email must be at least 0; got -1"),
        (
            {"revenue_per_email": math.inf},
            "target for revenue_per_email must be at least 0; got inf",
        ),
        ({"warning_band": 1}, "warning_band must be a number from 0 up to"),
        ({"opens": 0.2}, "unknown target 'opens'; choose one of delivery_rate, "),
    ],
)
def test_invalid_targets_name_the_metric_and_range(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        Targets.from_dict(overrides)


def test_unknown_metric_in_values() -> None:
    with pytest.raises(ValueError, match="unknown metric 'opens'"):
        Targets(values={"opens": 0.1})


def test_targets_are_read_only() -> None:
    targets = Targets()
    with pytest.raises(TypeError):
        targets.values["open_rate"] = 0.5  # type: ignore[index]


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, float | None]:
    """Valid overrides: a target in range (or None) for some metrics, maybe a band."""
    chosen: dict[str, float | None] = {}
    for name in draw(st.lists(st.sampled_from(METRIC_NAMES), unique=True, max_size=6)):
        high = 1.0 if metric(name).format is ValueFormat.PERCENT else 1e4
        chosen[name] = draw(st.one_of(st.none(), st.floats(0, high, allow_nan=False)))
    if draw(st.booleans()):
        chosen["warning_band"] = draw(st.floats(0, 0.99, allow_nan=False))
    return chosen


@settings(database=None, max_examples=60, deadline=None)
@given(overrides(), st.randoms(use_true_random=False))
def test_overrides_apply_exactly_and_their_order_does_not_matter(
        changes: dict[str, float | None], shuffler: random.Random) -> None:
    targets = Targets.from_dict(changes)
    defaults = Targets()
    for name in METRIC_NAMES:
        assert targets.target(name) == changes.get(name, defaults.target(name))
    assert targets.warning_band == changes.get("warning_band", defaults.warning_band)
    items = list(changes.items())
    shuffler.shuffle(items)
    reordered = Targets.from_dict(dict(items))
    assert reordered == targets and hash(reordered) == hash(targets)
