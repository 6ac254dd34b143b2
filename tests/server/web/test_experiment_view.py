"""What the experiment templates receive: warnings, formatted effects and the charts."""

from __future__ import annotations

from server.web.experiment_charts import ForestRow, Point, forest_plot, line_chart
from server.web.experiment_view import effect_rows, forest, sequential_charts, warnings

EFFECT = {"variant": "B", "controlValue": 0.002, "variantValue": 0.006,
          "difference": 0.004, "differenceInterval": {"low": 0.001, "high": 0.007},
          "relativeLift": 2.0, "liftInterval": {"low": 0.2, "high": 3.8}, "pValue": 0.0004,
          "probabilityBetter": None, "significant": True}
ANALYSIS = {
    "srm": {"observed": [5000, 5100], "plannedShares": [0.5, 0.5], "pValue": 0.32,
            "mismatch": False},
    "guardrails": [{"metric": "complaint rate", "metricType": "PROPORTION",
                    "higherIsBetter": False, "effects": [EFFECT]}],
}


def test_a_significant_guardrail_harm_is_a_warning() -> None:
    assert warnings(ANALYSIS) == [
        "Guardrail: 'B' has a significantly higher complaint rate (0.60% vs 0.20% for the "
        "control, adjusted p = 0.0004). Stop sending it."]
    better = {**ANALYSIS, "guardrails": [{**ANALYSIS["guardrails"][0], "effects": [
        {**EFFECT, "difference": -0.004}]}]}
    assert warnings(better) == []
    assert warnings(None) == []


def test_effect_rows_format_rates_in_points() -> None:
    assert effect_rows({"metricType": "PROPORTION", "effects": [EFFECT]}) == [{
        "variant": "B", "control": "0.20%", "value": "0.60%", "difference": "+0.40 pp",
        "interval": "+0.10 pp to +0.70 pp", "lift": "+200.00%",
        "lift_interval": "+20.00% to +380.00%", "strength": "p = 0.0004",
        "significant": True}]
    unbounded = {**EFFECT, "differenceInterval": {"low": None, "high": None},
                 "liftInterval": None, "pValue": None, "probabilityBetter": 0.97}
    row = effect_rows({"metricType": "MEAN", "effects": [unbounded]})[0]
    assert (row["interval"], row["lift_interval"], row["strength"]) == (
        "unbounded to unbounded", "—", "P(better) = 97.0%")


def test_forest_colours_by_direction_and_escapes_labels() -> None:
    metrics = [{"metric": "<b>complaints</b>", "higherIsBetter": False, "effects": [EFFECT]},
               {"metric": "clicks", "higherIsBetter": True,
                "effects": [{**EFFECT, "liftInterval": None, "relativeLift": None}]}]
    svg = str(forest(metrics, label="lifts"))
    assert "<b>" not in svg and "&lt;b&gt;complaints&lt;/b&gt; · B" in svg
    assert 'stroke="#c0262d"' in svg  # significantly worse on a metric where less is better
    assert "no lift: control is 0" in svg
    assert forest([], label="none") is None


def test_charts_clip_unbounded_intervals() -> None:
    svg = str(line_chart([Point(0, 0.1, None, None), Point(1, 0.05, -5.0, 5.0)],
                         label="d", y_label="difference", y_range=(-1.0, 1.0)))
    assert "inf" not in svg and "nan" not in svg
    assert svg.count("<circle") == 2
    rows = [ForestRow("a", 9.0, 5.0, 12.0, True, "way up")]
    assert "<path" in str(forest_plot(rows, label="clipped"))  # the arrow past the axis
    monitor = {"looks": [
        {"look": 0, "day": 0, "effects": [{"variant": "B", "difference": 0.0,
                                           "interval": {"low": None, "high": None},
                                           "adjustedPValue": 1.0}]},
        {"look": 1, "day": 1, "effects": [{"variant": "B", "difference": 0.01,
                                           "interval": {"low": -0.02, "high": 0.04},
                                           "adjustedPValue": 0.5}]}]}
    charts = sequential_charts(monitor, "PROPORTION", 0.05)
    assert [c["variant"] for c in charts] == ["B"]
    assert "alpha = 0.05" in str(charts[0]["p_value"])
    assert sequential_charts(None, "PROPORTION", 0.05) == []
