"""The Event Socket protocol: framing, events, and greenswitch's outbound session, hardened.

frames   pure incremental parser, bytes in -> frames out
event    one message, values decoded lazily and one at a time
commands the text of the commands a call sends
channel  what the controlled channel's events mean for the call, as signals
session  CallSession, greenswitch's OutboundSession with its weak points fixed
"""
from daemon.esl.errors import CommandFailed, CommandTimeout, ESLError, ProtocolError, SessionClosed
from daemon.esl.event import Event
from daemon.esl.frames import MAX_FRAME, Frame, FrameParser
from daemon.esl.session import CallSession, Execution

__all__ = ["CallSession", "CommandFailed", "CommandTimeout", "ESLError", "Event", "Execution", "Frame",
           "FrameParser", "MAX_FRAME", "ProtocolError", "SessionClosed"]
