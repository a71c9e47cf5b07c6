"""The config and the store agree on lengths, and a store error never shows other people's data."""
import pytest
from sqlalchemy import String
from sqlalchemy.exc import DBAPIError

from config import limits
from config.loader import load
from config.snapshot import Snapshot
from store import tables
from daemon.cli.db import store_error
from tests.store.cli import callrouter, company_copy

LONG_NAME = "Пётр " + "Ж" * 196          # 201 characters


@pytest.fixture
def company(capsys, tmp_path, backend, store_url):
    path = company_copy(tmp_path, store_url=store_url if backend == "postgresql" else None)
    if backend == "postgresql":
        assert callrouter(capsys, "db", "upgrade", "-c", path)[0] == 0
    return path


def test_the_store_columns_are_sized_from_the_config_limits():
    employees = tables.employees.c
    assert [employees[c].type.length for c in ("login", "name", "extension", "department", "position", "email")] \
        == [limits.LOGIN, limits.NAME, limits.EXTENSION, limits.NAME, limits.NAME, limits.EMAIL]
    assert tables.departments.c.name.type.length == limits.NAME
    assert all(isinstance(c.type, String) for c in employees if c.name != "updated_at" and c.name != "active")


def test_a_name_longer_than_the_store_keeps_is_refused_by_check_and_add(capsys, company):
    code, out, err = callrouter(capsys, "employee", "add", "-c", company, "--name", LONG_NAME, "--no-letter")
    assert code == 1 and "Password" not in out
    assert "--name" in err and "at most 200 characters" in err

    text = company.read_text(encoding="utf-8").replace("name: Мария Кузнецова", f"name: {LONG_NAME}")
    company.write_text(text, encoding="utf-8")
    code, _, err = callrouter(capsys, "check", "-c", company)
    assert code == 1 and "employees[9].name: must be at most 200 characters" in err


def test_a_store_error_names_its_kind_not_the_statement_or_anyone_s_data(capsys, company, backend):
    """A value the database refuses (here written past the config's validation) must not
    print the statement's parameters: they are every employee's names, emails, mobiles."""
    good = load(company)
    employees = list(good.file.employees)
    employees[9] = employees[9].model_construct(**{**dict(employees[9]), "login": "x" * 100})
    snapshot = Snapshot.build(good.file.model_copy(update={"employees": tuple(employees)}), source=str(company))
    from store.database import Store
    store = Store.for_snapshot(snapshot)
    try:
        with pytest.raises(Exception) as caught:
            store.sync_directory(snapshot)
            if backend == "sqlite":
                pytest.skip("SQLite keeps over-long values")
    finally:
        store.close()
    assert isinstance(caught.value, DBAPIError)
    assert "ivan.petrov@romashka.ru" not in str(caught.value) and "+79161234567" not in str(caught.value)
    if backend == "postgresql":
        assert store_error(caught.value) == "StringDataRightTruncation: value too long for type character varying(64)"
