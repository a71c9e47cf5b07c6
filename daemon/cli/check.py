"""`callrouter check -c FILE`: validate the config file the way the daemon would load it.

Also home of the `-c/--config` option and of `load_or_exit`, shared by every command
that needs the file (plan, run, employee …).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from config.loader import ConfigError, load, warnings_of
from config.snapshot import Snapshot

CONFIG_ENV = "CALLROUTER_CONFIG"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="validate the config file",
        description="Validate the config file: print one summary line, or every problem "
                    "(FILE:LINE: field: message) and exit 1. Rules that load but under which something never "
                    "rings (or which read otherwise than they look) are warned about on stderr, exit 0.")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """`-c/--config FILE`, required unless the CALLROUTER_CONFIG environment variable names the file."""
    default = os.environ.get(CONFIG_ENV) or None
    parser.add_argument("-c", "--config", metavar="FILE", default=default, required=default is None,
                        help=f"the YAML config file (default: ${CONFIG_ENV}"
                             + (f", now {default})" if default else ", unset)"))


def run(args: argparse.Namespace) -> int:
    try:
        snapshot = load(args.config)
    except ConfigError as error:
        report(error, sys.stderr)
        return 1
    print(summary(snapshot))
    for warning in warnings_of(snapshot):
        print(warning, file=sys.stderr)
    return 0


def load_or_exit(path: str, stream: TextIO | None = None) -> Snapshot:
    """The snapshot of `path`; or every problem on `stream` (stderr) and SystemExit(1)."""
    try:
        return load(path)
    except ConfigError as error:
        report(error, stream if stream is not None else sys.stderr)
        raise SystemExit(1) from None


def report(error: ConfigError, stream: TextIO) -> None:
    """Each problem on its own line, then the count."""
    for problem in error.problems:
        print(problem, file=stream)
    source = error.problems[0].source if error.problems else "config"
    print(f"{source}: {_count(len(error.problems), 'problem')}, not loaded", file=stream)


def summary(snapshot: Snapshot) -> str:
    """`config/example.yaml: OK — 10 employees, 3 departments, 3 company numbers, domain pbx.romashka.local`"""
    file = snapshot.file
    return (f"{snapshot.source}: OK — {_count(len(file.employees), 'employee')}, "
            f"{_count(len(file.departments), 'department')}, "
            f"{_count(len(file.company.numbers), 'company number')}, domain {file.company.domain}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
