"""`callrouter web`: sessions, the sign-in audit log and sign-in throttling.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of the types in store/tables.py: a revision must not change when the code does.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_login", "web_sessions", ["login"])
    op.create_index("ix_web_sessions_last_seen", "web_sessions", ["last_seen"])
    op.create_table(
        "signin_log",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("employee", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signin_log"),
    )
    op.create_index("ix_signin_log_at", "signin_log", ["at"])
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("blocked_until", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_signin_throttle"),
    )
    op.create_index("ix_signin_throttle_updated_at", "signin_throttle", ["updated_at"])


def downgrade() -> None:
    op.drop_table("signin_throttle")
    op.drop_table("signin_log")
    op.drop_table("web_sessions")
