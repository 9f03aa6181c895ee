"""listing state: per-listing memory of a channel (Allegro offer ended at 0, Ozon pair throttle)

Revision ID: b3e1d2c4a5f6
Revises: 72dcb4332b0f
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e1d2c4a5f6'
down_revision = '72dcb4332b0f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('state')
