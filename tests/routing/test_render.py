"""Plans as JSON-ready data and as the timeline `callrouter plan` prints."""
import json

from routing import plan_to_dict, plan_to_text
from tests.routing.builders import TUESDAY_10, call, company, department, employee

SNAPSHOT = company(
    [employee("ivan.petrov", "201", "Иван Петров", mobile="+79161234567", devices="all", mobile_delay=5,
              mobile_confirm=True, no_answer={"after": 20, "employee": "anna.smirnova"},
              absences=[{"from": "2026-12-20", "announce": "vacation.wav"}]),
     employee("anna.smirnova", "202", "Анна Смирнова", no_answer={"after": 120, "voicemail": "201"})],
    [department("Продажи", "500", ["ivan.petrov", "anna.smirnova"], strategy="cascade", member_timeout=10,
                timeout=30, no_answer={"message": "closed.wav"})])


def test_the_timeline_of_a_forward_chain():
    plan = call(SNAPSHOT, "201")
    assert plan_to_text(plan, SNAPSHOT, TUESDAY_10, "201") == "\n".join([
        "Иван Петров (201) — working, Tue 2026-12-15 10:00 Europe/Moscow",
        "  0 s   ring Иван Петров: office  user/ivan.petrov@pbx.romashka.local",
        "  5 s   + mobile +79161234567 (press 1 to take)",
        " 20 s   no answer → Анна Смирнова (202)",
        " 20 s   ring Анна Смирнова: office  user/anna.smirnova@pbx.romashka.local",
        "140 s   no answer → voicemail 201",
    ])


def test_the_timeline_of_a_department():
    plan = call(SNAPSHOT, "500")
    assert plan_to_text(plan, SNAPSHOT, TUESDAY_10) == "\n".join([
        "Продажи (500) — department, cascade, Tue 2026-12-15 10:00 Europe/Moscow",
        "  0 s   ring Иван Петров: office  user/ivan.petrov@pbx.romashka.local",
        "  5 s   + mobile +79161234567 (press 1 to take)",
        " 10 s   ring Анна Смирнова: office  user/anna.smirnova@pbx.romashka.local",
        " 30 s   no answer → message closed.wav",
    ])


def test_the_timeline_of_an_absence_and_of_an_unknown_number():
    later = TUESDAY_10.replace(day=21)
    text = plan_to_text(call(SNAPSHOT, "201", now=later), SNAPSHOT, later)
    assert text.splitlines()[:2] == ["Иван Петров (201) — absent, Mon 2026-12-21 10:00 Europe/Moscow",
                                     "  0 s   absent → announce vacation.wav"]
    assert plan_to_text(call(SNAPSHOT, "999"), SNAPSHOT, TUESDAY_10, "999").splitlines() == [
        "999 — unknown number, Tue 2026-12-15 10:00 Europe/Moscow",
        "  0 s   unknown number → hangup UNALLOCATED_NUMBER"]


def test_plan_as_data():
    data = plan_to_dict(call(SNAPSHOT, "201"))
    assert json.loads(json.dumps(data)) == data
    assert (data["reason"], data["target"], data["kind"], data["internal"]) == \
        ("working", "employee:ivan.petrov", "employee", False)
    ring = data["steps"][0]
    assert ring["action"] == "ring" and ring["reason"] == "direct" and ring["target"] == "employee:ivan.petrov"
    assert ring["timeout"] == 20 and ring["dial"].startswith("{originate_timeout=33,")    # + 12 s to press 1
    assert [(leg["device"], leg["login"], leg["delay"], leg["timeout"], leg["confirm"]) for leg in ring["legs"]] == \
        [("office", "ivan.petrov", 0, 20, False), ("mobile", "ivan.petrov", 5, 15, True)]
    assert ring["legs"][0]["dial"] == "[leg_timeout=20]user/ivan.petrov@pbx.romashka.local"
    assert data["steps"][-1] == {"action": "voicemail", "reason": "no_answer", "target": "employee:anna.smirnova",
                                 "mailbox": "201"}


def test_every_action_has_its_detail():
    later = TUESDAY_10.replace(day=21)
    steps = plan_to_dict(call(SNAPSHOT, "201", now=later))["steps"]
    assert steps[0] == {"action": "announce", "reason": "absent", "target": "employee:ivan.petrov", "file": "vacation.wav"}
    assert plan_to_dict(call(SNAPSHOT, "999"))["steps"] == [
        {"action": "hangup", "reason": "unknown_number", "target": "", "cause": "UNALLOCATED_NUMBER"}]
