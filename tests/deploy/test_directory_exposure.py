"""Who may read the SIP directory (it serves every employee's A1 hash, as good as the
password for SIP digest): what the daemon counts and logs, where it listens, what
`check` refuses."""
from __future__ import annotations

import base64
import io
import logging

import pytest
from prometheus_client import CollectorRegistry

from config.loader import ConfigError, load_text
from daemon.directory import DIRECTORY_PATH, make_directory_handler
from daemon.metrics import Metrics
from tests.deploy.company import AWKWARD_YAML, example
from tests.deploy.test_directory import DOMAIN, PASSWORDS, Credentials, sip_auth

AUTH = ("freeswitch", "Zx9!long:secret")
REQUESTS = "callrouter_directory_requests_total"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def environ(body: bytes, peer: str = "127.0.0.1", authorization: str = "") -> dict:
    """What gevent's WSGI server hands the handler for one mod_xml_curl POST from `peer`."""
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": DIRECTORY_PATH, "CONTENT_LENGTH": str(len(body)),
           "wsgi.input": io.BytesIO(body), "REMOTE_ADDR": peer}
    if authorization:
        env["HTTP_AUTHORIZATION"] = authorization
    return env


@pytest.fixture
def registry():
    return CollectorRegistry()


def count(registry, result: str) -> float:
    return registry.get_sample_value(REQUESTS, {"result": result}) or 0.0


def handler(registry, basic_auth=None, snapshot=None):
    company = snapshot or example()
    return make_directory_handler(lambda: company, Credentials(DOMAIN, PASSWORDS), basic_auth, metrics=Metrics(registry))


def test_an_unknown_user_is_counted_and_logged_with_who_asked(registry, caplog):
    handle = handler(registry)
    with caplog.at_level(logging.INFO, logger="daemon.directory"):
        status, _, _ = handle(environ(sip_auth(DOMAIN, "admin")))
    assert status == 200
    assert count(registry, "unknown_user") == 1
    [line] = [r.getMessage() for r in caplog.records if "admin" in r.getMessage()]
    assert "127.0.0.1" in line and "192.0.2.10" in line        # FreeSWITCH, and the phone it asks for


def test_a_failed_credential_check_is_counted_and_logged_with_the_address(registry, caplog):
    handle = handler(registry, AUTH)
    with caplog.at_level(logging.WARNING, logger="daemon.directory"):
        status, _, body = handle(environ(sip_auth(DOMAIN, "ivan.petrov"), "10.9.8.7", basic("freeswitch", "guess")))
    assert status == 401 and b"a1-hash" not in body
    assert count(registry, "unauthorized") == 1
    assert any("10.9.8.7" in r.getMessage() for r in caplog.records)
    assert not any("guess" in r.getMessage() for r in caplog.records)


def test_a_served_hash_is_counted(registry):
    handle = handler(registry, AUTH)
    status, _, body = handle(environ(sip_auth(DOMAIN, "ivan.petrov"), authorization=basic(*AUTH)))
    assert status == 200 and b"a1-hash" in body
    assert count(registry, "served") == 1


def test_without_credentials_only_this_host_is_answered(registry, caplog):
    """No credentials configured (a fresh install): the directory is loopback's only,
    whatever address the listener was bound to (`callrouter run --http 0.0.0.0:9464`)."""
    handle = handler(registry)
    with caplog.at_level(logging.WARNING, logger="daemon.directory"):
        status, _, body = handle(environ(sip_auth(DOMAIN, "ivan.petrov"), "192.0.2.50"))
    assert status == 403 and b"a1-hash" not in body
    assert count(registry, "unauthorized") == 1
    assert any("192.0.2.50" in r.getMessage() for r in caplog.records)
    assert handle(environ(sip_auth(DOMAIN, "ivan.petrov"), "::1"))[0] == 200


def test_the_credentials_follow_the_loaded_config(registry):
    """Credentials come from the snapshot of each request: a reload that adds them applies at once."""
    secured = load_text(AWKWARD_YAML, "awkward.yaml")
    handle = make_directory_handler(lambda: secured, Credentials("pbx.roga.test", {}), metrics=Metrics(registry))
    assert handle(environ(sip_auth("pbx.roga.test", "anna")))[0] == 401
    assert handle(environ(sip_auth("pbx.roga.test", "anna"), authorization=basic("fs", 's3cr&t:"x"')))[0] == 200


# --------------------------------------------------------------------------- check

NO_AUTH = AWKWARD_YAML.replace("  directory_user: fs\n", "").replace("  directory_password: 's3cr&t:\"x\"'\n", "")


@pytest.mark.parametrize("daemon", [
    "  http: 0.0.0.0:9464\n",
    "  http: 10.0.0.5:9464\n",
    "  http: 127.0.0.1:9464\n  directory_listen: 0.0.0.0:9465\n",
    "  http: pbx.example.net:9464\n",
])
def test_check_refuses_a_directory_reachable_from_other_hosts_without_credentials(daemon):
    text = NO_AUTH.replace("  http: 127.0.0.1:9464\n", daemon)
    with pytest.raises(ConfigError) as raised:
        load_text(text, "c.yaml")
    message = str(raised.value)
    assert "c.yaml:" in message and "directory_user" in message and "deploy freeswitch" in message


@pytest.mark.parametrize("daemon", [
    "  http: 127.0.0.1:9464\n",
    "  http: localhost:9464\n",
    "  http: 0.0.0.0:9464\n  directory_listen: 127.0.0.1:9465\n",     # metrics open, directory on loopback
])
def test_a_loopback_directory_may_go_without_credentials(daemon):
    snapshot = load_text(NO_AUTH.replace("  http: 127.0.0.1:9464\n", daemon), "c.yaml")
    assert snapshot.file.daemon.directory_auth is None


def test_an_exposed_directory_with_credentials_loads():
    snapshot = load_text(AWKWARD_YAML.replace("  http: 127.0.0.1:9464\n", "  http: 10.0.0.5:9464\n"), "c.yaml")
    assert snapshot.file.daemon.directory_address == "10.0.0.5:9464"
