"""`callrouter plan`: show how a call would be routed, without FreeSWITCH.

    callrouter plan -c company.yaml --to 201 [--from +79035550000] [--at 2026-12-15T10:00] [--json]

Presence is assumed (every phone registered and idle) and no runtime overrides
apply: the answer is what the file says.  Each forward is shown as routed when the
call would get there if nobody answered (so a colleague whose working day ends
meanwhile is off hours), as the daemon routes it.  A naive `--at` is read in the
company's time zone; without `--at` the current time is used.
"""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
from zoneinfo import ZoneInfo

from config.snapshot import Snapshot
from daemon.cli.check import add_config_argument, load_or_exit
from daemon.cli.moments import within_range
from routing import expand, plan, plan_to_dict, plan_to_text
from routing.numbers import clean
from routing.types import Call


def register(subparsers) -> None:
    parser = subparsers.add_parser("plan", help="show how a call would be routed",
                                   description=__doc__.splitlines()[0])
    add_config_argument(parser)
    parser.add_argument("--to", required=True, metavar="NUMBER", help="extension, department number, login or company number")
    parser.add_argument("--from", dest="caller", default="", metavar="NUMBER", help="the caller's number or extension")
    parser.add_argument("--at", metavar="ISO-8601", help="when the call comes in (default: now)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    try:
        check_destination(args.to, snapshot)
        now = parse_at(args.at, snapshot.company.zone) if args.at else dt.datetime.now(dt.timezone.utc)
    except ValueError as exc:
        print(f"callrouter plan: {exc}", file=sys.stderr)
        return 2
    note = wall_clock_note(now) if args.at else ""
    if note:
        print(f"callrouter plan: {note}", file=sys.stderr)
        now = now.astimezone(dt.timezone.utc).astimezone(now.tzinfo)    # the wall clock the call sees
    result = expand(plan(Call(destination=args.to, caller=args.caller), snapshot, now), snapshot, now)
    if args.json:
        print(json.dumps(plan_to_dict(result), ensure_ascii=False, indent=2))
    else:
        print(plan_to_text(result, snapshot, now, destination=args.to))
    return 0


def parse_at(text: str, zone: dt.tzinfo) -> dt.datetime:
    """ISO-8601; without an offset the time is on the company's wall clock."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--at {text!r} is not an ISO-8601 time such as 2026-12-15T10:00 or 2026-12-15T10:00+03:00") from None
    return within_range(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone), text)


_DIALLABLE = re.compile(r"\+?[0-9*#]+")


def check_destination(to: str, snapshot: Snapshot) -> None:
    """A login in the file, or something a phone can dial (digits, `*`, `#`, a leading `+`,
    with the punctuation people write numbers with); anything else is a typo to report,
    not a call to plan as "unknown number"."""
    if to in snapshot.by_login or _DIALLABLE.fullmatch(clean(to.strip())):
        return
    close = difflib.get_close_matches(to, sorted(snapshot.by_login), n=1, cutoff=0.7)
    raise ValueError(f"--to {to!r} is neither a number nor the login of an employee in {snapshot.source}"
                     + (f" (did you mean {close[0]!r}?)" if close else ""))


def wall_clock_note(moment: dt.datetime) -> str:
    """What to tell the admin when a naive `--at` fell in a DST change: a time the clocks
    skip (planned for the moment it would be had they not moved) or one they repeat
    (planned for the first of the two); "" otherwise."""
    zone = moment.tzinfo
    if not isinstance(zone, ZoneInfo):
        return ""
    real = moment.astimezone(dt.timezone.utc).astimezone(zone)
    given = f"{moment:%Y-%m-%d %H:%M}"
    if real.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return (f"{given} does not exist in {zone.key} (the clocks skip it); planned for "
                f"{real:%H:%M %Z} ({_offset(real)}), the moment it would be without the change")
    other = moment.replace(fold=1 - moment.fold)
    if other.utcoffset() != moment.utcoffset():
        first, second = sorted((moment, other), key=lambda m: m.astimezone(dt.timezone.utc))
        return (f"{given} happens twice in {zone.key} (the clocks go back); planned for the first, "
                f"{first:%H:%M %Z} ({_offset(first)}); for the second give --at "
                f"{second.replace(tzinfo=None).isoformat(timespec='minutes')}{_offset(second)}")
    return ""


def _offset(moment: dt.datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"
