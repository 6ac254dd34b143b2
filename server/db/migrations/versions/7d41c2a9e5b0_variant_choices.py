"""variant choices

Revision ID: 7d41c2a9e5b0
Revises: d41b7e9c0a58
Create Date: 2026-12-06 05:25:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db.types

revision: str = '7d41c2a9e5b0'
down_revision: str | None = 'd41b7e9c0a58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('variant_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('occasion', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('variant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('variants', sa.Integer(), nullable=False),
    sa.Column('propensity', sa.Float(), nullable=False),
    sa.Column('predicted', sa.Float(), nullable=False),
    sa.Column('best_variant', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('policy_version', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=True),
    sa.Column('chosen_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'customer_id', 'occasion',
                        name='uq_variant_choice_occasion')
    )
    with op.batch_alter_table('variant_choice', schema=None) as batch_op:
        batch_op.create_index('ix_variant_choice_campaign_variant',
                              ['campaign_id', 'variant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('variant_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_variant_choice_campaign_variant')
    op.drop_table('variant_choice')
