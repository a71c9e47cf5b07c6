"""Record which daemon handled each call, for several nodes sharing one database.

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-15
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server_default fills the rows already there: an upgrade in place keeps them.
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("node", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("node")
