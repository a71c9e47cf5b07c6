"""`callrouter employee …` on a copy of config/example.yaml, with a real SMTP server."""
import io
import re

import pytest

from config.loader import load
from config.models import ConfigFile
from config.snapshot import Snapshot
from daemon.cli.config_edit import detect_indent, next_free_extension
from store.database import Store
from tests.store.cli import callrouter, company_copy

NEW = ["--name", "Пётр Новиков", "--department", "Продажи", "--email", "petr@romashka.ru",
       "--mobile", "+7 916 111-22-33", "--position", "Стажёр"]


@pytest.fixture
def company(capsys, tmp_path, backend, store_url, smtp_server):
    """The example company; on PostgreSQL its store is upgraded first, as an admin must."""
    path = company_copy(tmp_path, smtp_port=smtp_server.port,
                        store_url=store_url if backend == "postgresql" else None)
    if backend == "postgresql":
        assert callrouter(capsys, "db", "upgrade", "-c", path)[0] == 0
    return path


def password_in(out: str) -> str:
    return re.search(r"kept only as hashes\): (\S+)", out).group(1)


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if "#" in line]


def test_add_appends_the_employee_keeps_the_file_and_sends_the_letter(capsys, company, smtp_server):
    before = company.read_text(encoding="utf-8")

    code, out, err = callrouter(capsys, "employee", "add", "-c", company, *NEW)

    assert code == 0, err
    password = password_in(out)
    assert (out + err).count(password) == 1
    assert "login pyotr.novikov, extension 211" in out and "Welcome letter sent to petr@romashka.ru" in out

    after = company.read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    assert after.startswith(before.split("  - name: Мария Кузнецова")[0].replace(
        "members: [ivan.petrov, anna.smirnova, s.kuznetsov]",
        "members: [ivan.petrov, anna.smirnova, s.kuznetsov, pyotr.novikov]"))
    snapshot = load(company)
    petr = snapshot.by_login["pyotr.novikov"]
    assert (petr.extension, petr.mobile, petr.department) == ("211", "+79161112233", "Продажи")
    assert snapshot.departments["Продажи"].members[-1] == "pyotr.novikov"

    store = Store.for_snapshot(snapshot)
    assert store.verify_password("pyotr.novikov", password)
    assert store.a1_for("pyotr.novikov", "pbx.romashka.local") is not None
    store.close()

    [(recipients, letter)] = smtp_server.inbox.received
    assert recipients == ["petr@romashka.ru"]
    assert letter.get_content().count(password) == 1 and "211" in letter.get_content()


def test_a_taken_login_is_refused_and_the_file_left_alone(capsys, company):
    before = company.read_bytes()

    code, _, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "Иван Петров")

    assert code == 1
    assert "login 'ivan.petrov' is already Иван Петров's: give another with --login" in err
    assert company.read_bytes() == before


def test_an_edit_the_loader_refuses_leaves_no_trace(capsys, company, smtp_server):
    before = company.read_bytes()

    code, out, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "Пётр Новиков",
                                "--department", "Логистика", "--email", "petr@romashka.ru")

    assert code == 1
    assert "would not load" in err and "Логистика" in err
    assert company.read_bytes() == before
    assert sorted(p.name for p in company.parent.iterdir() if p.name != "var") == ["company.yaml"]
    assert "Password" not in out and smtp_server.inbox.received == []


def test_a_failed_letter_is_reported_and_welcome_sends_a_new_password(capsys, tmp_path, unused_port, smtp_server):
    company = company_copy(tmp_path, smtp_port=unused_port)
    code, out, err = callrouter(capsys, "employee", "add", "-c", company, *NEW)
    assert code == 3
    first = password_in(out)
    assert "was NOT sent" in err and f"callrouter employee welcome pyotr.novikov -c {company}" in err

    text = company.read_text(encoding="utf-8")               # the admin fixes the SMTP settings
    company.write_text(text.replace(f"port: {unused_port}", f"port: {smtp_server.port}"), encoding="utf-8")
    assert load(company).by_login["pyotr.novikov"]          # the account was kept

    code, out, _ = callrouter(capsys, "employee", "welcome", "pyotr.novikov", "-c", company)

    assert code == 0 and "the old one is not kept anywhere" in out
    [(_, letter)] = smtp_server.inbox.received
    second = re.search(r"Пароль:\s+(\S+)", letter.get_content()).group(1)
    assert second != first and second not in out
    store = Store.for_snapshot(load(company))
    assert store.verify_password("pyotr.novikov", second) and not store.verify_password("pyotr.novikov", first)
    store.close()


def test_a_password_can_be_given_on_stdin(capsys, monkeypatch, tmp_path):
    company = company_copy(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("Given-Pass-2024\n"))

    code, out, _ = callrouter(capsys, "employee", "passwd", "ivan.petrov", "-c", company, "--password-stdin")

    assert code == 0 and "Given-Pass-2024" not in out
    store = Store.for_snapshot(load(company))
    assert store.verify_password("ivan.petrov", "Given-Pass-2024")
    store.close()


def test_a_weak_password_on_stdin_is_refused(capsys, monkeypatch, tmp_path):
    company = company_copy(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("12345\n"))

    code, _, err = callrouter(capsys, "employee", "passwd", "ivan.petrov", "-c", company, "--password-stdin")

    assert code == 1 and "at least 10 characters" in err


def test_list_shows_state_overrides_and_a_domain_change(capsys, tmp_path):
    company = company_copy(tmp_path)
    callrouter(capsys, "employee", "passwd", "ivan.petrov", "-c", company)
    store = Store.for_snapshot(load(company))
    store.set_override("anna.smirnova", "dnd", True)
    store.close()
    company.write_text(company.read_text(encoding="utf-8").replace("domain: pbx.romashka.local",
                                                                   "domain: sip.romashka.ru"), encoding="utf-8")

    code, out, err = callrouter(capsys, "employee", "list", "-c", company, "--at", "2027-01-12T10:00")

    assert code == 0
    rows = {line.split()[1]: line for line in out.splitlines()[1:]}
    assert "working" in rows["ivan.petrov"] and "stale domain" in rows["ivan.petrov"]
    assert "dnd" in rows["anna.smirnova"] and "missing" in rows["anna.smirnova"]
    assert "absent (vacation until 2027-01-22)" in rows["olga.vasilyeva"]
    assert "off hours" in rows["fyodor.yolkin"]                     # night shift, it is 10:00
    assert "passwords of ivan.petrov were made for domain pbx.romashka.local, not sip.romashka.ru" in err
    assert "callrouter employee passwd LOGIN --send" in err


# --------------------------------------------------------------------------- pieces

def company_with(extensions: str, employees: list[str], departments: list[str]) -> Snapshot:
    return Snapshot.build(ConfigFile.model_validate({
        "company": {"name": "Ромашка", "domain": "pbx.example.com", "extensions": extensions},
        "employees": [{"name": f"E{ext}", "login": f"e{ext}", "extension": ext} for ext in employees],
        "departments": [{"name": f"D{ext}", "extension": ext} for ext in departments],
    }))


@pytest.mark.parametrize("employees, departments, expected", [
    (["109", "110"], ["111"], "113"),                # skips a department's number and 112
    (["100", "115"], [], "105"),                     # top used: lowest free, past 101-104
    ([], [], "100"),
])
def test_the_next_extension_is_free_and_never_an_emergency_or_department_number(employees, departments, expected):
    assert next_free_extension(company_with("100-115", employees, departments)) == expected


def test_a_file_written_with_other_indentation_keeps_it(capsys, tmp_path):
    company = tmp_path / "company.yaml"
    company.write_text(
        "company:\n"
        "    name: Ромашка   # four spaces\n"
        "    domain: pbx.example.com\n"
        "employees:\n"
        "- name: Иван Петров\n"
        "  extension: 200\n",
        encoding="utf-8")
    assert detect_indent(company.read_text(encoding="utf-8")) == (4, 2, 0)

    code, _, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "Анна Смирнова")

    assert code == 0, err
    assert company.read_text(encoding="utf-8").endswith(
        "    domain: pbx.example.com\n"
        "employees:\n"
        "- name: Иван Петров\n"
        "  extension: 200\n"
        "- name: Анна Смирнова\n"
        "  login: anna.smirnova\n"
        "  extension: 201\n")
