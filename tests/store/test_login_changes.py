"""A rename that would change the SIP login of someone who has a password is not silent:
`callrouter check` compares the file with the store and says how to keep the old login."""
import re

import pytest

from tests.store.cli import callrouter, company_copy


@pytest.fixture
def company(capsys, tmp_path, backend, store_url):
    path = company_copy(tmp_path, store_url=store_url if backend == "postgresql" else None)
    text = path.read_text(encoding="utf-8")        # one more, written by hand without a login: line
    path.write_text(re.sub(r"\n(# -+ Служебные)", r"\n  - name: Пётр Первый\n    extension: 250\n\n\1", text, count=1),
                    encoding="utf-8")
    if backend == "postgresql":
        assert callrouter(capsys, "db", "upgrade", "-c", path)[0] == 0
    assert callrouter(capsys, "employee", "passwd", "pyotr.pervy", "-c", path)[0] == 0
    return path


def rename(company, old, new):
    company.write_text(company.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_check_warns_when_a_rename_takes_a_login_away_from_its_password(capsys, company):
    line = company.read_text(encoding="utf-8").splitlines().index("  - name: Пётр Первый") + 1
    rename(company, "Пётр Первый", "Пётр Великий")

    code, out, err = callrouter(capsys, "check", "-c", company)

    assert code == 0 and "OK" in out
    assert err.startswith(f"{company}:{line}: employees[10].name: warning: Пётр Великий (extension 250): "
                          "the SIP login changes from pyotr.pervy to pyotr.veliky")
    assert "the password in the store is pyotr.pervy's" in err
    assert "write `login: pyotr.pervy` under Пётр Великий" in err


def test_no_warning_once_the_new_login_has_its_password(capsys, company):
    rename(company, "Пётр Первый", "Пётр Великий")
    assert callrouter(capsys, "employee", "passwd", "pyotr.veliky", "-c", company)[0] == 0
    assert callrouter(capsys, "check", "-c", company)[2] == ""


def test_check_without_a_store_creates_none(capsys, tmp_path):
    company = company_copy(tmp_path)
    assert callrouter(capsys, "check", "-c", company)[:2] == (0, f"{company}: OK — 10 employees, 3 departments, "
                                                               "3 company numbers, domain pbx.romashka.local\n")
    assert not (tmp_path / "var").exists()
