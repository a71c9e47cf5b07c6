import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from store import migrate
from store.migrate import SchemaError, head_revision
from store.tables import metadata
from tests.store.conftest import T0, _create_schema, _drop_schema, open_store, require_postgres

CONFIG = "/etc/callrouter/config.yaml"


@pytest.fixture
def empty(store_url):
    s = open_store(store_url, config_file=CONFIG)
    yield s
    s.close()


def test_upgrade_from_empty_builds_exactly_the_tables_the_code_uses(empty):
    empty.upgrade()
    assert empty.schema_revision() == head_revision()
    with empty.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diffs == []


def test_a_database_at_the_first_revision_is_upgraded_in_place_keeping_its_calls(empty):
    empty.upgrade("0001")
    with empty.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO calls (uuid, started, caller, caller_name, called, direction, target, reason, outcome,"
            " answered_by, hangup_cause) VALUES ('old-call', :t, '+74950000000', '', '200', 'inbound',"
            " 'employee:ivan.petrov', 'working', 'answered', 'ivan.petrov', 'NORMAL_CLEARING')"), {"t": T0})

    empty.upgrade()

    empty.check_schema()
    [old] = empty.history()
    assert (old.uuid, old.answered_by, old.started, old.node) == ("old-call", "ivan.petrov", T0, "")


def test_the_daemon_refuses_an_empty_database_and_says_what_to_run(empty):
    with pytest.raises(SchemaError, match=f"no schema yet: run `callrouter db upgrade -c {CONFIG}`"):
        empty.check_schema()


def test_the_daemon_refuses_an_older_schema_and_says_what_to_run(empty):
    empty.upgrade("0001")
    with pytest.raises(SchemaError, match=f"older than this callrouter's {head_revision()}: "
                                          f"run `callrouter db upgrade -c {CONFIG}`"):
        empty.check_schema()


def test_the_daemon_refuses_a_schema_from_a_newer_callrouter(empty):
    empty.upgrade()
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaError) as raised:
        empty.check_schema()
    message = str(raised.value)
    assert "revision 0099, which this callrouter does not know" in message
    assert "newer callrouter ran `callrouter db upgrade`" in message


def test_callrouter_run_creates_a_sqlite_store_but_only_checks_a_shared_postgresql(empty, backend):
    if backend == "sqlite":
        empty.ensure_schema()
        assert empty.schema_revision() == head_revision()
    else:
        with pytest.raises(SchemaError, match="callrouter db upgrade"):
            empty.ensure_schema()
        assert empty.schema_revision() is None


def test_an_explicit_upgrade_at_start_brings_an_older_store_to_head(empty):
    empty.upgrade("0001")
    empty.ensure_schema(auto_upgrade=True)
    assert empty.schema_revision() == head_revision()


def test_a_schema_from_a_newer_callrouter_is_never_auto_upgraded(empty):
    empty.upgrade()
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaError, match="does not know"):
        empty.ensure_schema(auto_upgrade=True)


def test_a_postgresql_upgrade_is_not_cut_by_the_daemons_statement_timeout(monkeypatch):
    """A revision's backfill runs over a year of calls at once; the 10 s bound on the
    daemon's own statements must not abort `callrouter db upgrade` half way.

    Here the bound is 0.3 s and the upgrade starts with a 0.5 s statement in its transaction,
    standing for the backfill. (A 1 ms bound, which the DDL alone would overrun, also failed
    the connection's own first queries on a loaded machine.)"""
    base = require_postgres()
    schema, url = _create_schema(base)
    monkeypatch.setattr("store.engine.STATEMENT_TIMEOUT_MS", 300)
    upgrade = migrate.command.upgrade

    def with_a_backfill(config, revision, **kwargs):
        config.attributes["connection"].execute(text("SELECT pg_sleep(0.5)"))
        return upgrade(config, revision, **kwargs)

    monkeypatch.setattr(migrate.command, "upgrade", with_a_backfill)
    s = open_store(url, config_file=CONFIG)
    try:
        with s.engine.connect() as conn:
            with pytest.raises(Exception, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(0.5)"))      # the bound is on for the daemon's statements
        s.upgrade()
        assert s.schema_revision() == head_revision()
    finally:
        s.close()
        _drop_schema(base, schema)
