"""The directory and the metrics on separate listeners, so that opening /metrics to a
Prometheus on another host does not open the SIP directory too."""
from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from daemon.app import App
from tests.daemon_runtime.scripted_esl import ScriptedSwitch
from tests.httpclient import get

CONFIG = """\
company:
  name: Example
  domain: example.com
employees:
  - name: Anna Smirnova
    extension: 201
daemon:
  listen: 127.0.0.1:0
  http: 127.0.0.1:0
  drain_timeout: 1
{directory}
freeswitch:
  port: {port}
"""


@pytest.fixture
def start(tmp_path):
    apps = []
    switch = ScriptedSwitch().__enter__()

    def run(directory: str = "") -> App:
        path = tmp_path / "company.yaml"
        path.write_text(CONFIG.format(directory=directory, port=switch.port))
        app = App(str(path), registry=CollectorRegistry(), watch_interval=3600)
        app.start()
        apps.append(app)
        return app

    yield run
    for app in apps:
        app.stop()
    switch.__exit__(None, None, None)


def test_by_default_the_directory_is_beside_the_metrics(start):
    app = start()
    assert get(app.http.address, "/directory")[0] == 200
    assert get(app.http.address, "/metrics")[0] == 200


def test_a_directory_listener_of_its_own_serves_only_the_directory(start):
    app = start("  directory_listen: 127.0.0.1:0")          # the listener binds a port and reports it
    directory = app.directory_http.address
    assert get(directory, "/directory")[0] == 200
    assert get(directory, "/metrics")[0] == 404 and get(directory, "/readyz")[0] == 404
    assert get(app.http.address, "/directory")[0] == 404
    status, _, metrics = get(app.http.address, "/metrics")
    assert status == 200 and b"callrouter_directory_requests_total" in metrics
