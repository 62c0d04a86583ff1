"""E-mail over SMTP. The Message-ID derives from our message id, so a resend is recognisable."""

import hashlib
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit


class MailSender:
    def __init__(self, smtp_url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(smtp_url)  # smtp://user:password@host:port
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.user, self.password = parts.username, parts.password
        self.sender, self.timeout = sender, timeout

    def send(self, message_id: str, to: str, subject: str, body: str) -> str:
        mail = EmailMessage()
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        mail["Message-ID"] = f"<{digest}@infoshkola>"
        mail["From"], mail["To"], mail["Subject"] = self.sender, to, subject
        mail["X-Infoshkola-Message"] = message_id
        mail.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)
        return str(mail["Message-ID"])
