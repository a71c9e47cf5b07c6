"""History for «Личный кабинет»: derived columns on calls, call_parties, call_rollups.

The calls already recorded get their derived values here, computed by the same
code the writer uses (store/history_facts.py), in chunks so a large store does not
need its whole history in memory.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTCDateTime = sa.DateTime(timezone=True)
CHUNK = 2000


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("caller_login", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("caller_key", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("called_key", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("result", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("wait", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("talk", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("called_back", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_calls_started_id", "calls", ["started", "id"])
    op.create_index("ix_calls_caller_key", "calls", ["caller_key"])
    op.create_index("ix_calls_called_key", "calls", ["called_key"])
    uncalled = ("called_back = {false} AND direction = 'inbound' AND caller_key != '' "
                "AND result IN ('missed', 'voicemail', 'busy', 'abandoned')")
    op.create_index("ix_calls_uncalled", "calls", ["started", "caller_key"],
                    sqlite_where=sa.text(uncalled.format(false="0")),
                    postgresql_where=sa.text(uncalled.format(false="false")))
    op.create_table(
        "call_parties",
        sa.Column("call_id", BigId, nullable=False),
        sa.Column("party", sa.String(266), nullable=False),
        sa.Column("started", UTCDateTime, nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),
        sa.Column("rung_only", sa.Boolean, nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("missed", sa.Boolean, nullable=False),
        sa.Column("wait", sa.Integer, nullable=False),
        sa.Column("talk", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("call_id", "party", name="pk_call_parties"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_call_parties_call_id_calls", ondelete="CASCADE"),
    )
    op.create_index("ix_call_parties_party_started_call_id_rung_only", "call_parties",
                    ["party", "started", "call_id", "rung_only"])
    op.create_index("ix_call_parties_started", "call_parties", ["started"])
    op.create_table(
        "call_rollups",
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("period", UTCDateTime, nullable=False),
        sa.Column("party", sa.String(266), nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),
        sa.Column("received", sa.Integer, nullable=False),
        sa.Column("answered", sa.Integer, nullable=False),
        sa.Column("missed", sa.Integer, nullable=False),
        sa.Column("wait_sum", sa.BigInteger, nullable=False),
        sa.Column("talk_sum", sa.BigInteger, nullable=False),
        *(sa.Column(f"w{i}", sa.Integer, nullable=False) for i in range(16)),
        sa.PrimaryKeyConstraint("level", "period", "party", "external", name="pk_call_rollups"),
    )
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    from sqlalchemy import select, update

    from store import callbacks, calls as store_calls, history_facts, rollups
    from store.tables import call_parties, calls

    # The columns this revision's database has: later revisions add more to `calls`.
    present = {column["name"] for column in sa.inspect(conn).get_columns("calls")}
    readable = [column for column in calls.c if column.name in present]
    last = 0
    while True:
        rows = conn.execute(select(*readable).where(calls.c.id > last).order_by(calls.c.id).limit(CHUNK)).mappings().all()
        if not rows:
            callbacks.mark_all(conn)
            return
        last = rows[-1]["id"]
        records = {row["id"]: store_calls._record(row) for row in rows}
        store_calls._load_paths(conn, records)
        callers = store_calls.caller_logins(conn, list(records.values()))
        parties, derived = [], []
        for id_, record in records.items():
            caller = callers.get(record.caller, "")
            columns = history_facts.call_columns(record, caller)
            conn.execute(update(calls).where(calls.c.id == id_).values(columns))
            derived.append({"started": record.started, "direction": record.direction, **columns})
            parties += history_facts.party_rows(id_, record, caller)
        if parties:
            conn.execute(call_parties.insert(), parties)
        rollups.add(conn, rollups.rows_for(derived, parties))


def downgrade() -> None:
    op.drop_table("call_rollups")
    op.drop_table("call_parties")
    op.drop_index("ix_calls_uncalled", "calls")
    op.drop_index("ix_calls_called_key", "calls")
    op.drop_index("ix_calls_caller_key", "calls")
    op.drop_index("ix_calls_started_id", "calls")
    with op.batch_alter_table("calls") as batch:
        for column in ("called_back", "talk", "wait", "result", "called_key", "caller_key", "caller_login"):
            batch.drop_column(column)
