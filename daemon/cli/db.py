"""`callrouter db upgrade|current -c FILE`: the store's schema.

Also `open_store_or_exit`, used by every command that needs the store.
"""
from __future__ import annotations

import argparse
import sys

from config.snapshot import Snapshot
from daemon.cli.check import add_config_argument, load_or_exit
from store import migrate
from store.database import Store
from store.migrate import SchemaError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "db", help="the store's database schema",
        description="Create or upgrade the store's schema in place (store.url of the config file; a relative "
                    "SQLite path is relative to the config file's directory). `callrouter run` does this by "
                    "itself for SQLite; a shared PostgreSQL is upgraded once, here, after every daemon using "
                    "it has the new version installed.")
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND")
    commands.required = True

    upgrade = commands.add_parser(
        "upgrade", help="create the schema or bring it up to date",
        description="Create the store's tables, or apply the migrations the installed version brings, in place: "
                    "records, passwords and overrides are kept. Safe to run again; says which revision the "
                    "database was at and is at now. --sql prints the SQL instead, for a DBA to run.")
    add_config_argument(upgrade)
    upgrade.add_argument("--revision", default="head", help="target revision [head]")
    upgrade.add_argument("--sql", action="store_true",
                         help="print the SQL of a full upgrade from empty instead of running it (for a DBA)")
    upgrade.set_defaults(func=run_upgrade)

    current = commands.add_parser(
        "current", help="say which revision the database is at; exit 1 unless usable",
        description="Print the store's schema revision and whether this version of callrouter can use it. "
                    "Exit status 1 when it cannot (an empty database, an older schema: run `callrouter db "
                    "upgrade`; a newer one: install the newer callrouter) or the database cannot be reached.")
    add_config_argument(current)
    current.set_defaults(func=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    store = _store(snapshot)
    try:
        if args.sql:
            migrate.upgrade_sql(store.engine.url, sys.stdout, args.revision)
            return 0
        before = store.schema_revision()
        store.upgrade(args.revision)
        after = store.schema_revision()
    except Exception as exc:
        print(f"callrouter: cannot upgrade {store.describe()}: {store_error(exc)}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if before == after:
        print(f"{store.describe()}: already at revision {after}")
    else:
        print(f"{store.describe()}: upgraded from {before or 'an empty database'} to revision {after}")
    return 0


def run_current(args: argparse.Namespace) -> int:
    store = _store(load_or_exit(args.config))
    try:
        revision = store.schema_revision()
        store.check_schema()
    except SchemaError as exc:
        print(f"{store.describe()}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"callrouter: cannot read {store.describe()}: {store_error(exc)}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"{store.describe()}: revision {revision}, up to date")
    return 0


def open_store_or_exit(snapshot: Snapshot) -> Store:
    """The config's store, schema ready (SQLite created/upgraded as `run` would); else exit 1."""
    store = _store(snapshot)
    try:
        store.ensure_schema()
    except SchemaError as exc:
        store.close()
        print(f"callrouter: {store.describe()}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:
        store.close()
        print(f"callrouter: cannot open the store {store.describe()}: {store_error(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    return store


def store_error(exc: BaseException) -> str:
    """What went wrong in the store, in one line: the driver's error class and the first
    line of its message (`StringDataRightTruncation: value too long for type character
    varying(200)`), never the statement or its parameters, which hold other people's data."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


def _store(snapshot: Snapshot) -> Store:
    try:
        return Store.for_snapshot(snapshot)
    except (ValueError, OSError) as exc:
        print(f"callrouter: {snapshot.source}: store.url: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
