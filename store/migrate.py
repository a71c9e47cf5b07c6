"""Schema migrations, run in code: the revisions ship in store/migrations/.

`callrouter db upgrade` and a fresh SQLite install call `upgrade()`; the daemon
calls `check()` at start and refuses a schema it does not know, saying what to run.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine

from store.engine import without_statement_timeout

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SchemaError(RuntimeError):
    """The database schema is missing, older or newer than this callrouter's."""


def alembic_config(connection=None, url: Optional[URL] = None, output: Optional[TextIO] = None) -> Config:
    """An Alembic Config pointing at the bundled revisions (no alembic.ini)."""
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    return scripts().get_current_head()


def current_revision(engine: Engine) -> Optional[str]:
    """The revision stamped in the database; None for an empty one."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in place, in one transaction where the database allows."""
    before = current_revision(engine)
    with engine.begin() as conn:
        without_statement_timeout(conn)
        command.upgrade(alembic_config(conn), revision)
    after = current_revision(engine)
    if before != after:
        log.info("store schema upgraded from %s to %s", before or "empty", after)


def upgrade_sql(url: URL, output: TextIO, revision: str = "head") -> None:
    """Write the SQL of an upgrade from empty instead of running it (for DBAs)."""
    command.upgrade(alembic_config(url=url, output=output), revision, sql=True)


def known_revisions() -> set[str]:
    return {script.revision for script in scripts().walk_revisions()}


def needs_upgrade(engine: Engine) -> bool:
    """True for an empty database or one at an older revision this version knows."""
    current = current_revision(engine)
    return current != head_revision() and (current is None or current in known_revisions())


def check(engine: Engine, upgrade_command: str) -> None:
    """Raise SchemaError unless the database is at this callrouter's newest revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError(f"the store has no schema yet: run `{upgrade_command}`")
    if current not in known_revisions():
        raise SchemaError(
            f"the store's schema is at revision {current}, which this callrouter does not know (its newest is "
            f"{head}): a newer callrouter ran `callrouter db upgrade` on it. Install that newer callrouter on "
            f"this host too; this one cannot use the database")
    raise SchemaError(f"the store's schema is at revision {current}, older than this callrouter's {head}: "
                      f"run `{upgrade_command}`")
