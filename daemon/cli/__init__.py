"""`callrouter` command line: one module per group of subcommands.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parsers and
sets `func` (taking the parsed args, returning the exit code).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = (
    "daemon.cli.check",      # check
    "daemon.cli.plan",       # plan
    "daemon.cli.run",        # run
    "daemon.cli.employee",   # employee add|passwd|list|welcome
    "daemon.cli.history",    # history
    "daemon.cli.db",         # db upgrade
    "daemon.cli.deploy",     # deploy freeswitch
    "daemon.cli.web",        # web («Личный кабинет»)
    "daemon.cli.recordings", # recordings prune
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callrouter", description="Call routing for FreeSWITCH.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:        # that group is not written yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:                 # `callrouter plan … | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
