"""`callrouter check -c FILE`: validate the config file the way the daemon would load it.

Also home of the `-c/--config` option and of `load_or_exit`, shared by every command
that needs the file (plan, run, employee …).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Optional, TextIO, TypeVar

from config.loader import ConfigError, load, warnings_of
from config.problems import Finding
from config.renames import login_changes
from config.snapshot import Snapshot

CONFIG_ENV = "CALLROUTER_CONFIG"

T = TypeVar("T")


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


def add_log_level_argument(parser: argparse.ArgumentParser) -> None:
    """`--log-level LEVEL` of the long-running commands (run, web)."""
    from daemon import logs
    parser.add_argument("--log-level", default="info", choices=logs.LEVELS, metavar="LEVEL",
                        help=f"the least severe log lines written to stderr: {', '.join(logs.LEVELS)} [info]")


def run(args: argparse.Namespace) -> int:
    try:
        snapshot = load(args.config)
    except ConfigError as error:
        report(error, sys.stderr)
        return 1
    print(summary(snapshot))
    for warning in warnings_of(snapshot, stored_login_changes(snapshot)):
        print(warning, file=sys.stderr)
    return 0


def stored_login_changes(snapshot: Snapshot) -> list[Finding]:
    """Employees whose login the file changes while the store holds the password of the
    old one (config.renames): a renamed employee whose login was derived from the name.

    The store is only read when it exists (a SQLite file is never created here) and
    is at this version's schema; when it cannot be read a note says so.
    """
    from daemon.cli.db import store_error           # the store's libraries load only when needed
    from store.database import Store
    from store.migrate import SchemaError
    from store.url import is_sqlite, resolve_url
    try:
        url = resolve_url(snapshot.file.store.url, Path(snapshot.source).parent)
        if is_sqlite(url) and not (url.database and Path(url.database).is_file()):
            return []
        store = Store.for_snapshot(snapshot, connect_timeout=3)
    except (ValueError, OSError):                    # store.url itself: `run` and `db` say what is wrong
        return []
    try:
        store.check_schema()
        credentials = store.all_credentials()
        gone = store.stored_extensions(credentials.keys() - snapshot.by_login.keys())
    except SchemaError:
        return []
    except Exception as exc:
        print(f"{snapshot.source}: note: logins not compared with the store {store.describe()} "
              f"({store_error(exc)})", file=sys.stderr)
        return []
    finally:
        store.close()
    return [change.finding(snapshot.source, stored=True) for change in login_changes(gone, snapshot)
            if change.new not in credentials]


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


def built_or_report(program: str, path: str, build: Callable[[], T]) -> Optional[T]:
    """`build()`, a long-running process made from the file at `path`; or None after
    saying on stderr why it cannot start: a schema to upgrade, a file that does not load
    (each problem), a malformed address or a port already taken."""
    from store.migrate import SchemaError
    try:
        return build()
    except SchemaError as exc:
        print(f"{program}: {exc}", file=sys.stderr)
    except ConfigError as exc:
        print(f"{program}: {path} was not loaded:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
    except (ValueError, OSError) as exc:
        print(f"{program}: cannot start: {exc}", file=sys.stderr)
    return None
