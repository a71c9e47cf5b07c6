"""A FreeSWITCH 1.11 simulator speaking the event socket over real TCP (tests and bench).

See :class:`FakeSwitch`.  The simulator is an independent peer: it imports nothing from the
daemon, only the standard library and gevent.
"""
from .call import SimCall
from .originate import Behaviour, OriginateResult, originate
from .results import BridgeResult, CallRecord, LegResult
from .session import Quirks
from .switch import FakeSwitch

__all__ = ["FakeSwitch", "SimCall", "CallRecord", "BridgeResult", "LegResult", "Quirks", "Behaviour",
           "OriginateResult", "originate"]
