"""`callrouter check`: one summary line and exit 0, or every problem on stderr and exit 1."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import config
from daemon.cli import main
from daemon.cli.check import CONFIG_ENV, load_or_exit
from tests.config.sample import company_file, employee

EXAMPLE = Path(config.__file__).parent / "example.yaml"
SUMMARY = "OK — 10 employees, 3 departments, 3 company numbers, domain pbx.romashka.local"


@pytest.fixture
def broken(tmp_path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(company_file(employees=employee("extension: 112\nreception:\n  devices: mobile")), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_config_env(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def test_check_of_a_good_file(capsys):
    assert main(["check", "-c", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{EXAMPLE}: {SUMMARY}\n"
    assert err == ""


def test_check_of_a_bad_file(broken, capsys):
    assert main(["check", "--config", str(broken)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{broken}:20: employees[2].extension: extension 112 is an emergency number: "
        "callers must reach the emergency services with it",
        f"{broken}:22: employees[2].reception.devices: devices: mobile rings the mobile, "
        "but Пётр Сидоров has no valid mobile: number",
        f"{broken}: 2 problems, not loaded",
    ]


def test_check_of_a_missing_file(tmp_path, capsys):
    assert main(["check", "-c", str(tmp_path / "none.yaml")]) == 1
    assert capsys.readouterr().err.splitlines() == [f"{tmp_path / 'none.yaml'}: no such file",
                                                    f"{tmp_path / 'none.yaml'}: 1 problem, not loaded"]


def test_config_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv(CONFIG_ENV, str(EXAMPLE))
    assert main(["check"]) == 0
    assert capsys.readouterr().out == f"{EXAMPLE}: {SUMMARY}\n"


def test_config_is_required_without_the_environment(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["check"])
    assert exited.value.code == 2
    assert "-c/--config" in capsys.readouterr().err


def test_load_or_exit(broken, capsys):
    assert load_or_exit(str(EXAMPLE)).company.name == "ООО «Ромашка»"
    with pytest.raises(SystemExit) as exited:
        load_or_exit(str(broken))
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"{broken}: 2 problems, not loaded"


def test_installed_command(broken):
    """The console script that setup.cfg installs, run as an admin would run it."""
    command = Path(sys.executable).parent / "callrouter"
    assert command.exists(), "install the project first: pip install -e ."
    good = subprocess.run([str(command), "check", "-c", str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert (good.returncode, good.stdout, good.stderr) == (0, f"{EXAMPLE}: {SUMMARY}\n", "")
    bad = subprocess.run([str(command), "check", "-c", str(broken)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[-1] == f"{broken}: 2 problems, not loaded"


@pytest.mark.parametrize("command", [["employee", "list"], ["db", "upgrade"], ["db", "current"], ["run"],
                                     ["check"], ["plan"], ["employee", "add"], ["history"]])
def test_every_command_describes_itself_in_its_help(capsys, command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    paragraphs = capsys.readouterr().out.split("\n\n")
    assert len(paragraphs) >= 3 and not paragraphs[1].startswith(("options:", "positional")), paragraphs[1]


def test_a_name_on_two_lines_is_refused_by_check(tmp_path, capsys):
    path = tmp_path / "company.yaml"
    path.write_text(company_file(employees=employee('extension: 203').replace("Пётр Сидоров", '"Пётр\\nСидоров"')),
                    encoding="utf-8")
    assert main(["check", "-c", str(path)]) == 1
    assert "employees[2].name: must be one line of text, without line breaks, tabs or control characters " \
           "(found '\\n' at position 5)" in capsys.readouterr().err
