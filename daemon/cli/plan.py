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
import json
import sys

from daemon.cli.check import add_config_argument, load_or_exit
from routing import expand, plan, plan_to_dict, plan_to_text
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
        now = parse_at(args.at, snapshot.company.zone) if args.at else dt.datetime.now(dt.timezone.utc)
    except ValueError as exc:
        print(f"callrouter plan: {exc}", file=sys.stderr)
        return 2
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
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
