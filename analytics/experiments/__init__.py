"""Statistics for A/B/n email experiments: pure functions from summaries to dataclasses.

Start with ``analyze_experiment``; the building blocks are exported for pages and
benchmarks that need one piece (planning, the peeking simulation, a single test).
"""

from analytics.experiments.analysis import ExperimentAnalysis, analyze_experiment
from analytics.experiments.bayesian import (
    BayesianResult,
    BayesianVariant,
    bayesian_proportions,
    probability_beats,
)
from analytics.experiments.comparison import Comparison
from analytics.experiments.evidence import (
    Evidence,
    MetricEvidence,
    evidence_from_bayesian,
    evidence_from_fixed,
    evidence_from_sequential,
)
from analytics.experiments.means import compare_means, pairwise_means
from analytics.experiments.multiple_testing import (
    AdjustedComparison,
    MultipleTesting,
    adjust_comparisons,
    adjust_p_values,
)
from analytics.experiments.peeking import (
    PeekingSimulation,
    PeekingWarning,
    naive_retest,
    repeated_test_false_positive_rate,
    simulate_peeking,
)
from analytics.experiments.planning import (
    PowerResult,
    SampleSizePlan,
    days_needed,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from analytics.experiments.proportions import (
    ChiSquareTest,
    ProportionsTest,
    chi_square_test,
    compare_proportions,
    proportions_test,
)
from analytics.experiments.ratios import compare_ratios
from analytics.experiments.sequential import (
    DEFAULT_TAU,
    SequentialComparison,
    SequentialLook,
    SequentialResult,
    sequential_test,
)
from analytics.experiments.srm import SrmResult, sample_ratio_mismatch
from analytics.experiments.summaries import (
    Interval,
    MeanSummary,
    ProportionSummary,
    RatioSummary,
)
from analytics.experiments.verdicts import Verdict, decide

__all__ = [
    "DEFAULT_TAU",
    "AdjustedComparison",
    "BayesianResult",
    "BayesianVariant",
    "ChiSquareTest",
    "Comparison",
    "Evidence",
    "ExperimentAnalysis",
    "Interval",
    "MeanSummary",
    "MetricEvidence",
    "MultipleTesting",
    "PeekingSimulation",
    "PeekingWarning",
    "PowerResult",
    "ProportionSummary",
    "ProportionsTest",
    "RatioSummary",
    "SampleSizePlan",
    "SequentialComparison",
    "SequentialLook",
    "SequentialResult",
    "SrmResult",
    "Verdict",
    "adjust_comparisons",
    "adjust_p_values",
    "analyze_experiment",
    "bayesian_proportions",
    "chi_square_test",
    "compare_means",
    "compare_proportions",
    "compare_ratios",
    "days_needed",
    "decide",
    "evidence_from_bayesian",
    "evidence_from_fixed",
    "evidence_from_sequential",
    "naive_retest",
    "pairwise_means",
    "power_means",
    "power_proportions",
    "probability_beats",
    "proportions_test",
    "repeated_test_false_positive_rate",
    "sample_ratio_mismatch",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "simulate_peeking",
]
