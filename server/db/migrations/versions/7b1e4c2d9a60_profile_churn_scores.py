"""customer profiles carry the published churn probability and risk level

Revision ID: 7b1e4c2d9a60
Revises: 7d41c2a9e5b0
Create Date: 2026-12-06 05:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7b1e4c2d9a60'
down_revision: str | None = '7d41c2a9e5b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customer_profile') as batch:
        batch.add_column(sa.Column('churn_probability', sa.Float(), nullable=True))
        batch.add_column(sa.Column('churn_risk', sqlmodel.sql.sqltypes.AutoString(length=16),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customer_profile') as batch:
        batch.drop_column('churn_risk')
        batch.drop_column('churn_probability')
