"""The optimisation panel of a campaign page (loaded by htmx): Thompson-sampling shares
of the next sends across its variants, alternative subject lines scored for its
recipients, and the optimisation report (send hour, subject, personalisation)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.web.operations import run_operation
from server.web.templating import render

PANEL_QUERY = """
query Optimisation($id: ID!, $subjects: [String!]!, $score: Boolean!) {
  allocateVariants(campaignId: $id) {
    __typename
    ... on VariantAllocations { variants { variantId sends opens posteriorMean lower upper
                                           share } }
    ... on Error { message }
  }
  scoreSubjectLines(campaignId: $id, subjects: $subjects) @include(if: $score) {
    __typename
    ... on SubjectLineScores { method reason recipients
                               scores { subject expectedOpenRate rank personalised urgency
                                        length } }
    ... on Error { message }
  }
  optimizeCampaign(campaignId: $id, subjects: $subjects) @include(if: $score) {
    __typename
    ... on OptimisationReport {
      recipients subjectScoring
      sendTime { recommended current expectedImprovement confidence }
      subject { recommended current expectedImprovement confidence }
      personalisation { recommended current expectedImprovement confidence }
    }
    ... on Error { message }
  }
}
"""
MAX_LINES = 20


async def optimisation_panel(request: Request) -> Response:
    campaign_id = str(request.path_params["campaign_id"])
    text = request.query_params.get("subjects", "")
    subjects = [line.strip() for line in text.splitlines() if line.strip()][:MAX_LINES]
    data = await run_operation(request, PANEL_QUERY, {
        "id": campaign_id, "subjects": subjects, "score": bool(subjects)})
    allocation = data["allocateVariants"]
    scoring = data.get("scoreSubjectLines")
    report = data.get("optimizeCampaign")
    return render(request, "campaign_optimisation.html", {
        "campaign_id": campaign_id, "subjects_text": text,
        "allocation": allocation if allocation["__typename"] == "VariantAllocations" else None,
        "allocation_error": allocation.get("message"),
        "scoring": scoring if scoring and scoring["__typename"] == "SubjectLineScores"
        else None,
        "scoring_error": scoring.get("message") if scoring else None,
        "report": report if report and report["__typename"] == "OptimisationReport" else None,
        "report_error": report.get("message") if report else None})
