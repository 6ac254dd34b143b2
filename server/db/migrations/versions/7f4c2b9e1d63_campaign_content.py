"""campaign content: the body, its template type and the counts the import takes from it

Revision ID: 7f4c2b9e1d63
Revises: 6e65674cbc8a
Create Date: 2026-12-06 05:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7f4c2b9e1d63'
down_revision: str | None = '6e65674cbc8a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("content_length", "link_count", "image_count", "cta_count")


def upgrade() -> None:
    with op.batch_alter_table('campaign') as batch:
        batch.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch.add_column(sa.Column('template_type',
                                   sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign') as batch:
        for name in reversed(("html", "template_type", *_COUNTS)):
            batch.drop_column(name)
