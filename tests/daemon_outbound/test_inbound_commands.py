"""InboundCommands against the simulator's event socket: what ends a ringing bridge."""
from __future__ import annotations

import pytest

from config.models import FreeswitchSettings
from daemon.inbound_commands import InboundCommands, InboundUnavailable
from tests.fakeswitch import FakeSwitch
from tests.sim.rawpeer import DaemonStub


@pytest.fixture
def sim():
    switch = FakeSwitch(domain="example.com", scale=0.01, socket_mode="sync").start()
    yield switch
    switch.stop()


def commands_for(sim, password: str = "ClueCon") -> InboundCommands:
    host, port = sim.inbound_address[:2]
    return InboundCommands(lambda: FreeswitchSettings(host=host, port=port, password=password), timeout=2)


def ringing_call(sim):
    """A call whose (sync) socket runs a bridge to a leg named B that never answers."""
    sim.employee("ivan")
    stub = DaemonStub()
    call = sim.place_call(stub.address, "2000", talk_time=None)
    peer = stub.accept()
    peer.command("connect")
    peer.read()
    peer.command("sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: continue_on_fail=true")
    peer.read()
    peer.command("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
                 "execute-app-arg: [origination_uuid=11111111-2222-3333-4444-555555555555,leg_timeout=60]"
                 "user/ivan@example.com")
    return stub, peer, call


def test_kill_ends_the_named_leg_and_the_bridge_returns(sim):
    stub, peer, call = ringing_call(sim)
    try:
        commands = commands_for(sim)
        sim.clock.sleep(2)
        assert commands.getvar(call.uuid, "bridge_to") == ""            # ringing, not answered
        assert commands.kill(["11111111-2222-3333-4444-555555555555", "00000000-0000-0000-0000-000000000000"]) == 1
        assert peer.read(timeout=1).get("Reply-Text") == "+OK"
        assert call.bridges[0].disposition == "NORMAL_CLEARING" and not call.done
        assert commands.getvar("00000000-0000-0000-0000-000000000000", "bridge_to") is None
    finally:
        peer.close()
        stub.stop()


def test_a_wrong_password_or_nothing_listening_is_unavailable(sim):
    with pytest.raises(InboundUnavailable, match="password"):
        commands_for(sim, "wrong").kill(["x"])
    sim.set_inbound_available(False)
    with pytest.raises(InboundUnavailable):
        commands_for(sim).kill(["x"])
    assert commands_for(sim).api([]) == []
