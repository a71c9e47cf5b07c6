"""`callrouter employee add` as a new admin uses it: the file it writes must keep working
after the edits that come next (a rename, uncommenting the runtime sections), keep the
file's own bytes (CRLF, BOM), and never show a password given on stdin."""
import io
import re

import pytest

from config.loader import load
from store.database import Store
from tests.store.cli import callrouter, company_copy


def add(capsys, company, name, *more):
    code, out, err = callrouter(capsys, "employee", "add", "-c", company, "--name", name, "--no-letter", *more)
    assert code == 0, err
    return out


def test_add_writes_the_login_it_chose_so_a_rename_keeps_it(capsys, tmp_path):
    company = company_copy(tmp_path)
    add(capsys, company, "Пётр Первый")
    assert re.search(r"  - name: Пётр Первый\n    login: pyotr.pervy\n    extension: 211\n",
                     company.read_text(encoding="utf-8"))

    company.write_text(company.read_text(encoding="utf-8").replace("Пётр Первый", "Пётр Великий"), encoding="utf-8")

    peter = load(company).by_extension["211"]
    assert (peter.name, peter.login) == ("Пётр Великий", "pyotr.pervy")


def uncomment_runtime_sections(text: str) -> str:
    head, runtime = text.split("# Defaults shown; uncomment to change.\n")
    return head + "".join(re.sub(r"^# ?", "", line) for line in runtime.splitlines(keepends=True)
                          if line.startswith(("# ", "#\n")) and "---" not in line)


def test_new_employees_go_into_the_list_not_after_the_commented_sections_at_the_end(capsys, tmp_path):
    company = company_copy(tmp_path)
    add(capsys, company, "Пётр Новиков")
    add(capsys, company, "Олег Сидоров")
    text = company.read_text(encoding="utf-8")
    assert text.index("Олег Сидоров") < text.index("# features:")

    company.write_text(uncomment_runtime_sections(text), encoding="utf-8")

    snapshot = load(company)
    assert {"pyotr.novikov", "oleg.sidorov"} <= snapshot.by_login.keys()
    assert snapshot.file.features.confirm_on == "sounds/feature-on.wav"
    assert snapshot.file.daemon.linger == 10


def test_a_windows_file_keeps_its_line_ends_and_byte_order_mark(capsys, tmp_path):
    company = company_copy(tmp_path)
    original = company.read_text(encoding="utf-8").replace("\n", "\r\n")
    company.write_bytes(b"\xef\xbb\xbf" + original.encode("utf-8"))

    add(capsys, company, "Пётр Новиков", "--department", "Продажи")

    data = company.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") and b"\r\r" not in data
    assert "pyotr.novikov" in load(company).by_login
    assert data.decode("utf-8-sig").startswith(original.split("  - name: Мария Кузнецова")[0].replace(
        "members: [ivan.petrov, anna.smirnova, s.kuznetsov]",
        "members: [ivan.petrov, anna.smirnova, s.kuznetsov, pyotr.novikov]"))


@pytest.mark.parametrize("name", ["Пётр\nНовиков", "Пётр\tНовиков", "Пётр\x1b[31mНовиков", " "])
def test_a_name_with_a_line_break_or_control_character_is_refused(capsys, tmp_path, name):
    company = company_copy(tmp_path)
    before = company.read_bytes()

    code, out, err = callrouter(capsys, "employee", "add", "-c", company, "--name", name, "--no-letter")

    assert code == 1 and "Password" not in out
    assert "--name" in err and ("one line of text" in err or "blank" in err)
    assert company.read_bytes() == before


def test_a_password_given_on_stdin_is_not_printed_back(capsys, monkeypatch, tmp_path):
    company = company_copy(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("Given-Pass-2024\n"))

    code, out, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "Пётр Новиков", "--no-letter",
                                "--password-stdin")

    assert code == 0 and "Given-Pass-2024" not in out + err
    assert "password of pyotr.novikov was set from stdin" in out.lower()
    store = Store.for_snapshot(load(company))
    assert store.verify_password("pyotr.novikov", "Given-Pass-2024")
    store.close()


def test_the_hint_for_missing_passwords_names_the_file(capsys, tmp_path):
    company = company_copy(tmp_path)
    _, _, err = callrouter(capsys, "employee", "list", "-c", company)
    assert f"`callrouter employee passwd LOGIN --send -c {company}`" in err


def test_a_password_typed_at_a_terminal_is_not_echoed(tmp_path):
    """With a terminal on stdin the typed password must not appear on the screen."""
    import os
    import pty
    import select
    import subprocess
    import sys
    from pathlib import Path
    company = company_copy(tmp_path)
    repo = Path(__file__).resolve().parents[2]
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon", "employee", "passwd", "ivan.petrov", "-c", str(company), "--password-stdin"],
        cwd=repo, stdin=follower, stdout=follower, stderr=follower, close_fds=True, start_new_session=True)
    os.close(follower)
    screen = b""

    def read_until(done, timeout=20.0):
        nonlocal screen
        while not done(screen):
            ready, _, _ = select.select([leader], [], [], timeout)
            if not ready:
                raise AssertionError(f"nothing more on the terminal; so far: {screen!r}")
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                return
            if not chunk:
                return
            screen += chunk

    read_until(lambda s: b"assword" in s)
    os.write(leader, b"Typed-Secret-2024\n")
    read_until(lambda s: b"old one no longer works" in s and b"kept only as hashes" in s)
    assert process.wait(timeout=20) == 0
    os.close(leader)
    assert b"Typed-Secret-2024" not in screen
    store = Store.for_snapshot(load(company))
    assert store.verify_password("ivan.petrov", "Typed-Secret-2024")
    store.close()


def test_list_at_a_moment_out_of_range_is_a_usage_error(capsys, tmp_path):
    code, out, err = callrouter(capsys, "employee", "list", "-c", company_copy(tmp_path), "--at", "0001-01-01")
    assert code == 2 and out == "" and "out of range" in err


def test_a_name_that_gives_no_login_asks_for_login_option(capsys, tmp_path):
    company = company_copy(tmp_path)
    code, _, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "王伟", "--no-letter")
    assert code == 1 and "cannot make a login from the name '王伟': give one with --login" in err
    code, _, err = callrouter(capsys, "employee", "add", "-c", company, "--name", "王伟", "--login", "wang.wei",
                              "--no-letter")
    assert code == 0, err
