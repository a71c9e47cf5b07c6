"""Password recovery through the personal mobile: recovery_requests.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recovery_requests",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("typed", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("expires", UTCDateTime, nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("sms_hash", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("verified", UTCDateTime, nullable=True),
        sa.Column("used", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_recovery_requests"),
    )
    op.create_index("ix_recovery_requests_login_created", "recovery_requests", ["login", "created"])
    op.create_index("ix_recovery_requests_expires", "recovery_requests", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_recovery_requests_expires", "recovery_requests")
    op.drop_index("ix_recovery_requests_login_created", "recovery_requests")
    op.drop_table("recovery_requests")
