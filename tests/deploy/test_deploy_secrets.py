"""`deploy freeswitch` never writes FreeSWITCH's default event socket password, and the
directory it points FreeSWITCH at always asks for credentials: both are generated once,
saved in the daemon's config file, and written into FreeSWITCH's files from there."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from config.loader import load
from daemon.app import App
from daemon.cli import main
from tests.daemon_runtime.scripted_esl import ScriptedSwitch
from tests.deploy.company import AWKWARD_YAML, EXAMPLE
from tests.waiting import wait_until

ESL = "autoload_configs/event_socket.conf.xml"
CURL = "autoload_configs/xml_curl.conf.xml"


def params(path: Path) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in ET.parse(path).getroot().iter("param")}


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "etc" / "callrouter.yaml"
    path.parent.mkdir()
    shutil.copy(EXAMPLE, path)
    return path


def deploy(config: Path, out: Path) -> int:
    return main(["deploy", "freeswitch", "-c", str(config), "--out", str(out)])


def test_a_fresh_config_gets_a_random_esl_password_and_directory_credentials_on_both_sides(config, tmp_path, capsys):
    assert deploy(config, tmp_path / "fs") == 0
    out, err = capsys.readouterr()

    saved = load(config).file
    esl = params(tmp_path / "fs" / ESL)["password"]
    assert esl != "ClueCon" and len(esl) >= 24
    assert saved.freeswitch.password == esl
    assert saved.daemon.directory_auth is not None
    assert params(tmp_path / "fs" / CURL)["gateway-credentials"] == ":".join(saved.daemon.directory_auth)
    assert params(tmp_path / "fs" / CURL)["auth-scheme"] == "basic"
    assert str(config) in err and "freeswitch.password" in err and "daemon.directory_password" in err
    for secret in (esl, saved.daemon.directory_password):
        assert secret not in out + err


def test_another_company_gets_other_passwords(config, tmp_path):
    other = tmp_path / "other.yaml"
    shutil.copy(EXAMPLE, other)
    deploy(config, tmp_path / "a")
    deploy(other, tmp_path / "b")
    assert params(tmp_path / "a" / ESL)["password"] != params(tmp_path / "b" / ESL)["password"]


def test_running_it_again_keeps_the_passwords_and_the_bytes(config, tmp_path):
    deploy(config, tmp_path / "a")
    saved = config.read_bytes()
    deploy(config, tmp_path / "b")
    assert config.read_bytes() == saved
    for name in (ESL, CURL):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_the_admins_file_keeps_its_comments_and_mode(config, tmp_path):
    config.chmod(0o640)
    before = config.read_text(encoding="utf-8")
    deploy(config, tmp_path / "fs")
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before.split("\nemployees:")[0])          # the company section untouched
    assert "# Four more (`daemon`, `freeswitch`, `store`, `features`)" in after
    assert config.stat().st_mode & 0o777 == 0o640


def test_configured_passwords_are_used_and_the_file_left_alone(tmp_path):
    config = tmp_path / "awkward.yaml"
    config.write_text(AWKWARD_YAML, encoding="utf-8")
    deploy(config, tmp_path / "fs")
    assert config.read_text(encoding="utf-8") == AWKWARD_YAML
    assert params(tmp_path / "fs" / ESL)["password"] == 'p"w&<d>'
    assert params(tmp_path / "fs" / CURL)["gateway-credentials"] == 'fs:s3cr&t:"x"'


def test_the_stock_password_written_out_is_replaced(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(AWKWARD_YAML.replace("""  password: 'p"w&<d>'""", "  password: ClueCon"), encoding="utf-8")
    deploy(config, tmp_path / "fs")
    assert params(tmp_path / "fs" / ESL)["password"] not in ("ClueCon", 'p"w&<d>')
    assert load(config).file.freeswitch.password == params(tmp_path / "fs" / ESL)["password"]


def test_the_daemon_logs_in_with_the_generated_password(config, tmp_path):
    deploy(config, tmp_path / "fs")
    password = params(tmp_path / "fs" / ESL)["password"]
    with ScriptedSwitch(password=password) as switch:
        # the FreeSWITCH the generated files describe, on a port of the test's own
        data = config.read_text(encoding="utf-8")
        data = data.replace("\nfreeswitch:\n", f"\nfreeswitch:\n  port: {switch.port}\n", 1)
        data = data.replace("\ndaemon:\n", "\ndaemon:\n  listen: 127.0.0.1:0\n  http: 127.0.0.1:0\n  drain_timeout: 1\n", 1)
        config.write_text(data, encoding="utf-8")
        app = App(str(config), registry=CollectorRegistry(), watch_interval=3600)
        app.start()
        try:
            wait_until(lambda: app.inbound.connected)
        finally:
            app.stop()


def test_xml_curl_asks_the_directorys_own_listener(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(AWKWARD_YAML.replace("  http: 127.0.0.1:9464\n",
                                           "  http: 0.0.0.0:9464\n  directory_listen: 127.0.0.1:9465\n"))
    deploy(config, tmp_path / "fs")
    assert params(tmp_path / "fs" / CURL)["gateway-url"] == "http://127.0.0.1:9465/directory"
