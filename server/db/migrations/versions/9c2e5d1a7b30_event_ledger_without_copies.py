"""event ledger without copies of the message's campaign and customer

Revision ID: 9c2e5d1a7b30
Revises: 4b742ed23701
Create Date: 2026-11-23 21:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '9c2e5d1a7b30'
down_revision: str | None = '4b742ed23701'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('email_event', schema=None) as batch_op:
        batch_op.drop_column('customer_id')
        batch_op.drop_column('campaign_id')


def downgrade() -> None:
    # The columns come back filled from each event's message.
    with op.batch_alter_table('email_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=128),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=128),
                                      nullable=False, server_default=''))
    op.execute("UPDATE email_event SET campaign_id = m.campaign_id, customer_id = m.customer_id "
               "FROM message m WHERE m.message_id = email_event.message_id")
