"""«Что будет со звонком на N сейчас» on the admin's page: the plan's timeline in Russian."""
from __future__ import annotations

from daemon.web.explain import timeline
from tests.routing.builders import TUESDAY_10, call, company, department, employee


def rows(snapshot, to: str) -> list[tuple[int, str, str]]:
    explained = timeline(call(snapshot, to), snapshot, TUESDAY_10, destination=to)
    return [(row.second, row.text, row.detail) for row in explained.rows]


def test_a_person_with_a_confirming_mobile_then_a_department():
    snapshot = company(
        [employee("ivan", "201", name="Иван Петров", mobile="+79161234567", devices="all", mobile_delay=5,
                  mobile_confirm=True, no_answer={"after": 20, "department": "Продажи"}),
         employee("petr", "202", name="Пётр Сидоров")],
        [department("Продажи", "300", ["petr"], timeout=30, no_answer={"voicemail": "300"})])
    explained = timeline(call(snapshot, "201"), snapshot, TUESDAY_10, destination="201")
    assert explained.title == "Иван Петров (201) — рабочее время"
    assert explained.when.startswith("вт ") and explained.when.endswith("(Europe/Moscow)")
    assert rows(snapshot, "201") == [
        (0, "звонит Иван Петров: рабочий телефон", "user/ivan@pbx.romashka.local"),
        (5, "+ мобильный (ответ — нажатием 1)", "+79161234567"),
        (20, "не ответили → отдел «Продажи» (300)", ""),
        (20, "звонит Пётр Сидоров: рабочий телефон", "user/petr@pbx.romashka.local"),
        (50, "не ответили → голосовая почта 300", ""),
    ]


def test_an_unknown_number_says_so():
    snapshot = company([employee("ivan", "201")])
    explained = timeline(call(snapshot, "999"), snapshot, TUESDAY_10, destination="999")
    assert explained.title == "999 — неизвестный номер"
