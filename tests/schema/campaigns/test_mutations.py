"""createCampaign and updateCampaign: role checks and writes through the ingestion
validation path."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from server.db.models import Campaign as CampaignRow
from server.ingest import load_frame
from tests.schema.conftest import ADMIN, ANALYST, INGEST, VIEWER, data_of, messages_of, run

CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { id name sendAt }
    ... on ValidationErrors { message errors { row column value message } }
  }
}
"""

UPDATE = """
mutation Update($id: ID!, $patch: CampaignPatch!) {
  updateCampaign(id: $id, patch: $patch) {
    __typename
    ... on Campaign { id name subjectLine }
    ... on Error { message }
  }
}
"""


@pytest.mark.parametrize("user", [VIEWER, ANALYST, INGEST], ids=["viewer", "analyst", "ingest"])
async def test_data_mutations_need_admin(world: Engine, user: object) -> None:
    result = await run(world, CREATE, {"input": {"id": "c9", "name": "New"}},
                       user=user)  # type: ignore[arg-type]
    assert result.data is None
    assert len(result.errors or []) == 1
    assert messages_of(result)[0].startswith("'createCampaign' needs the admin role")
    with Session(world) as session:
        assert session.get(CampaignRow, "c9") is None


async def test_update_of_missing_campaign_is_not_found(world: Engine) -> None:
    data = await data_of(world, UPDATE, {"id": "nope", "patch": {"name": "X"}}, user=ADMIN)
    assert data == {"updateCampaign": {
        "__typename": "NotFound",
        "message": "No campaign has id 'nope'; create it first."}}


async def test_create_then_update_campaign(world: Engine) -> None:
    created = await data_of(world, CREATE, {"input": {
        "id": "c9", "name": "Autumn", "sendAt": "2026-09-01T08:00:00Z"}}, user=ADMIN)
    assert created == {"createCampaign": {"__typename": "Campaign", "id": "c9",
                                          "name": "Autumn",
                                          "sendAt": "2026-09-01T08:00:00+00:00"}}
    updated = await data_of(world, UPDATE, {"id": "c9", "patch": {"subjectLine": "Leaves"}},
                            user=ADMIN)
    assert updated == {"updateCampaign": {"__typename": "Campaign", "id": "c9",
                                          "name": "Autumn", "subjectLine": "Leaves"}}


async def test_update_keeps_the_imported_content_and_its_counts(world: Engine) -> None:
    load_frame("campaigns", pl.DataFrame({
        "campaign_id": ["c8"], "name": ["Grid"], "template_type": ["product_grid"],
        "html": ['<a class="btn" href="/x"><img src="x.png"></a>']}), engine=world)
    updated = await data_of(world, UPDATE, {"id": "c8", "patch": {"subjectLine": "New"}},
                            user=ADMIN)
    assert updated["updateCampaign"]["subjectLine"] == "New"
    with Session(world) as session:
        row = session.get(CampaignRow, "c8")
        assert row is not None
        assert (row.template_type, row.link_count, row.image_count, row.cta_count) == (
            "product_grid", 1, 1, 1)


async def test_invalid_campaign_comes_back_as_validation_errors(world: Engine) -> None:
    data = await data_of(world, CREATE, {"input": {"id": "c9", "name": ""}}, user=ADMIN)
    result = data["createCampaign"]
    assert result["__typename"] == "ValidationErrors"
    assert [(error["row"], error["column"]) for error in result["errors"]] == [(1, "name")]
    with Session(world) as session:
        assert session.get(CampaignRow, "c9") is None


CONTENT = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { id templateType contentLength linkCount imageCount ctaCount }
    ... on ValidationErrors { errors { row column value message } }
  }
}
"""


async def test_create_counts_the_body_and_names_a_bad_template_type(world: Engine) -> None:
    body = '<p>Hi there</p><a role="button" href="/go">Go</a><img src="a.png">'
    created = await data_of(world, CONTENT, {"input": {
        "id": "c7", "name": "Body", "html": body, "templateType": "single_column"}},
        user=ADMIN)
    assert created == {"createCampaign": {
        "__typename": "Campaign", "id": "c7", "templateType": "single_column",
        "contentLength": 11, "linkCount": 1, "imageCount": 1, "ctaCount": 1}}

    refused = await data_of(world, CONTENT, {"input": {
        "id": "c6", "name": "Odd", "templateType": "fancy"}}, user=ADMIN)
    errors = refused["createCampaign"]["errors"]
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        (1, "templateType", "fancy")]
    assert "product_grid" in errors[0]["message"]
