"""E-mail over SMTP. The Message-ID derives from our message id, so a resend is recognisable.

`check_mail` is the start-up check of the two settings (`workers/config.py`).
"""

import hashlib
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from adapters.gateways import require


def check_mail(smtp_url: str, sender: str) -> str | None:
    """What is wrong with SMTP_URL / MAIL_FROM (None when they can work)."""
    parts = urlsplit(smtp_url.strip())
    if parts.scheme != "smtp" or not parts.hostname:
        return "SMTP_URL is not smtp://[user:password@]host[:port]"  # never echo a password
    if "@" not in sender or not sender.isprintable() or sender != sender.strip():
        return f"MAIL_FROM={sender!r} is not an e-mail address"
    return None


class MailSender:
    def __init__(self, smtp_url: str, sender: str, timeout: float = 10.0) -> None:
        require(check_mail(smtp_url, sender))
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
