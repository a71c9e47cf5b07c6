"""Reloading the config: a good file swaps in, a bad one is refused, counted and logged."""
from __future__ import annotations

import logging
import os

import gevent
import pytest

from config.loader import load
from daemon.config_reload import ConfigHolder, ConfigWatcher
from daemon.metrics import Metrics
from tests.waiting import Counted, wait_until

GOOD = """\
company:
  name: Example
  domain: example.com
employees:
  - name: Anna Smirnova
    extension: 201
"""
GOOD_WITH_BORIS = GOOD + """\
  - name: Boris Ivanov
    extension: 202
"""
BAD = """\
company:
  name: Example
employees:
  - name: Anna Smirnova
    extension: 1
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "company.yaml"
    path.write_text(GOOD)
    return path


@pytest.fixture
def holder(config_file):
    return ConfigHolder(str(config_file), loader=load, metrics=Metrics())


def reloads(holder: ConfigHolder, result: str) -> float:
    return holder._metrics.registry.get_sample_value("callrouter_config_reloads_total", {"result": result}) or 0


def logins(holder: ConfigHolder) -> list[str]:
    return sorted(holder.current().by_login)


def test_a_good_file_is_swapped_in(config_file, holder):
    before = holder.current()
    config_file.write_text(GOOD_WITH_BORIS)
    assert holder.reload() is True
    assert logins(holder) == ["anna.smirnova", "boris.ivanov"]
    assert before.by_login.keys() == {"anna.smirnova"}           # a call holding the old one keeps it
    assert reloads(holder, "ok") == 1


def test_a_bad_file_is_refused_each_problem_logged_and_the_old_one_kept(config_file, holder, caplog):
    config_file.write_text(BAD)
    with caplog.at_level(logging.ERROR, logger="daemon.config_reload"):
        assert holder.reload() is False
    assert logins(holder) == ["anna.smirnova"]
    assert reloads(holder, "error") == 1 and reloads(holder, "ok") == 0
    problems = [r.getMessage() for r in caplog.records if r.getMessage().startswith("config problem")]
    assert problems == [f"config problem: {config_file}:1: company.domain: is required",
                        f"config problem: {config_file}:5: employees[0].extension: extension '1' must be 2 to 8 digits"]


def test_a_vanished_file_is_refused_too(config_file, holder):
    config_file.unlink()
    assert holder.reload() is False
    assert logins(holder) == ["anna.smirnova"] and reloads(holder, "error") == 1


@pytest.fixture
def polls():
    """The watcher's sleep: each call is one poll of the file."""
    return Counted(gevent.sleep)


@pytest.fixture
def watched(holder, polls):
    watcher = ConfigWatcher(holder, interval=0.005, sleep=polls)
    watcher.start()
    yield holder
    watcher.stop()


def test_an_edit_in_place_is_picked_up(config_file, watched):
    config_file.write_text(GOOD_WITH_BORIS)
    wait_until(lambda: "boris.ivanov" in watched.current().by_login)
    assert reloads(watched, "ok") == 1


def test_an_editor_that_replaces_the_file_is_picked_up(config_file, watched):
    new = config_file.with_suffix(".tmp")
    new.write_text(GOOD_WITH_BORIS)
    os.replace(new, config_file)
    wait_until(lambda: "boris.ivanov" in watched.current().by_login)


def test_a_bad_version_is_tried_once_not_every_poll(config_file, watched, polls):
    config_file.write_text(BAD)
    wait_until(lambda: reloads(watched, "error") == 1)
    polls.wait_for_more(10)
    assert reloads(watched, "error") == 1
    config_file.write_text(GOOD_WITH_BORIS)                     # fixed: the next version loads
    wait_until(lambda: reloads(watched, "ok") == 1)


def test_a_missing_file_is_waited_for(config_file, watched, polls):
    config_file.unlink()
    polls.wait_for_more(5)
    assert reloads(watched, "error") == 0 and logins(watched) == ["anna.smirnova"]
    config_file.write_text(GOOD_WITH_BORIS)
    wait_until(lambda: reloads(watched, "ok") == 1)


def test_a_refused_reload_prints_no_traceback_only_the_problems(config_file, holder, capfd, caplog):
    config_file.write_text("company:\n  name: Example\nemployees: [\n")
    with caplog.at_level(logging.ERROR, logger="daemon.config_reload"):
        assert holder.reload() is False
    err = capfd.readouterr().err
    assert "Traceback" not in err and "failed with ConfigError" not in err
    assert any("the previous config keeps serving" in r.getMessage() for r in caplog.records)


def test_a_rename_that_changes_a_login_is_not_silent(config_file, holder, caplog):
    config_file.write_text(GOOD.replace("Anna Smirnova", "Anna Kuznetsova"))
    with caplog.at_level(logging.WARNING, logger="daemon.config_reload"):
        assert holder.reload() is True
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "Anna Kuznetsova (extension 201): the SIP login changes from anna.smirnova to anna.kuznetsova" in warning
    assert "write `login: anna.smirnova` under Anna Kuznetsova" in warning
    assert f"callrouter employee passwd anna.kuznetsova --send -c {config_file}" in warning


def test_a_new_employee_or_a_kept_login_is_no_news(config_file, holder, caplog):
    config_file.write_text(GOOD.replace("Anna Smirnova\n", "Anna Kuznetsova\n    login: anna.smirnova\n")
                           + "  - name: Boris Ivanov\n    extension: 202\n")
    with caplog.at_level(logging.WARNING, logger="daemon.config_reload"):
        assert holder.reload() is True
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []
