"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives."""
from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Inbox:
    def __init__(self):
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        # handled=False: aiosmtpd then answers 535 itself (its default leaves the client waiting).
        return AuthResult(success=login == ("pbx@romashka.ru", "mail-secret"), handled=False)


class SmtpServer(Controller):
    """aiosmtpd's Controller, on port 0 (it would otherwise probe port 0 to see it is up)."""

    def __init__(self, inbox: Inbox):
        super().__init__(inbox, hostname="127.0.0.1", port=0, authenticator=inbox.authenticate,
                         auth_require_tls=False)
        self.inbox = inbox

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
