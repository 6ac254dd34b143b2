"""What the segment tests of the customers schema share: the time profiles are computed
at and the operations they run."""

from __future__ import annotations

from datetime import UTC, datetime

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)

PROFILE = """query($id: ID!) { customer(id: $id) { id profile {
  sends openRate90d clickRate90d purchases engagementLevel lifecycleStage optedOut
  preferredCategories computedAt }
  segments { segmentId name kind why { matches reasons { condition held
    values { field value } } } } } }"""
CREATE = """mutation($input: SegmentInput!) { createSegment(input: $input) {
  __typename ... on Segment { id kind definition memberCount computedAt }
  ... on SegmentRefused { field message } } }"""
