"""`callrouter history` and `callrouter db` against the store of a company file."""
import csv
import io
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from config.loader import load
from daemon.cli.history import parse_when
from store.database import Store
from store.migrate import head_revision
from tests.store.builders import record
from tests.store.cli import callrouter, company_copy
from tests.store.conftest import T0


@pytest.fixture
def company(tmp_path):
    path = company_copy(tmp_path)
    store = Store.for_snapshot(load(path))
    store.upgrade()
    store.write_records([
        record("to-ivan", 0),                                            # 2024-03-04 12:00 Moscow
        record("to-sales", 10, target="department:Продажи", answered_by="anna.smirnova"),
        record("from-ivan", 20, target="employee:anna.smirnova", answered_by="anna.smirnova", caller="201"),
        record("missed", 30, target="employee:anna.smirnova", answered_by="", outcome="abandoned", steps=[]),
    ])
    store.close()
    return path


def test_csv_export_has_local_times_durations_and_the_path(capsys, company):
    code, out, _ = callrouter(capsys, "history", "-c", company, "--format", "csv")

    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert [r["uuid"] for r in rows] == ["to-ivan", "to-sales", "from-ivan", "missed"]
    first = rows[0]
    assert (first["started"], first["wait"], first["talk"]) == ("2024-03-04 12:00:00", "7", "88")
    assert first["path"] == "ring employee:ivan.petrov [ivan.petrov/office+ivan.petrov/mobile] SUCCESS"
    assert (rows[3]["outcome"], rows[3]["answered_by"], rows[3]["path"]) == ("abandoned", "", "")


def test_csv_export_opens_in_excel_and_runs_no_formula(capsys, tmp_path):
    path = company_copy(tmp_path)
    store = Store.for_snapshot(load(path))
    store.upgrade()
    store.write_records([record("formula", 0, caller="+74951234567", steps=[]),
                         record("hostile", 1, caller="=HYPERLINK(\"http://x\")", steps=[])])
    store.close()

    code, out, _ = callrouter(capsys, "history", "-c", path, "--format", "csv")

    assert code == 0
    assert out.startswith("\ufeffuuid;started;answered;")            # BOM for Excel, `;` for a Russian locale
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert [r["caller"] for r in rows] == ["'+74951234567", "'=HYPERLINK(\"http://x\")"]
    assert rows[0]["caller_name"] == "Клиент"


def test_filters_by_employee_department_and_local_time(capsys, company):
    def uuids(*options):
        code, out, _ = callrouter(capsys, "history", "-c", company, "--format", "json", *options)
        assert code == 0
        return [call["uuid"] for call in json.loads(out)]

    assert uuids("--employee", "ivan.petrov") == ["to-ivan", "from-ivan"]      # 201 is his extension
    assert uuids("--department", "Продажи") == ["to-sales"]
    assert uuids("--since", "2024-03-04T12:10", "--until", "2024-03-04 12:30") == ["to-sales", "from-ivan"]
    assert uuids("--limit", "1") == ["missed"]


def test_json_keeps_the_whole_record_in_company_time(capsys, company):
    _, out, _ = callrouter(capsys, "history", "-c", company, "--format", "json", "--employee", "ivan.petrov",
                           "--limit", "1")
    [call] = json.loads(out)
    assert call["started"] == "2024-03-04T12:20:00+03:00"
    assert call["caller_name"] == "Клиент"
    assert call["steps"][0]["legs"][1]["device"] == "mobile"


def test_the_table_names_every_call(capsys, company):
    code, out, _ = callrouter(capsys, "history", "-c", company)
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["STARTED", "DIR", "FROM"]
    assert "2024-03-04 12:30:00" in out and out.rstrip().endswith("4 calls")


def test_an_unknown_department_or_bad_date_is_an_error(capsys, company):
    assert callrouter(capsys, "history", "-c", company, "--department", "Склад")[0] == 2
    code, _, err = callrouter(capsys, "history", "-c", company, "--since", "yesterday")
    assert code == 2 and "neither a date-time" in err


def test_db_upgrade_then_current(capsys, tmp_path, backend, store_url):
    company = company_copy(tmp_path, store_url=store_url if backend == "postgresql" else None)

    code, _, err = callrouter(capsys, "db", "current", "-c", company)
    assert code == 1 and f"run `callrouter db upgrade -c {company}`" in err

    code, out, _ = callrouter(capsys, "db", "upgrade", "-c", company)
    assert code == 0 and f"upgraded from an empty database to revision {head_revision()}" in out
    code, out, _ = callrouter(capsys, "db", "current", "-c", company)
    assert code == 0 and "up to date" in out


def test_db_upgrade_brings_an_old_schema_up_in_place(capsys, tmp_path, backend, store_url):
    company = company_copy(tmp_path, store_url=store_url if backend == "postgresql" else None)
    store = Store.for_snapshot(load(company))
    store.upgrade("0001")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO overrides (login, forward_to_mobile, dnd, updated_at)"
                          " VALUES ('ivan.petrov', true, false, '2024-03-04 09:00:00+00:00')"))
    store.close()

    code, out, _ = callrouter(capsys, "db", "upgrade", "-c", company)

    assert code == 0 and "upgraded from 0001" in out
    store = Store.for_snapshot(load(company))
    assert store.overrides()["ivan.petrov"].forward_to_mobile
    store.close()


@pytest.mark.parametrize("text, expected", [
    ("7d", "2024-02-26T09:00:00+00:00"),
    ("90m", "2024-03-04T07:30:00+00:00"),
    ("2024-03-04", "2024-03-04T00:00:00+03:00"),
    ("2024-03-04T09:30+05:00", "2024-03-04T09:30:00+05:00"),
])
def test_when_is_a_span_back_from_now_or_a_time_in_the_company_zone(text, expected):
    assert parse_when(text, ZoneInfo("Europe/Moscow"), T0).isoformat() == expected


@pytest.mark.parametrize("since", ["99999999d", "0001-01-01", "9999-12-31T23:59-05:00"])
def test_a_time_out_of_range_is_a_usage_error_not_a_crash(capsys, company, since):
    code, out, err = callrouter(capsys, "history", "-c", company, "--since", since)
    assert code == 2 and out == ""
    assert f"--since {since!r}" in err and "out of range" in err and "Traceback" not in err


def test_an_unknown_employee_is_an_error_like_an_unknown_department(capsys, company):
    code, out, err = callrouter(capsys, "history", "-c", company, "--employee", "ivan.petrof")
    assert code == 2 and out == ""
    assert "no employee with the login 'ivan.petrof'" in err and "did you mean 'ivan.petrov'?" in err


def test_a_store_that_fails_mid_command_is_one_line_not_a_traceback(capsys, company):
    store = Store.for_snapshot(load(company))
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE call_legs"))
    store.close()

    code, out, err = callrouter(capsys, "history", "-c", company)

    assert code == 1 and out == ""
    assert err == f"callrouter: cannot read the call history from {Store.for_snapshot(load(company)).describe()}: " \
                  "OperationalError: no such table: call_legs\n"


@pytest.mark.parametrize("limit", ["0", "-5", "ten"])
def test_a_limit_must_be_a_positive_number(capsys, company, limit):
    code, out, err = callrouter(capsys, "history", "-c", company, "--limit", limit)
    assert code == 2 and out == "" and f"--limit: {limit!r} is not a positive whole number" in err
