"""The one Strawberry schema, with query depth, alias and token limits always on."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.query_depth_limiter import IgnoreContext
from strawberry.tools import merge_types

from schema.attribution.queries import AttributionQuery
from schema.audit.extension import AuditMutations
from schema.audit.queries import AuditQuery
from schema.budget.mutations import BudgetMutation
from schema.budget.queries import BudgetQueryRoot
from schema.campaigns.mutations import CampaignMutation
from schema.campaigns.queries import CampaignQuery
from schema.customers.mutations import CustomerMutation
from schema.customers.privacy import PrivacyMutation, PrivacyQuery
from schema.customers.queries import CustomerQuery
from schema.dashboard.mutations import DashboardMutation
from schema.dashboard.queries import DashboardQuery
from schema.experiments.mutations import ExperimentMutation
from schema.experiments.queries import ExperimentQuery
from schema.ingest.mutations import IngestMutation
from schema.jobs.mutations import JobMutation
from schema.jobs.queries import JobQuery
from schema.personalisation.mutations import PersonalisationMutation
from schema.personalisation.queries import PersonalisationQuery
from schema.personalisation.variants import VariantMutation, VariantQuery
from schema.predictions.mutations import PredictionMutation
from schema.predictions.queries import PredictionQuery
from schema.recommendations.queries import RecommendationQuery
from schema.triggers.mutations import TriggerMutation
from schema.triggers.queries import TriggerQuery
from schema.webhooks.mutations import WebhookMutation
from schema.webhooks.queries import WebhookQuery

# Each area of the API keeps its root fields in its own package; they merge here, in the
# order the fields appear in schema.graphql.
QUERIES: tuple[type, ...] = (CampaignQuery, CustomerQuery, JobQuery, AttributionQuery,
                             ExperimentQuery, DashboardQuery, BudgetQueryRoot, WebhookQuery,
                             TriggerQuery, PredictionQuery, PersonalisationQuery, AuditQuery,
                             VariantQuery, RecommendationQuery, PrivacyQuery)
MUTATIONS: tuple[type, ...] = (CampaignMutation, CustomerMutation, IngestMutation, JobMutation,
                               ExperimentMutation, DashboardMutation, BudgetMutation,
                               WebhookMutation, TriggerMutation, PredictionMutation,
                               PersonalisationMutation, VariantMutation, PrivacyMutation)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


def _is_introspection(context: IgnoreContext) -> bool:
    # GraphiQL's introspection query nests ofType nine levels deep; it reads only the
    # schema, never data, so it is exempt from the depth limit.
    return context.field_name.startswith("__")


# The limits' validation rules are built once, not per request, so that ValidationCache
# (keyed by document and rules) validates each query text once per process: the pages'
# queries took longer to validate than to run.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH, should_ignore=_is_introspection).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]
CACHED_DOCUMENTS = 512

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        AuditMutations,
    ],
)
