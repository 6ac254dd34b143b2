"""What the experiment schema tests share: the two-sided 97.5 % normal quantile and the
experiment query."""

from scipy import stats

Z975 = stats.norm.isf(0.025)

EXPERIMENT = """
query($id: ID!) { experiment(campaignId: $id) {
  campaignId campaignName startedAt horizonReached problem
  experiment { status winner forced }
  settings { primaryMetric method alpha correction minimumEffect effectScale guardrails
             plannedWeights { variant weight } control horizonDays webhookUrl webhookHost saved }
  variants { name subjectLine plannedWeight sent delivered opens clicks conversions
             unsubscribes complaints revenue }
  analysis {
    metric metricType method alpha correction control
    variants { name n conversions value }
    srm { variants observed expected plannedShares degreesOfFreedom pValue threshold mismatch }
    chiSquare { statistic degreesOfFreedom pValue }
    primary { metric metricType method control higherIsBetter intervalLevel effects {
      variant controlValue variantValue difference differenceInterval { low high }
      relativeLift pValue probabilityBetter significant } }
    guardrails { metric effects { variant difference pValue significant } }
    sequential { stoppedAt } bayesian { name }
    peeking { looks firstNaiveRejection }
    verdict { status winner }
  }
  metrics { metric metricType effects { variant difference differenceInterval { low high }
    pValue significant } }
  monitor { tau intervalLevel stoppedAt looks { look day stop effects {
    variant nControl nVariant difference interval { low high } pValue adjustedPValue } } }
} }
"""
