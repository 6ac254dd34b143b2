"""Who may do what: the one table the authorization matrix (tests/server/test_auth.py)
checks every GraphQL root field and every HTTP route against.

Adding a query, mutation or route? Add one line here saying which role it needs:

- ``"viewer"``, ``"analyst"``, ``"admin"``: that role or any above it (viewer < analyst <
  admin); ``"ingest"``: ingest keys and admin keys only.
- ``"any key"``: any signed-in key, ingest included (sign-out and the like).
- ``"public"``: no key needed (the health check, the sign-in page, static files).
- ``"signature"``: provider webhooks; keys grant nothing, the provider's signature does.

The matrix discovers fields and routes by walking the schema and the app, so a new one
without a line here fails the test with a message naming it.
"""

from __future__ import annotations

QUERIES: dict[str, str] = {
    "campaigns": "viewer",
    "campaign": "viewer",
    "customers": "viewer",
    "customer": "viewer",
    "segments": "viewer",
    "segment": "viewer",
    "previewSegment": "viewer",
    "segmentChanges": "viewer",
    "rfmGrid": "viewer",
    "customerClusters": "viewer",
    "jobs": "viewer",
    "job": "viewer",
    "attribution": "viewer",
    "attributionComparison": "viewer",
    "attributePaths": "viewer",
    "experiment": "viewer",
    "analyzeExperiment": "viewer",
    "planExperiment": "viewer",
    "dashboard": "viewer",
    "campaignStatistics": "viewer",
    "targets": "viewer",
    "budget": "viewer",
    "optimizeBudget": "viewer",
    "budgetScenarios": "viewer",
    "acquisitionBudget": "viewer",
    "webhooks": "analyst",
    "triggers": "viewer",
    "trigger": "viewer",
    "triggerTemplates": "viewer",
    "triggerFirings": "viewer",
    "models": "viewer",
    "model": "viewer",
    "modelDrift": "viewer",
    "sendTimes": "viewer",
    "scoreSubjectLines": "viewer",
    "allocateVariants": "viewer",
    "optimizeCampaign": "viewer",
    "auditLog": "admin",
}

MUTATIONS: dict[str, str] = {
    "createCampaign": "admin",
    "updateCampaign": "admin",
    "createCustomer": "admin",
    "updateCustomer": "admin",
    "createSegment": "analyst",
    "updateSegment": "analyst",
    "deleteSegment": "analyst",
    "recordEvents": "ingest",
    "recordOrders": "ingest",
    "runJob": "analyst",
    "createExperiment": "analyst",
    "declareWinner": "analyst",
    "setTargets": "admin",
    "resetTargets": "admin",
    "saveBudgetPlan": "analyst",
    "applyBudgetReallocation": "analyst",
    "acknowledgeBudgetAlert": "analyst",
    "setCostTypeCategory": "analyst",
    "runBudgetAlerts": "analyst",
    "reprocessWebhookEvents": "analyst",
    "createTrigger": "analyst",
    "setTriggerEnabled": "analyst",
    "trainModel": "analyst",
    "computeSendTimes": "analyst",
    "activateModel": "analyst",
}

# "METHOD path" as the route declares it (HEAD goes with GET).
ROUTES: dict[str, str] = {
    "GET /healthz": "public",
    "GET /metrics": "viewer",
    "GET /graphql": "viewer",
    "POST /graphql": "any key",
    "POST /api/import/{kind}": "ingest",
    "GET /api/export/{dataset}.{format}": "admin",
    "POST /webhooks/ses/{token}": "signature",
    "POST /webhooks/{provider}": "signature",
    "GET /api/openapi.json": "any key",
    "GET /": "viewer",
    "GET /login": "public",
    "POST /login": "public",
    "POST /logout": "any key",
    "GET /campaigns": "viewer",
    "GET /dashboard": "viewer",
    "GET /campaigns/{campaign_id}": "viewer",
    "GET /settings/targets": "viewer",
    "POST /settings/targets": "admin",
    "GET /api/export/report/{report}.{format}": "analyst",
    "GET /jobs": "viewer",
    "POST /jobs": "analyst",
    "GET /attribution": "viewer",
    "GET /attribution/export.{format}": "analyst",
    "GET /experiments": "viewer",
    "GET /experiments/plan": "viewer",
    "GET /experiments/analyze": "viewer",
    "POST /experiments/analyze": "analyst",
    "GET /campaigns/{campaign_id}/experiment": "viewer",
    "POST /campaigns/{campaign_id}/experiment/settings": "analyst",
    "POST /campaigns/{campaign_id}/experiment/winner": "analyst",
    "GET /budget": "viewer",
    "POST /budget/plan": "analyst",
    "GET /budget/alerts": "viewer",
    "POST /budget/alerts/run": "analyst",
    "POST /budget/alerts/{alert_id}/acknowledge": "analyst",
    "GET /webhooks": "analyst",
    "POST /webhooks": "analyst",
    "GET /customers": "viewer",
    "GET /customers/{customer_id}": "viewer",
    "GET /segments": "viewer",
    "POST /segments": "analyst",
    "POST /segments/refresh": "analyst",
    "GET /segments/preview": "viewer",
    "GET /segments/rfm": "viewer",
    "GET /segments/clusters": "viewer",
    "GET /segments/{segment_id}": "viewer",
    "GET /triggers": "viewer",
    "POST /triggers": "analyst",
    "GET /triggers/{trigger_id:int}": "viewer",
    "POST /triggers/{trigger_id:int}/enabled": "analyst",
    "GET /predictions": "viewer",
    "POST /predictions": "analyst",
    "POST /predictions/send-times": "analyst",
    "GET /predictions/customers/{customer_id}": "viewer",
    "GET /campaigns/{campaign_id}/optimisation": "viewer",
    "GET /predictions/{model_id:int}": "viewer",
    "POST /predictions/{model_id:int}/activate": "analyst",
    "GET /static/{path}": "public",
    "GET /settings/keys": "admin",
    "POST /settings/keys": "admin",
    "POST /settings/keys/{key_id:int}/rotate": "admin",
    "POST /settings/keys/{key_id:int}/revoke": "admin",
    "GET /audit": "admin",
}

# Values the matrix puts into a route's path parameters: real enough to reach the
# handler (an unknown id then gives 404, never 401/403 for an allowed role).
PATH_VALUES: dict[str, str] = {
    "kind": "campaigns", "dataset": "campaigns", "format": "csv", "report": "campaigns",
    "provider": "sendgrid", "token": "not-the-token", "path": "app.css",
}
