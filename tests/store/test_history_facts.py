"""What a record gives history and statistics: number keys, the outcome people read, parties."""
import pytest

from store.history_facts import number_key, parties, result_of, search_key
from tests.history_company import call


@pytest.mark.parametrize("spelling", ["+74951234567", "74951234567", "84951234567", "8 (495) 123-45-67",
                                      "+7 (495) 123 45 67", "4951234567"])
def test_every_spelling_of_a_number_has_the_same_key(spelling):
    assert number_key(spelling) == "76543215947"


def test_a_search_for_the_end_of_a_number_is_a_prefix_of_its_key():
    assert number_key("+74951234567").startswith(search_key("123-45-67"))
    assert search_key("201") == "102" and number_key("201") == "102"       # extensions as dialled
    assert search_key("Иван") is None


def test_the_outcome_people_read():
    assert result_of(call("a", 0, steps=[("employee:olga", ("olga",), "olga")])) == "answered"
    busy = call("b", 0, steps=[("employee:olga", ("olga",), "")])
    busy.steps[-1].disposition = "USER_BUSY"
    assert result_of(busy) == "busy"
    assert result_of(call("c", 0, steps=[("employee:olga", ("olga",), "")])) == "missed"
    assert result_of(call("d", 0, steps=[], outcome="abandoned")) == "abandoned"
    assert result_of(call("e", 0, steps=[], outcome="message")) == "missed"


def test_a_department_misses_a_call_it_passed_on_even_when_the_next_one_answers():
    record = call("x", 0, caller="203", direction="internal",
                  steps=[("department:Поддержка", ("olga", "maria"), ""), ("department:Продажи", ("ivan",), "ivan")])
    got = {key: (p.rung_only, p.answered, p.missed) for key, p in parties(record, caller_login="petr").items()}
    assert got == {
        "d:Поддержка": (False, False, True), "d:Продажи": (False, True, False),
        "e:olga": (True, False, True), "e:maria": (True, False, True),
        "e:ivan": (False, True, False),                     # answered: a call of his departments
        "e:petr": (False, False, False),                    # placed it: received nothing
    }


def test_a_colleague_taking_the_call_is_no_miss_for_me():
    record = call("y", 0, steps=[("department:Поддержка", ("olga", "maria"), "olga")])
    assert parties(record)["e:maria"].missed is False
