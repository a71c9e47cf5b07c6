"""`callrouter run -c FILE`: the daemon in the foreground (systemd, a terminal, tests).

Logs go to stderr as key=value lines.  `--listen`/`--http` (or CALLROUTER_LISTEN /
CALLROUTER_HTTP) override the config's addresses, e.g. to run several daemons on
one box or a test daemon on free ports.  A config that does not load is printed,
problem by problem, and the exit code is 1.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from daemon.cli.check import add_config_argument, add_log_level_argument, built_or_report
from daemon import logs

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="run the daemon in the foreground",
        description="Route calls: serve FreeSWITCH's socket application, keep the inbound "
                    "ESL link, serve /metrics. SIGHUP or a change of the file reloads the "
                    "config; SIGTERM/SIGINT drain the calls in progress and exit.")
    add_config_argument(parser)
    add_log_level_argument(parser)
    parser.add_argument("--listen", metavar="HOST:PORT", default=os.environ.get("CALLROUTER_LISTEN"),
                        help="outbound ESL address (default: daemon.listen; env CALLROUTER_LISTEN)")
    parser.add_argument("--http", metavar="HOST:PORT", default=os.environ.get("CALLROUTER_HTTP"),
                        help="HTTP address (default: daemon.http; env CALLROUTER_HTTP)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Cooperative sockets everywhere (psycopg, SMTP, DNS) before the daemon's parts load:
    # one blocking call would stall every call in progress.
    from gevent import monkey
    monkey.patch_all()
    logs.setup(args.log_level)
    from daemon.app import App            # gevent and the call path load only for `run`
    app = built_or_report("callrouter", args.config,
                          lambda: App(args.config, listen=args.listen, http=args.http))
    if app is None:
        return 1
    try:
        app.start()
    except OSError as exc:
        print(f"callrouter: cannot start: {exc}", file=sys.stderr)
        return 1
    return app.serve_forever()
