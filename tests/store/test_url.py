from pathlib import Path

import pytest

from store.database import Store
from store.url import describe, ensure_parent_dir, resolve_url


def test_relative_sqlite_path_is_relative_to_the_config_directory(tmp_path):
    url = resolve_url("sqlite:///var/callrouter.sqlite3", tmp_path / "etc")
    assert url.database == str(tmp_path / "etc" / "var" / "callrouter.sqlite3")


def test_absolute_sqlite_path_is_kept(tmp_path):
    url = resolve_url(f"sqlite:///{tmp_path}/db.sqlite3", "/elsewhere")     # four slashes: absolute
    assert Path(url.database) == tmp_path / "db.sqlite3"


def test_parent_directory_of_a_sqlite_file_is_created(tmp_path):
    url = resolve_url("sqlite:///var/lib/db.sqlite3", tmp_path)
    ensure_parent_dir(url)
    assert (tmp_path / "var" / "lib").is_dir()


def test_postgresql_url_passes_unchanged_and_its_password_is_masked():
    url = resolve_url("postgresql+psycopg://router:s3cret@db.internal:5432/calls", "/etc/callrouter")
    assert url.host == "db.internal" and url.database == "calls"
    assert "s3cret" not in describe(url)


def test_a_plain_postgresql_url_uses_psycopg_3():
    store = Store.open("postgresql://router@db.internal/calls")
    assert store.engine.url.drivername == "postgresql+psycopg"
    store.close()


def test_an_unsupported_database_is_refused_by_name():
    with pytest.raises(ValueError, match="unsupported store URL 'mysql'"):
        Store.open("mysql://router@db.internal/calls")
