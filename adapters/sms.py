"""SMS through an HTTP gateway: POST /v1/messages, bearer token, idempotent on our message id.

The gateway keeps the `Idempotency-Key` of every accepted message, so a resend after a
crash is acknowledged without a second SMS. Only the workers send (`workers/jobs.py`);
`sms_sender` refuses settings that cannot work, at start-up (`adapters/gateways.py`).
"""

from typing import Protocol

from adapters.gateways import HttpGateway, MessageFile, file_path


class SmsGatewayError(Exception):
    pass


class SendsSms(Protocol):
    def send(self, message_id: str, phone: str, text: str) -> str: ...


class SmsSender(HttpGateway):
    url_setting, token_setting = "SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN"

    def send(self, message_id: str, phone: str, text: str) -> str:
        response = self.post(
            "/v1/messages", message_id, {"to": phone, "text": text, "client_ref": message_id}
        )
        if response.status_code not in (200, 201):
            # The answer is kept in the outbox's error column and the log: never a text that
            # repeats the message (a password or a code).
            answer = response.text[:200] if text not in response.text else "(repeats the text)"
            raise SmsGatewayError(f"SMS gateway answered {response.status_code}: {answer}")
        return str(response.json()["id"])


class SmsFile:
    """`SMS_GATEWAY_URL=file:<path>`: the demo's SMS, one JSON line each (never for parents)."""

    def __init__(self, file: MessageFile) -> None:
        self.file = file

    def send(self, message_id: str, phone: str, text: str) -> str:
        return self.file.write(message_id, to=phone, text=text)


def sms_sender(url: str, token: str) -> SendsSms:
    path = file_path(url)
    if path is not None:
        return SmsFile(MessageFile(path))
    return SmsSender(url, token)
