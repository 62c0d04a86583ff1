"""A real SMTP server (aiosmtpd) on loopback that keeps every mail it receives."""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    message_id: str
    our_id: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, inbox: "SmtpInbox") -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_content() if not parsed.is_multipart() else ""
        mail = Mail(
            to=",".join(envelope.rcpt_tos),
            subject=str(parsed["Subject"]),
            body=str(body).strip(),
            message_id=str(parsed["Message-ID"]),
            our_id=str(parsed["X-Infoshkola-Message"]).strip(),
        )
        with self.inbox.lock:
            self.inbox.mails.append(mail)
        return "250 OK"


class SmtpInbox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpInbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.received() if m.to == address]
