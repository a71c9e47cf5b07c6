"""`callrouter web -c FILE`: «Личный кабинет», the employees' pages and JSON API, in the foreground.

A process of its own beside the daemon, on `web.listen` (or --listen /
CALLROUTER_WEB_LISTEN).  SIGHUP or a change of the file reloads the config;
SIGTERM/SIGINT stop it.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from daemon import logs
from daemon.cli.check import add_config_argument, add_log_level_argument, built_or_report

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "web", help="serve «Личный кабинет» (employees' pages and /api/v1)",
        description="Serve the employees' pages and JSON API on web.listen: sign-in, call history, "
                    "statistics, profile. SIGHUP or a change of the file reloads the config.")
    add_config_argument(parser)
    add_log_level_argument(parser)
    parser.add_argument("--listen", metavar="HOST:PORT", default=os.environ.get("CALLROUTER_WEB_LISTEN"),
                        help="address to serve on (default: web.listen; env CALLROUTER_WEB_LISTEN)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gevent import monkey
    monkey.patch_all()
    logs.setup(args.log_level)
    from daemon.web.server import WebProcess
    process = built_or_report("callrouter web", args.config, lambda: WebProcess(args.config, listen=args.listen))
    if process is None:
        return 1
    try:
        return process.serve_forever()
    except OSError as exc:
        print(f"callrouter web: cannot start: {exc}", file=sys.stderr)
        return 1
