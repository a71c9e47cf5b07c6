"""Call recordings: their state, length and expiry on calls; the listening audit log.

Revision ID: 0006
Revises: 0004 (the lead relinks it after 0005)
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("recording_state", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("recording_ms", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("recording_expires", UTCDateTime))
    op.create_index("ix_calls_recording_expires", "calls", ["recording_expires"])
    # A path written before this revision was never checked: offer it as a recording only
    # when the file turns out to be there (the web process checks before serving).
    op.execute("UPDATE calls SET recording_state = 'ok' WHERE recording IS NOT NULL AND recording <> ''")
    op.create_table(
        "recording_access",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("call_uuid", sa.String(64), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_access"),
    )
    op.create_index("ix_recording_access_at", "recording_access", ["at"])
    op.create_index("ix_recording_access_call_uuid", "recording_access", ["call_uuid"])


def downgrade() -> None:
    op.drop_table("recording_access")
    op.drop_index("ix_calls_recording_expires", "calls")
    with op.batch_alter_table("calls") as batch:
        for column in ("recording_expires", "recording_ms", "recording_state"):
            batch.drop_column(column)
