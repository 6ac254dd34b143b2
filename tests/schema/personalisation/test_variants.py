"""selectVariants (a job), chooseVariant (one customer now), variantChoices (paginated)
and variantSelectionReport; analysts select, viewers read."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jobs.broker import broker
from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.worlds.shop import load_shop

SELECT = """
mutation S($id: ID!, $occasion: String! = "send") {
  selectVariants(campaignId: $id, occasion: $occasion) {
    __typename ... on Job { actor state } ... on Error { message } }
}
"""
CHOOSE = """
mutation C($id: ID!, $customer: ID!) {
  chooseVariant(campaignId: $id, customerId: $customer) {
    __typename ... on VariantChoice { customerId variantId propensity policy occasion }
    ... on Error { message } }
}
"""
CHOICES = """
query L($id: ID!, $first: Int!, $after: String, $variant: String) {
  variantChoices(campaignId: $id, first: $first, after: $after, variantId: $variant) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { customerId variantId } } }
}
"""
REPORT = """
query R($id: ID!) {
  variantSelectionReport(campaignId: $id) {
    campaignId choices outcomes
    variants { variantId choices meanPropensity sends opens openRate }
    estimates { policy method value lower upper n } }
}
"""


@pytest.fixture
def shop(db: Engine) -> Engine:
    return load_shop(db)


async def test_select_queues_a_job_for_analysts_only(shop: Engine) -> None:
    broker.flush_all()
    data = await data_of(shop, SELECT, {"id": "sel"}, user=ANALYST)
    assert data["selectVariants"] == {"__typename": "Job", "actor": "select_variants",
                                      "state": "QUEUED"}
    refused = await run(shop, SELECT, {"id": "sel"})
    assert "'selectVariants' needs the analyst role" in messages_of(refused)[0]


async def test_select_refuses_bad_campaigns_without_a_job(shop: Engine) -> None:
    missing = await data_of(shop, SELECT, {"id": "nope"}, user=ANALYST)
    assert missing["selectVariants"] == {"__typename": "NotFound",
                                         "message": "campaign 'nope' does not exist"}
    single = await data_of(shop, SELECT, {"id": "solo"}, user=ANALYST)
    assert single["selectVariants"]["__typename"] == "InvalidSelection"
    blank = await data_of(shop, SELECT, {"id": "sel", "occasion": ""}, user=ANALYST)
    assert blank["selectVariants"]["message"].startswith("occasion must be 1 to 64")


async def test_choose_lists_and_reports(shop: Engine) -> None:
    for i in range(1, 13):
        data = await data_of(shop, CHOOSE, {"id": "sel", "customer": f"u{i}"}, user=ANALYST)
        assert data["chooseVariant"]["propensity"] == 0.5
    again = await data_of(shop, CHOOSE, {"id": "sel", "customer": "u1"}, user=ANALYST)
    assert again["chooseVariant"]["occasion"] == "send"

    page = (await data_of(shop, CHOICES, {"id": "sel", "first": 5}))["variantChoices"]
    assert page["totalCount"] == 12 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["customerId"] for e in page["edges"]] == [
        "u1", "u10", "u11", "u12", "u2"]
    rest = (await data_of(shop, CHOICES, {"id": "sel", "first": 10,
                                           "after": page["pageInfo"]["endCursor"]}
                          ))["variantChoices"]
    assert len(rest["edges"]) == 7 and rest["pageInfo"]["hasNextPage"] is False
    only_a = (await data_of(shop, CHOICES, {"id": "sel", "first": 20, "variant": "A"}
                            ))["variantChoices"]
    assert {e["node"]["variantId"] for e in only_a["edges"]} == {"A"}

    report = (await data_of(shop, REPORT, {"id": "sel"}))["variantSelectionReport"]
    assert report["choices"] == 12
    assert [v["variantId"] for v in report["variants"]] == ["A", "B"]
    assert {(e["policy"], e["method"]) for e in report["estimates"]} == {
        (p, m) for p in ("logged", "uniform", "best_predicted") for m in ("ips", "snips")}
    assert (await data_of(shop, REPORT, {"id": "nope"}))["variantSelectionReport"] is None


async def test_choose_names_bad_campaigns(shop: Engine) -> None:
    data = await data_of(shop, CHOOSE, {"id": "plain", "customer": "u1"}, user=ANALYST)
    assert data["chooseVariant"] == {
        "__typename": "InvalidSelection",
        "message": "campaign 'plain' has 0 variant(s); variant selection needs at least 2 "
                   "(add variants with their subject lines)"}
