"""Where the store lives: the `store.url` of the config file, made usable.

A relative SQLite path (`sqlite:///var/callrouter.sqlite3`, three slashes) is taken
relative to the directory of the config file, not to the daemon's working
directory, so the same file works from systemd, cron and an admin's shell alike.
An absolute one has four slashes (`sqlite:////var/lib/callrouter/db.sqlite3`).
The parent directory of a SQLite file is created on first use: a fresh install
needs no setup. Other URLs (`postgresql+psycopg://user@host/db`) pass unchanged.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url


def resolve_url(url: str, config_dir: str | Path = ".") -> URL:
    """The URL with a relative SQLite path anchored at `config_dir`."""
    parsed = make_url(url)
    if not is_sqlite(parsed) or _in_memory(parsed):
        return parsed
    path = Path(parsed.database)
    if not path.is_absolute():
        path = Path(config_dir).resolve() / path
    return parsed.set(database=str(path))


def ensure_parent_dir(url: URL) -> None:
    """Create the directory a SQLite file goes in (a no-op for other databases)."""
    if is_sqlite(url) and not _in_memory(url):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def describe(url: URL) -> str:
    """The URL for logs and messages, with any password masked."""
    return url.render_as_string(hide_password=True)


def _in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or str(url.database).startswith("file::memory:")
