"""Missed external calls that were called back, kept on the missed call's row.

A missed external number counts as called back when, after the miss, a call went out
to it or a call from it was answered (issue 10). For the whole company that is one
flag per call (`calls.called_back`), set when either record is written, whichever
comes first: a spool replayed after an outage may bring the missed call after the
callback. The statistics of a whole company read the flag; a narrower scope (only
its own callbacks count) asks the question directly (store/stats.py).
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import and_, bindparam, exists, or_, update
from sqlalchemy.engine import Connection

from store.history_facts import NOT_ANSWERED
from store.tables import calls


def callback_key(row: dict) -> str:
    """The number a call reaches back to ("" if it is no callback): a call out, or an answered call in."""
    if row["direction"] == "outbound":
        return row["called_key"]
    if row["direction"] == "inbound" and row["result"] == "answered":
        return row["caller_key"]
    return ""


def is_missed_external(row: dict) -> bool:
    return row["direction"] == "inbound" and row["caller_key"] != "" and row["result"] in NOT_ANSWERED


def later_callback(missed, later=None):
    """EXISTS a callback after the missed call (table or alias `missed`), among the calls
    of `later` (an alias of `calls`; the caller may narrow it further with `.where`)."""
    later = later if later is not None else calls.alias("later")
    m, l = missed.c, later.c
    return exists().where(l.started > m.started, or_(
        and_(l.direction == "outbound", l.called_key == m.caller_key),
        and_(l.direction == "inbound", l.caller_key == m.caller_key, l.result == "answered")))


def _missed():
    c = calls.c
    # OR of equalities, not IN: an expanding IN list cannot go into an executemany
    return and_(c.direction == "inbound", c.caller_key != "", or_(*(c.result == r for r in NOT_ANSWERED)),
                c.called_back.is_(False))


def mark(conn: Connection, rows: Sequence[dict]) -> None:
    """After writing `rows` (calls rows with their derived columns): flag what they called back,
    and those of them that were called back already."""
    c = calls.c
    backs = [{"key": key, "at": r["started"]} for r in rows if (key := callback_key(r))]
    if backs:
        conn.execute(update(calls).where(_missed(), c.caller_key == bindparam("key"), c.started < bindparam("at"))
                     .values(called_back=True), backs)
    missed = [r["uuid"] for r in rows if is_missed_external(r)]
    if missed:
        conn.execute(update(calls).where(_missed(), c.uuid.in_(missed), later_callback(calls)).values(called_back=True))


def mark_all(conn: Connection) -> None:
    """Set the flag over the whole table (a migration, a bulk load)."""
    conn.execute(update(calls).where(_missed(), later_callback(calls)).values(called_back=True))
