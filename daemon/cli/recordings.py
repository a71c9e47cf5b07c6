"""`callrouter recordings prune -c FILE`: delete recordings past their retention.

Run daily by deploy/systemd/callrouter-recordings-prune.timer. Safe while calls are
being recorded and on several nodes at once (see store/recordings.py). The call
records stay, marked `pruned`; «История звонков» stops offering the recording.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging

from config.recording import recordings_dir, rule_for_target, shortest_retention
from daemon.cli.check import add_config_argument, load_or_exit
from store import recordings

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "recordings", help="call recordings",
        description="Call recordings kept under recordings.dir of the config file.")
    commands = parser.add_subparsers(dest="recordings_command", metavar="COMMAND")
    commands.required = True
    prune = commands.add_parser(
        "prune", help="delete recordings past their retention_days (the call records stay)",
        description="Delete every recording whose retention has run out and mark its call record; then delete "
                    "files that no call record keeps (older than two days, so calls being recorded are safe). "
                    "Exit 1 when a file could not be deleted (it is tried again next run).")
    add_config_argument(prune)
    prune.set_defaults(func=run_prune)


def _days(snapshot, target: str):
    rule = rule_for_target(snapshot, target)
    return rule.retention_days if rule is not None else None


def run_prune(args: argparse.Namespace) -> int:
    from daemon.cli.db import open_store_or_exit
    snapshot = load_or_exit(args.config)
    store = open_store_or_exit(snapshot)
    directory = recordings_dir(snapshot)
    try:
        result = recordings.prune(store, directory, dt.datetime.now(dt.timezone.utc),
                                  retention=lambda target: _days(snapshot, target),
                                  shortest_days=shortest_retention(snapshot))
    finally:
        store.close()
    print(f"{directory}: {result.deleted} recordings past their retention deleted"
          f" ({result.missing} already gone), {result.orphans} files no call record keeps deleted"
          + (f", {result.recovered} recordings left unchecked by the daemon found good" if result.recovered else "")
          + (f", {result.failed} could not be deleted" if result.failed else ""))
    return 1 if result.failed else 0
