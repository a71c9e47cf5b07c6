"""Initial schema: directory mirror, credentials, runtime state, call records.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the types in store/tables.py: a revision must not change when the code does.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")   # SQLite only autoincrements INTEGER
UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_departments"),
    )
    op.create_table(
        "employees",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("department", sa.String(200)),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("mobile", sa.String(20)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_employees"),
    )
    op.create_table(
        "credentials",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("sip_a1", sa.String(32), nullable=False),
        sa.Column("sip_domain", sa.String(253), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_credentials"),
    )
    op.create_table(
        "overrides",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("forward_to_mobile", sa.Boolean, nullable=False),
        sa.Column("dnd", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_overrides"),
    )
    op.create_table(
        "rotation",
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("next_start", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("department", name="pk_rotation"),
    )
    op.create_table(
        "member_idle",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("last_answered", UTCDateTime, nullable=False),
        sa.Column("department", sa.String(200)),
        sa.PrimaryKeyConstraint("login", name="pk_member_idle"),
    )
    op.create_table(
        "calls",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("started", UTCDateTime, nullable=False),
        sa.Column("answered", UTCDateTime),
        sa.Column("ended", UTCDateTime),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("caller_name", sa.String(200), nullable=False),
        sa.Column("called", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("target", sa.String(264), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("answered_by", sa.String(64), nullable=False),
        sa.Column("hangup_cause", sa.String(64), nullable=False),
        sa.Column("recording", sa.String(1024)),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("uuid", name="uq_calls_uuid"),
    )
    op.create_index("ix_calls_started", "calls", ["started"])
    op.create_index("ix_calls_target", "calls", ["target"])
    op.create_index("ix_calls_answered_by", "calls", ["answered_by"])
    op.create_table(
        "call_steps",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("call_id", BigId, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("target", sa.String(264), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("started", UTCDateTime),
        sa.Column("ended", UTCDateTime),
        sa.Column("disposition", sa.String(64), nullable=False),
        sa.Column("answered_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_steps"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_call_steps_call_id_calls", ondelete="CASCADE"),
        sa.UniqueConstraint("call_id", "seq", name="uq_call_steps_call_id_seq"),
    )
    op.create_table(
        "call_legs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("step_id", BigId, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("device", sa.String(10), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("dial", sa.Text, nullable=False),
        sa.Column("delay", sa.Integer, nullable=False),
        sa.Column("timeout", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_legs"),
        sa.ForeignKeyConstraint(["step_id"], ["call_steps.id"], name="fk_call_legs_step_id_call_steps",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("step_id", "seq", name="uq_call_legs_step_id_seq"),
    )


def downgrade() -> None:
    for table in ("call_legs", "call_steps", "calls", "member_idle", "rotation", "overrides", "credentials",
                  "employees", "departments"):
        op.drop_table(table)
