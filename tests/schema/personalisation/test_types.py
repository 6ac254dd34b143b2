"""PersonalizedContent brings the other personalisation answers to one customer's content:
the products recommended to them and the variant the selection policy logged; a template
names the campaigns that send it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.worlds.shop import load_shop

CONTENT = """query($c: ID!, $u: ID!, $limit: Int! = 2) {
  personalizedContent(customerId: $u, campaignId: $c) {
    customerId subject { text }
    variant { variantId propensity occasion }
    recommendations(limit: $limit) { rank product { id } reason } }
  recommendations(customerId: $u, limit: $limit) { rank product { id } reason } }"""
CHOOSE = """mutation($c: ID!, $u: ID!) { chooseVariant(campaignId: $c, customerId: $u) {
  ... on VariantChoice { variantId propensity } } }"""


@pytest.fixture
def shop(db: Engine) -> Engine:
    return load_shop(db)


async def test_content_carries_recommendations_and_the_logged_variant(shop: Engine) -> None:
    before = await data_of(shop, CONTENT, {"c": "sel", "u": "u7"})
    content = before["personalizedContent"]
    assert content["customerId"] == "u7" and content["subject"] is None
    assert content["variant"] is None  # reading never chooses
    assert content["recommendations"] == before["recommendations"]
    assert len(content["recommendations"]) == 2
    assert all(item["reason"] for item in content["recommendations"])

    chosen = (await data_of(shop, CHOOSE, {"c": "sel", "u": "u7"}, user=ANALYST))["chooseVariant"]
    after = (await data_of(shop, CONTENT, {"c": "sel", "u": "u7"}))["personalizedContent"]
    assert after["variant"] == {"variantId": chosen["variantId"],
                                "propensity": chosen["propensity"], "occasion": "send"}


async def test_a_limit_out_of_range_is_named(shop: Engine) -> None:
    result = await run(shop, CONTENT, {"c": "sel", "u": "u7", "limit": 0})
    assert any("limit must be between 1 and" in message for message in messages_of(result))


async def test_a_template_names_the_campaigns_that_send_it(shop: Engine) -> None:
    from server.runners import personalisation as runner

    template = runner.create_template(shop, name="Body", kind="body", source="<p>Hi</p>")
    query = "query($id: ID!) { template(id: $id) { campaignIds } }"
    assert (await data_of(shop, query, {"id": str(template.id)}))["template"] == {
        "campaignIds": []}
    for campaign_id in ("sel", "plain"):
        runner.link_campaign_template(shop, campaign_id=campaign_id, kind="body",
                                      template_id=template.id)
    assert (await data_of(shop, query, {"id": str(template.id)}))["template"] == {
        "campaignIds": ["plain", "sel"]}
