"""sends indexed by campaign, variant and UTC day (the rollups' grouping)

Revision ID: 5e8a3c1d9b42
Revises: 9c2e5d1a7b30
Create Date: 2026-11-23 23:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTC_DAY_SQL

revision: str = '5e8a3c1d9b42'
down_revision: str | None = '9c2e5d1a7b30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    day = UTC_DAY_SQL.get(dialect, UTC_DAY_SQL["postgresql"]).format(column="sent_at")
    # The new index starts with the old one's columns, so it serves its lookups too.
    op.create_index('ix_message_campaign_day', 'message',
                    ['campaign_id', 'variant_id', sa.text(day)], unique=False)
    op.drop_index('ix_message_campaign_variant', table_name='message')


def downgrade() -> None:
    op.create_index('ix_message_campaign_variant', 'message', ['campaign_id', 'variant_id'],
                    unique=False)
    op.drop_index('ix_message_campaign_day', table_name='message')
