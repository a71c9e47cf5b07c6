"""`callrouter plan` end to end: the YAML loader, routing, and both output forms."""
import json
from pathlib import Path

import pytest

from daemon.cli import main

FIXTURE = str(Path(__file__).parent / "fixtures" / "romashka.yaml")


def plan(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["plan", "-c", FIXTURE, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_timeline_of_a_working_morning(capsys):
    code, out, _ = plan(capsys, "--to", "201", "--at", "2026-12-15T10:00")
    assert code == 0
    assert out.splitlines() == [
        "Иван Петров (201) — working, Tue 2026-12-15 10:00 Europe/Moscow",
        "  0 s   ring Иван Петров: office  user/ivan.petrov@pbx.romashka.local",
        "  5 s   + mobile +79161234567",
        " 20 s   no answer → Анна Смирнова (202)",
        " 20 s   ring Анна Смирнова: office  user/anna.smirnova@pbx.romashka.local",
        "140 s   no answer → voicemail 201",
    ]


def test_a_naive_time_is_on_the_company_clock_and_an_offset_is_respected(capsys):
    _, naive, _ = plan(capsys, "--to", "201", "--at", "2026-12-15T18:30")
    _, utc, _ = plan(capsys, "--to", "201", "--at", "2026-12-15T15:30+00:00")
    assert naive == utc
    assert naive.splitlines()[0] == "Иван Петров (201) — off_hours, Tue 2026-12-15 18:30 Europe/Moscow"
    assert naive.splitlines()[1] == "  0 s   off hours → voicemail 201"


def test_json_for_a_company_number(capsys):
    code, out, _ = plan(capsys, "--to", "8 495 123-45-68", "--from", "+79035550000", "--at", "2026-12-15T10:00",
                        "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["reason"], data["target"]) == ("department", "department:Продажи")
    ring = data["steps"][0]
    assert (ring["action"], ring["timeout"]) == ("ring", 30)
    assert [(leg["device"], leg["login"], leg["delay"], leg["timeout"]) for leg in ring["legs"]] == [
        ("office", "ivan.petrov", 0, 15), ("mobile", "ivan.petrov", 5, 10), ("office", "anna.smirnova", 15, 15)]
    assert ring["dial"] == ("{originate_timeout=31,ignore_early_media=true,origination_caller_id_number=+79035550000}"
                           "[leg_timeout=15]user/ivan.petrov@pbx.romashka.local,"
                           "[leg_timeout=10,leg_delay_start=5]sofia/gateway/trunk/+79161234567,"
                           "[leg_timeout=15,leg_delay_start=15]user/anna.smirnova@pbx.romashka.local")
    assert data["steps"][1] == {"action": "voicemail", "reason": "no_answer", "target": "department:Продажи",
                                "mailbox": "300"}


def test_an_unknown_number(capsys):
    code, out, _ = plan(capsys, "--to", "999", "--json", "--at", "2026-12-15T10:00")
    assert code == 0
    assert json.loads(out)["steps"] == [{"action": "hangup", "reason": "unknown_number", "target": "",
                                         "cause": "UNALLOCATED_NUMBER"}]


def test_a_malformed_time_is_refused(capsys):
    code, out, err = plan(capsys, "--to", "201", "--at", "tomorrow")
    assert code == 2 and out == ""
    assert "--at 'tomorrow' is not an ISO-8601 time" in err


def test_a_broken_file_is_refused_with_its_problems(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("company: {name: X, domain: pbx.local}\nemployees:\n  - {name: Иван Петров, extension: 1}\n",
                      encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "-c", str(broken), "--to", "201"])
    assert exit_.value.code == 1
    assert "broken.yaml:3" in capsys.readouterr().err


@pytest.mark.parametrize("to", ["abc", "", "  ", "20 1x"])
def test_a_destination_that_is_neither_a_number_nor_a_login_is_a_usage_error(capsys, to):
    code, out, err = plan(capsys, "--to", to, "--at", "2026-12-15T10:00")
    assert code == 2 and out == ""
    assert f"--to {to!r} is neither" in err


@pytest.mark.parametrize("to", ["ivan.petrov", "+7 (495) 123-45-68", "*21"])
def test_a_login_a_formatted_number_and_a_feature_code_are_destinations(capsys, to):
    assert plan(capsys, "--to", to, "--at", "2026-12-15T10:00")[0] == 0


def berlin_company(tmp_path) -> str:
    text = Path(FIXTURE).read_text(encoding="utf-8").replace("timezone: Europe/Moscow", "timezone: Europe/Berlin")
    path = tmp_path / "berlin.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_time_the_clocks_skip_says_which_moment_it_used(capsys, tmp_path):
    code = main(["plan", "-c", berlin_company(tmp_path), "--to", "201", "--at", "2027-03-29T02:30"])
    assert code == 0
    capsys.readouterr()
    code = main(["plan", "-c", berlin_company(tmp_path), "--to", "201", "--at", "2027-03-28T02:30"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "2027-03-28 02:30 does not exist in Europe/Berlin" in err
    assert "planned for 03:30 CEST (+02:00)" in err
    assert "Sun 2027-03-28 03:30 Europe/Berlin" in out.splitlines()[0]


def test_a_time_the_clocks_repeat_says_which_of_the_two_it_used(capsys, tmp_path):
    code = main(["plan", "-c", berlin_company(tmp_path), "--to", "201", "--at", "2027-10-31T02:30"])
    _, err = capsys.readouterr()
    assert code == 0
    assert "2027-10-31 02:30 happens twice in Europe/Berlin" in err
    assert "planned for the first, 02:30 CEST (+02:00)" in err and "2027-10-31T02:30+01:00" in err


@pytest.mark.parametrize("at", ["0001-01-01", "9999-12-31T23:59"])
def test_a_moment_python_cannot_compute_with_is_a_usage_error(capsys, at):
    code, out, err = plan(capsys, "--to", "201", "--at", at)
    assert code == 2 and out == "" and f"{at!r} is out of range" in err
