"""Logins derived from names, and what happens when two employees would share one."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from config.loader import ConfigError, load_text
from config.logins import derive_login
from tests.config.sample import company_file, employee

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@pytest.mark.parametrize("name, login", [
    ("Иван Петров", "ivan.petrov"),
    ("Щукина Юлия", "shchukina.yuliya"),
    ("Фёдор Ёлкин", "fyodor.yolkin"),
    ("Андрей Йодин", "andrey.yodin"),
    ("Дарья Ильинична Соловьёва", "darya.ilyinichna.solovyova"),
    ("Игорь Объедков", "igor.obyedkov"),
    ("Юрий Зуев", "yury.zuyev"),
    ("Михаил Салтыков-Щедрин", "mikhail.saltykov-shchedrin"),
    ("  Анна   Смирнова ", "anna.smirnova"),
    ("ИВАН ПЕТРОВ", "ivan.petrov"),
    ("John Smith", "john.smith"),
    ("Seán O'Brien", "sean.obrien"),
    ("José Álvarez 2", "jose.alvarez.2"),
])
def test_derive_login(name, login):
    assert derive_login(name) == login


@pytest.mark.parametrize("name", ["张伟", "—", "'"])
def test_no_login_from_a_name_without_letters_it_can_spell(name):
    with pytest.raises(ValueError, match="give this employee an explicit login:"):
        derive_login(name)


@given(st.text(max_size=200))
def test_a_derived_login_is_always_a_valid_sip_user_name(name):
    try:
        login = derive_login(name)
    except ValueError:
        return
    assert LOGIN.fullmatch(login)


def test_derived_logins_are_filled_in():
    snapshot = load_text(company_file(employees=employee("login: p.sidorov")), "test.yaml")
    assert sorted(snapshot.by_login) == ["anna.smirnova", "ivan.petrov", "p.sidorov"]
    assert snapshot.by_login["ivan.petrov"].extension == "201"


def test_employee_whose_name_gives_no_login():
    with pytest.raises(ConfigError) as raised:
        load_text(company_file(employees="  - name: 张伟\n    extension: 203\n"), "test.yaml")
    assert [str(p) for p in raised.value.problems] == [
        "test.yaml:19: employees[2].name: cannot make a login from the name '张伟': "
        "give this employee an explicit login:"]


def test_an_explicit_login_resolves_the_clash():
    text = company_file(employees="  - name: Иван Петров\n    login: ivan.petrov2\n    extension: 203\n")
    assert load_text(text, "test.yaml").by_login["ivan.petrov2"].extension == "203"
