"""eraseCustomer and customerDataExport: admin only, exact results, refusals."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.schema.conftest import ADMIN, ANALYST, data_of, messages_of, run

ERASE = """mutation($id: ID!) { eraseCustomer(id: $id) {
  __typename
  ... on CustomerErased { id rows tables campaigns }
  ... on ErasureRefused { id message } } }"""
EXPORT = """query($id: ID!) { customerDataExport(id: $id) }"""


async def test_an_admin_erases_a_customer(world: Engine) -> None:
    data = await data_of(world, ERASE, {"id": "u2"}, user=ADMIN)
    assert data["eraseCustomer"] == {
        "__typename": "CustomerErased", "id": "u2", "rows": 4,
        "tables": {"segment_member": 1, "message": 2, "customer": 1},
        "campaigns": ["c1", "c3"]}
    with world.connect() as connection:
        assert connection.execute(text(
            "SELECT sum(sent) FROM rollup_campaign_day WHERE campaign_id = 'c1'")
            ).scalar_one() == 2
    again = await data_of(world, ERASE, {"id": "u2"}, user=ADMIN)
    assert again["eraseCustomer"] == {"__typename": "ErasureRefused", "id": "u2",
                                      "message": "customer 'u2' was already erased"}


async def test_only_an_admin_erases_or_exports(world: Engine) -> None:
    for query in (ERASE, EXPORT):
        result = await run(world, query, {"id": "u1"}, user=ANALYST)
        assert not any((result.data or {}).values())
        assert "needs the admin role" in messages_of(result)[0]
    with world.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM customer")).scalar_one() == 3


async def test_an_admin_exports_a_customer(world: Engine) -> None:
    data = await data_of(world, EXPORT, {"id": "u3"}, user=ADMIN)
    tables = data["customerDataExport"]["tables"]
    assert tables["customer"][0]["email"] == "cara@example.com"
    assert [row["message_id"] for row in tables["message"]] == ["m3"]
    assert (await data_of(world, EXPORT, {"id": "nobody"}, user=ADMIN)) == {
        "customerDataExport": None}
