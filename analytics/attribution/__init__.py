"""Multi-touch attribution: journeys, aggregated paths, seven models, bootstrap
intervals, ROI and email's role. Pure: polars frames in, frames or dataclasses out."""

from analytics.attribution._registry import MODEL_NAMES
from analytics.attribution.bootstrap import bootstrap_intervals
from analytics.attribution.email_role import EmailRole, email_role
from analytics.attribution.journeys import build_journeys
from analytics.attribution.markov import markov
from analytics.attribution.models import ModelSpec, attribute, compare_models
from analytics.attribution.pathfile import parse_paths_text, paths_to_text
from analytics.attribution.paths import PathKey, journeys_to_paths
from analytics.attribution.roi import roi
from analytics.attribution.rules import (
    first_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from analytics.attribution.schemas import (
    ATTRIBUTION_SCHEMA,
    COMPARISON_SCHEMA,
    CONVERSIONS_SCHEMA,
    INTERVALS_SCHEMA,
    JOURNEYS_SCHEMA,
    PATHS_SCHEMA,
    ROI_SCHEMA,
    SPEND_SCHEMA,
    TOUCHES_SCHEMA,
    validate_conversions,
    validate_paths,
    validate_touches,
)
from analytics.attribution.shapley import shapley
from analytics.attribution.summaries import (
    journey_length_distribution,
    time_to_convert_distribution,
    top_paths,
)

__all__ = [
    "ATTRIBUTION_SCHEMA",
    "COMPARISON_SCHEMA",
    "CONVERSIONS_SCHEMA",
    "INTERVALS_SCHEMA",
    "JOURNEYS_SCHEMA",
    "MODEL_NAMES",
    "PATHS_SCHEMA",
    "ROI_SCHEMA",
    "SPEND_SCHEMA",
    "TOUCHES_SCHEMA",
    "EmailRole",
    "ModelSpec",
    "PathKey",
    "attribute",
    "bootstrap_intervals",
    "build_journeys",
    "compare_models",
    "email_role",
    "first_touch",
    "journey_length_distribution",
    "journeys_to_paths",
    "last_touch",
    "linear",
    "markov",
    "parse_paths_text",
    "paths_to_text",
    "position_based",
    "roi",
    "shapley",
    "time_decay",
    "time_to_convert_distribution",
    "top_paths",
    "validate_conversions",
    "validate_paths",
    "validate_touches",
]
