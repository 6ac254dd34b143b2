"""trigger versions, archiving and the version each firing was decided by

Revision ID: d41b7e9c0a58
Revises: 7f4c2b9e1d63
Create Date: 2026-12-06 05:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db.types

revision: str = 'd41b7e9c0a58'
down_revision: str | None = '7f4c2b9e1d63'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('trigger_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('archived_at',
                                      server.db.types.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('trigger_firing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger_version', sa.Integer(), server_default='1',
                                      nullable=False))
    op.create_table('trigger_version',
    sa.Column('trigger_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('cooldown_seconds', sa.Integer(), nullable=True),
    sa.Column('max_firings', sa.Integer(), nullable=True),
    sa.Column('webhook_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('saved_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trigger_id'], ['trigger_definition.id'], ),
    sa.PrimaryKeyConstraint('trigger_id', 'version')
    )
    # Every existing trigger's current state is its version 1.
    op.execute(
        "INSERT INTO trigger_version (trigger_id, version, name, definition, enabled, "
        "priority, cooldown_seconds, max_firings, webhook_url, saved_at) "
        "SELECT id, 1, name, definition, enabled, priority, cooldown_seconds, max_firings, "
        "webhook_url, created_at FROM trigger_definition")


def downgrade() -> None:
    op.drop_table('trigger_version')
    with op.batch_alter_table('trigger_firing', schema=None) as batch_op:
        batch_op.drop_column('trigger_version')
    with op.batch_alter_table('trigger_definition', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('version')
