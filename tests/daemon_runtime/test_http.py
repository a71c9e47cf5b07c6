"""/metrics, /healthz, /readyz and added routes, over real TCP."""
from __future__ import annotations

import pytest

from daemon.http import HttpServer
from daemon.metrics import Metrics
from tests.httpclient import get


@pytest.fixture
def served():
    state = {"ready": (False, "inbound ESL to FreeSWITCH not connected")}
    metrics = Metrics()
    server = HttpServer(("127.0.0.1", 0), metrics, lambda: state["ready"],
                       routes={"/directory": lambda environ: (200, "text/xml", b"<document/>")})
    server.start()
    yield server, metrics, state
    server.stop()


def test_metrics_are_read_from_the_daemons_registry(served):
    server, metrics, _ = served
    metrics.esl_reconnects_total.inc(3)
    response = get(server.address, "/metrics")
    assert response.status == 200 and response.content_type.startswith("text/plain")
    assert b"callrouter_esl_reconnects_total 3.0" in response.body


def test_healthz_answers_while_the_process_runs(served):
    assert get(served[0].address, "/healthz")[::2] == (200, b"ok\n")


def test_readyz_gives_the_reason_until_ready(served):
    server, _, state = served
    assert get(server.address, "/readyz")[::2] == (503, b"inbound ESL to FreeSWITCH not connected\n")
    state["ready"] = (True, "ready")
    assert get(server.address, "/readyz")[::2] == (200, b"ready\n")


def test_added_routes_are_served(served):
    response = get(served[0].address, "/directory")
    assert (response.status, response.content_type, response.body) == (200, "text/xml", b"<document/>")


def test_unknown_paths_are_404(served):
    assert get(served[0].address, "/nope")[0] == 404


def test_head_has_no_body(served):
    assert get(served[0].address, "/healthz", method="HEAD")[::2] == (200, b"")


def test_a_failing_handler_is_a_500_not_a_dead_server(served):
    server = served[0]
    server.add_route("/broken", lambda environ: 1 / 0)
    assert get(server.address, "/broken")[0] == 500
    assert get(server.address, "/healthz")[0] == 200


def test_port_zero_gives_the_bound_port(served):
    host, port = served[0].address
    assert host == "127.0.0.1" and port > 0
