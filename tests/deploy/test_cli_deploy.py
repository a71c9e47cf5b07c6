"""`callrouter deploy freeswitch` as an admin runs it."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from daemon.cli import main
from tests.deploy.company import AWKWARD_YAML, EXAMPLE

EXPECTED = ["README.md", "autoload_configs/event_socket.conf.xml", "autoload_configs/xml_curl.conf.xml",
            "dialplan/callrouter.xml", "dialplan/public/50_callrouter_numbers.xml", "sip_profiles/external/trunk.xml"]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writes_the_freeswitch_files_and_lists_them(tmp_path, capsys):
    assert main(["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path / "fs")]) == 0
    assert sorted(tree(tmp_path / "fs")) == EXPECTED
    assert capsys.readouterr().out.split() == [str(tmp_path / "fs" / name) for name in EXPECTED]


def test_regenerating_gives_byte_identical_files(tmp_path):
    for out in ("a", "b", "a"):
        assert main(["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path / out)]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


SECRETS = ("autoload_configs/event_socket.conf.xml", "autoload_configs/xml_curl.conf.xml")


def test_files_with_passwords_are_not_world_readable(tmp_path):
    main(["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path)])
    for name in SECRETS:
        assert not (tmp_path / name).stat().st_mode & stat.S_IROTH, name


def test_regenerating_over_readable_files_closes_them(tmp_path):
    for name in SECRETS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("old")
        (tmp_path / name).chmod(0o644)
    main(["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path)])
    for name in SECRETS:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name


def test_several_daemons_in_order(tmp_path):
    args = ["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path),
            "--daemon", "127.0.0.1:8084", "--daemon", "127.0.0.1:8085"]
    assert main(args) == 0
    dialplan = (tmp_path / "dialplan/callrouter.xml").read_text()
    assert dialplan.index('data="127.0.0.1:8084 full"') < dialplan.index('data="127.0.0.1:8085 full"')


def test_a_config_that_does_not_load_exits_1_with_its_problems(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text(AWKWARD_YAML.replace("extension: 202", "extension: 201"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["deploy", "freeswitch", "-c", str(broken), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 1
    assert "broken.yaml" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_ungeneratable_config_exits_1_and_writes_nothing(tmp_path, capsys):
    clash = tmp_path / "clash.yaml"
    clash.write_text(AWKWARD_YAML.replace("extensions: 200-899", "extensions: 200-99999999")
                     .replace("extension: 899", "extension: 30901820"), encoding="utf-8")
    assert main(["deploy", "freeswitch", "-c", str(clash), "--out", str(tmp_path / "out")]) == 1
    assert "30901820" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_malformed_daemon_address_exits_1(tmp_path, capsys):
    assert main(["deploy", "freeswitch", "-c", str(EXAMPLE), "--out", str(tmp_path / "out"),
                 "--daemon", "localhost"]) == 1
    assert "HOST:PORT" in capsys.readouterr().err
