"""`callrouter history -c FILE`: call records from the store, as a table, CSV or JSON.

`--since`/`--until` take an ISO date or date-time (in the company's time zone unless
an offset is given) or a span back from now such as `24h` or `7d`; `--until` is
exclusive. Times are shown in the company's time zone.
"""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from config.snapshot import Snapshot
from daemon.cli.check import add_config_argument, load_or_exit
from daemon.cli.db import open_store_or_exit, store_error
from daemon.cli.moments import within_range
from daemon.cli.output import table
from store.calls import HistoryQuery
from store.export import write_csv as write_excel_csv
from store.records import CallRecord, StepRecord

FORMATS = ("table", "csv", "json")
SPAN = re.compile(r"(\d+)([mhd])")
SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
CSV_COLUMNS = ("uuid", "started", "answered", "ended", "direction", "caller", "caller_name", "called", "target",
               "reason", "outcome", "answered_by", "wait", "talk", "hangup_cause", "recording", "node", "path")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "history", help="show call records",
        description="Show call records, oldest first. Times are in the company's time zone.")
    add_config_argument(parser)
    parser.add_argument("--since", metavar="WHEN", help="ISO date/date-time, or a span back from now: 30m, 24h, 7d")
    parser.add_argument("--until", metavar="WHEN", help="same forms; exclusive")
    parser.add_argument("--employee", metavar="LOGIN",
                        help="calls to, answered by or placed by this employee")
    parser.add_argument("--department", metavar="NAME", help="calls to this department")
    parser.add_argument("--limit", type=_positive, metavar="N", help="only the newest N calls")
    parser.add_argument("--format", choices=FORMATS, default="table", help="[table]")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def run(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    zone = snapshot.company.zone
    try:
        query = build_query(args, snapshot, dt.datetime.now(dt.timezone.utc))
    except ValueError as exc:
        print(f"callrouter: {exc}", file=sys.stderr)
        return 2
    store = open_store_or_exit(snapshot)
    try:
        records = store.history(query)
    except SQLAlchemyError as exc:
        print(f"callrouter: cannot read the call history from {store.describe()}: {store_error(exc)}",
              file=sys.stderr)
        return 1
    finally:
        store.close()
    if query.newest_first:
        records.reverse()
    WRITERS[args.format](records, zone)
    return 0


def build_query(args: argparse.Namespace, snapshot: Snapshot, now: dt.datetime) -> HistoryQuery:
    numbers: tuple[str, ...] = ()
    if args.employee is not None:
        employee = snapshot.by_login.get(args.employee)
        if employee is None:
            raise ValueError(f"no employee with the login {args.employee!r} in {snapshot.source}"
                             + _did_you_mean(args.employee, snapshot.by_login))
        numbers = (args.employee, employee.extension)
    if args.department is not None and args.department not in snapshot.departments:
        raise ValueError(f"no department named {args.department!r} in {snapshot.source}"
                         + _did_you_mean(args.department, snapshot.departments))
    return HistoryQuery(since=_option_when("--since", args.since, snapshot.company.zone, now),
                        until=_option_when("--until", args.until, snapshot.company.zone, now),
                        employee=args.employee, employee_numbers=numbers, department=args.department,
                        limit=args.limit, newest_first=args.limit is not None)


def _option_when(option: str, text: Optional[str], zone: ZoneInfo, now: dt.datetime) -> Optional[dt.datetime]:
    try:
        return parse_when(text, zone, now)
    except ValueError as exc:
        raise ValueError(f"{option} {exc}") from None


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_when(text: Optional[str], zone: ZoneInfo, now: dt.datetime) -> Optional[dt.datetime]:
    """`2024-03-04`, `2024-03-04T09:30`, `2024-03-04 09:30+03:00`, or `7d` / `24h` / `30m` before `now`.

    A moment Python cannot compute with (a span reaching before year 1, `0001-01-01`
    east of Greenwich) is refused here rather than overflowing in the query.
    """
    if text is None:
        return None
    span = SPAN.fullmatch(text.strip())
    if span:
        try:
            when = now - dt.timedelta(**{SPAN_UNITS[span.group(2)]: int(span.group(1))})
        except OverflowError:
            raise ValueError(f"{text!r} is out of range: give a span shorter than {now.year - 1} years") from None
    else:
        when = _date_time(text)
        when = when.replace(tzinfo=zone) if when.tzinfo is None else when
    return within_range(when, text)


def _date_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a date-time (2024-03-04T09:30) nor a span (24h, 7d)") from None


# --------------------------------------------------------------------------- output

def write_table(records: list[CallRecord], zone: ZoneInfo) -> None:
    rows = [(_local(r.started, zone), r.direction, r.caller, r.called, r.target, r.outcome, r.answered_by,
             _seconds(r.started, r.answered), _seconds(r.answered, r.ended), r.reason) for r in records]
    print(table(("STARTED", "DIR", "FROM", "DIALLED", "TO", "OUTCOME", "ANSWERED BY", "WAIT", "TALK", "REASON"),
                rows))
    print(f"{len(records)} call{'s' if len(records) != 1 else ''}")


def write_csv(records: list[CallRecord], zone: ZoneInfo) -> None:
    """For Excel (store/export.py): UTF-8 with BOM, `;`, formula-like cells neutralised with `'`."""
    write_excel_csv(sys.stdout, CSV_COLUMNS, (
        (r.uuid, _local(r.started, zone), _local(r.answered, zone), _local(r.ended, zone),
         r.direction, r.caller, r.caller_name, r.called, r.target, r.reason, r.outcome, r.answered_by,
         _seconds(r.started, r.answered), _seconds(r.answered, r.ended), r.hangup_cause,
         r.recording or "", r.node, " → ".join(describe_step(s) for s in r.steps)) for r in records))


def write_json(records: list[CallRecord], zone: ZoneInfo) -> None:
    def default(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(zone).isoformat()
        raise TypeError(type(value).__name__)
    json.dump([r.to_dict() for r in records], sys.stdout, ensure_ascii=False, indent=2, default=default)
    print()


WRITERS = {"table": write_table, "csv": write_csv, "json": write_json}


def describe_step(step: StepRecord) -> str:
    """`ring employee:ivan.petrov [office+mobile] NO_ANSWER`, `voicemail department:Продажи`."""
    parts = [step.action]
    if step.target:
        parts.append(step.target)
    if step.legs:
        parts.append("[" + "+".join(f"{leg.login}/{leg.device}" for leg in step.legs) + "]")
    if step.disposition:
        parts.append(step.disposition)
    return " ".join(parts)


def _local(when: Optional[dt.datetime], zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if when else ""


def _seconds(start: Optional[dt.datetime], end: Optional[dt.datetime]) -> str:
    return str(round((end - start).total_seconds())) if start and end else ""
