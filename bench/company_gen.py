"""A large company written as the YAML file an admin keeps, for benchmarks of the config loader.

`company_yaml()` returns the text of a seeded, valid file laid out like
config/example.yaml: Cyrillic names whose logins are derived (a few explicit ones),
e-mails, mobiles written the several ways people write them, positions and roles,
office hours with lunch breaks, night shifts and no schedule, other time zones,
current, past and open-ended absences, every kind of no-answer and off-hours target,
departments of all five strategies with their members listed, and company numbers
pointing at employees and departments.
"""
from __future__ import annotations

import random
from typing import Callable, Iterator

from config.logins import derive_login

FIRST_EXTENSION = 10_000                   # employees: 10000, 10001 …
FIRST_DEPARTMENT = 40_000                  # departments: 40000, 40001 …
DOMAIN = "romashka.ru"

MALE_NAMES = ("Иван", "Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Николай", "Павел", "Фёдор",
              "Игорь", "Олег", "Юрий", "Роман", "Виктор", "Максим", "Артём", "Илья", "Кирилл", "Егор",
              "Никита", "Денис", "Евгений", "Владимир", "Константин", "Григорий", "Тимур", "Глеб",
              "Станислав", "Вадим", "Леонид", "Борис", "Антон", "Степан", "Пётр", "Ярослав", "Матвей",
              "Всеволод", "Руслан", "Эдуард", "Георгий", "Валерий", "Аркадий", "Семён", "Филипп", "Василий")
FEMALE_NAMES = ("Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Юлия", "Дарья", "Светлана",
                "Ирина", "Екатерина", "Ксения", "Полина", "Алина", "Вера", "Галина", "Людмила", "Марина",
                "Надежда", "Софья", "Валерия", "Виктория", "Алёна", "Кристина", "Евгения", "Любовь",
                "Лариса", "Жанна", "Зоя", "Нина", "Тамара", "Яна", "Ульяна", "Варвара", "Элина", "Вероника",
                "Маргарита", "Раиса", "Инна", "Диана", "Арина", "Лидия", "Оксана", "Регина", "Василиса")
SURNAMES = ("Петров", "Смирнов", "Кузнецов", "Иванов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков",
            "Морозов", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов",
            "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов",
            "Киселёв", "Макаров", "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев",
            "Баранов", "Куликов", "Алексеев", "Степанов", "Яковлев", "Сорокин", "Сергеев", "Романов",
            "Захаров", "Борисов", "Королёв", "Герасимов", "Пономарёв", "Григорьев", "Лазарев", "Медведев",
            "Ершов", "Никитин", "Соболев", "Рябов", "Поляков", "Цветков", "Данилов", "Жуков", "Фролов",
            "Журавлёв", "Николаев", "Крылов", "Максимов", "Сидоров", "Осипов", "Белоусов", "Федотов",
            "Дорофеев", "Егоров", "Матвеев", "Бобров", "Дмитриев", "Калинин", "Анисимов", "Петухов",
            "Антонов", "Тимофеев", "Никифоров", "Веселов", "Филиппов", "Марков", "Большаков", "Суханов",
            "Миронов", "Ширяев", "Александров", "Коновалов", "Шестаков", "Казаков", "Ефимов", "Денисов",
            "Громов", "Фомин", "Давыдов", "Мельников", "Щербаков", "Блинов", "Колесников", "Карпов",
            "Афанасьев", "Власов", "Маслов", "Исаков", "Тихонов", "Аксёнов", "Гаврилов", "Родионов",
            "Котов", "Горбунов", "Кудряшов", "Быков", "Зуев", "Третьяков", "Савельев", "Панов", "Рыбаков",
            "Суворов", "Абрамов", "Воронов", "Мухин", "Архипов", "Трофимов", "Мартынов", "Емельянов")
POSITIONS = ("Менеджер по продажам", "Инженер поддержки", "Бухгалтер", "Специалист по логистике",
             "Оператор колл-центра", "Юрист", "Аналитик", "Кладовщик", "Менеджер по закупкам",
             "Специалист отдела кадров", "Системный администратор", "Водитель-экспедитор")
DEPARTMENT_KINDS = ("Продажи", "Поддержка", "Бухгалтерия", "Логистика", "Склад", "Закупки", "Кадры",
                    "Юристы", "Сервис", "Колл-центр")
STRATEGIES = ("simultaneous", "sequential", "cascade", "round_robin", "longest_idle")
ZONES = ("Asia/Yekaterinburg", "Asia/Novosibirsk", "Europe/Kaliningrad", "Asia/Vladivostok")
SCHEDULES = (       # (share, lines under `schedule:`); None: always working
    (0.40, ('mon-fri: ["09:00-18:00"]',)),
    (0.20, ('mon-fri: ["09:00-13:00", "14:00-18:00"]',)),
    (0.10, ('mon-thu: ["09:00-13:00", "13:45-18:00"]', 'fri: ["09:00-13:00", "13:45-16:45"]')),
    (0.05, ('sun-thu: ["22:00-06:00"]',)),
    (0.05, ('sat-sun: ["12:00-24:00"]',)),
    (0.20, None),
)
HOLIDAYS = ("2026-12-31", "2027-01-01", "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08",
            "2027-02-23", "2027-03-08", "2027-05-03", "2027-05-10", "2027-06-14", "2027-11-04")


def company_yaml(employees: int = 10_000, departments: int = 500, numbers: int = 1_000, seed: int = 1) -> str:
    """The whole file; every employee is in a department (`employees / departments` each)."""
    rng = random.Random(seed)
    staff = _staff(employees, rng)
    per_department = max(1, -(-employees // departments))
    lines = [f"# {employees} employees, {departments} departments, {numbers} company numbers (seed {seed})"]
    lines += _company(numbers, departments, staff, rng)
    lines.append("departments:")
    for d in range(departments):
        lines += _department(d, staff[d * per_department:(d + 1) * per_department], departments, rng)
    lines.append("employees:")
    for person in staff:
        lines += _employee(person, staff, departments, per_department, rng)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- people

class _Person:
    __slots__ = ("index", "name", "login", "explicit", "mobile")

    def __init__(self, index: int, name: str, login: str, explicit: bool, mobile: str | None):
        self.index, self.name, self.login, self.explicit, self.mobile = index, name, login, explicit, mobile


def _staff(count: int, rng: random.Random) -> list[_Person]:
    """Unique names; an explicit login where the derived one would clash, and for some at will."""
    names = _names(rng)
    taken: set[str] = set()
    staff = []
    for i in range(count):
        name = next(names)
        login = derive_login(name)
        explicit = login in taken or rng.random() < 0.05
        if explicit:
            login = f"{login.split('.')[-1]}.{FIRST_EXTENSION + i}"
        taken.add(login)
        mobile = _mobile(rng) if rng.random() < 0.75 else None
        staff.append(_Person(i, name, login, explicit, mobile))
    return staff


def _names(rng: random.Random) -> Iterator[str]:
    pairs = [(first, surname + ("а" if female else "")) for surname in SURNAMES
             for female, firsts in ((False, MALE_NAMES), (True, FEMALE_NAMES)) for first in firsts]
    rng.shuffle(pairs)
    rounds = 0
    while True:                          # past every pair: «Иван Петров 2», as people tell namesakes apart
        for first, surname in pairs:
            yield f"{first} {surname}" + (f" {rounds + 1}" if rounds else "")
        rounds += 1


def _mobile(rng: random.Random) -> str:
    code = rng.choice(("916", "925", "903", "912", "926", "985", "905", "977"))
    digits = f"{rng.randrange(10 ** 7):07d}"
    a, b, c = digits[:3], digits[3:5], digits[5:]
    form = rng.random()
    if form < 0.5:
        return f'"+7 {code} {a}-{b}-{c}"'
    if form < 0.75:
        return f'"+7{code}{digits}"'
    if form < 0.9:
        return f'"8 ({code}) {a}-{b}-{c}"'
    return f'"+7 ({code}) {a} {b} {c}"'


def _weighted(rng: random.Random, choices):
    x = rng.random()
    for share, value in choices:
        x -= share
        if x < 0:
            return value
    return choices[-1][1]


# --------------------------------------------------------------------------- sections

def _department_name(d: int) -> str:
    return f"{DEPARTMENT_KINDS[d % len(DEPARTMENT_KINDS)]} {d // len(DEPARTMENT_KINDS) + 1}"


def _did(n: int, written: float) -> str:
    digits = f"{2_000_000 + n:07d}"
    if written < 0.6:
        return f'"+7 495 {digits[:3]}-{digits[3:5]}-{digits[5:]}"'
    if written < 0.9:
        return f'"+7495{digits}"'
    return f'"8 (495) {digits[:3]}-{digits[3:5]}-{digits[5:]}"'


def _company(numbers: int, departments: int, staff: list[_Person], rng: random.Random) -> list[str]:
    lines = ["company:",
             "  name: ООО «Ромашка»",
             "  domain: pbx.romashka.local",
             "  timezone: Europe/Moscow",
             f"  extensions: {FIRST_EXTENSION}-{FIRST_DEPARTMENT + departments + 999}",
             "  gateway: trunk",
             '  caller_id: "+74951234567"',
             "  mobile_caller_id: caller",
             "  softphone_url: https://romashka.ru/softphone",
             "  smtp: {host: smtp.romashka.ru, port: 587, from: pbx@romashka.ru, starttls: true}",
             "  holidays:"]
    lines += [f"    - {day}" for day in HOLIDAYS]
    lines += ["  workdays: [2026-12-26]", "  numbers:"]
    for n in range(numbers):
        target = (f"{{department: {_department_name(n % departments)}}}" if n % 3 else
                  f"{{employee: {rng.choice(staff).login}}}")
        lines.append(f"    {_did(n, rng.random())}: {target}")
    return lines


def _department(d: int, members: list[_Person], departments: int, rng: random.Random) -> list[str]:
    lines = [f"  - name: {_department_name(d)}",
             f"    extension: {FIRST_DEPARTMENT + d}",
             f"    strategy: {STRATEGIES[d % len(STRATEGIES)]}",
             f"    member_timeout: {rng.choice((10, 15, 20))}",
             f"    timeout: {rng.choice((45, 60, 90))}"]
    if rng.random() < 0.2:
        lines.append("    skip_busy: false")
    lines.append(f"    members: [{', '.join(m.login for m in members)}]")
    other = (d + 1) % departments
    lines.append("    no_answer: " + _weighted(rng, (
        (0.5, "{voicemail: true}"),
        (0.2, "{message: sounds/romashka/busy.wav}"),
        (0.2, f"{{department: {_department_name(other)}}}" if other != d else "{voicemail: true}"),
        (0.1, f"{{employee: {members[0].login}}}" if members else "{hangup: true}"))))
    return lines


def _employee(person: _Person, staff: list[_Person], departments: int, per_department: int,
              rng: random.Random) -> list[str]:
    d = min(person.index // per_department, departments - 1)
    lines = [f"  - name: {person.name}"]
    if person.explicit:
        lines.append(f"    login: {person.login}")
    lines += [f"    extension: {FIRST_EXTENSION + person.index}",
              f"    position: {rng.choice(POSITIONS)}"]
    if person.index % per_department == 0:
        lines.append("    role: department_head")
    elif rng.random() < 0.05:
        lines += ["    role: restricted_user", "    can_download_history: false", "    can_listen_recordings: false"]
    if rng.random() < 0.85:
        lines.append(f"    email: {person.login}@{DOMAIN}")
    if person.mobile is not None:
        lines.append(f"    mobile: {person.mobile}")
    lines.append(f"    department: {_department_name(d)}")
    lines += _reception(person, staff, d, rng)
    return lines


def _reception(person: _Person, staff: list[_Person], d: int, rng: random.Random) -> list[str]:
    colleague = staff[(person.index + 1) % len(staff)]
    if colleague is person:
        colleague = None
    lines = ["    reception:"]
    if person.mobile is not None:
        devices = _weighted(rng, ((0.5, "office"), (0.15, "mobile"), (0.35, "all")))
        lines.append(f"      devices: {devices}")
        if devices == "all":
            lines.append(f"      mobile_delay: {rng.choice((0, 5, 10, 15))}")
        if rng.random() < 0.2:
            lines.append("      mobile_confirm: true")
    if rng.random() < 0.1:
        lines.append(f"      timezone: {rng.choice(ZONES)}")
    lines.append(f"      no_answer: {_target(rng, colleague, d, after=rng.choice((20, 30, 45, 60)))}")
    schedule = _weighted(rng, SCHEDULES)
    if schedule is not None:
        lines.append("      schedule:")
        lines += [f"        {line}" for line in schedule]
        lines.append(f"      off_hours: {_target(rng, colleague, d)}")
    lines += _absences(rng, colleague)
    return lines if len(lines) > 1 else []


def _target(rng: random.Random, colleague: _Person | None, d: int, after: int | None = None) -> str:
    prefix = f"after: {after}, " if after is not None else ""
    choices: list[tuple[float, Callable[[], str]]] = [
        (0.35, lambda: "voicemail: true"),
        (0.1, lambda: f'voicemail: "{FIRST_DEPARTMENT + d}"'),
        (0.2, lambda: f"employee: {colleague.login}" if colleague else "hangup: true"),
        (0.2, lambda: f"department: {_department_name(d)}"),
        (0.1, lambda: "message: sounds/romashka/office-closed.wav"),
        (0.05, lambda: "hangup: true"),
    ]
    return "{" + prefix + _weighted(rng, choices)() + "}"


def _absences(rng: random.Random, colleague: _Person | None) -> list[str]:
    x = rng.random()
    forward = f", forward: {{employee: {colleague.login}}}" if colleague else ""
    if x < 0.04:                         # on vacation now, with an announcement
        return ["      absences:",
                f"        - {{from: 2026-12-07, to: 2026-12-25, reason: vacation{forward}, "
                "announce: sounds/romashka/vacation.wav}"]
    if x < 0.06:                         # sick leave, no end yet
        return ["      absences:", "        - {from: 2026-12-10, reason: sick_leave}"]
    if x < 0.12:                         # one behind, one ahead
        return ["      absences:",
                "        - {from: 2026-07-01, to: 2026-07-14, reason: vacation}",
                f"        - {{from: 2027-01-10, to: 2027-01-20, reason: other{forward}}}"]
    return []
