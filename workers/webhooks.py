"""The acquiring provider's webhooks: verify the signature, hand the verdict to a worker.

A small HTTP endpoint (`POST /acquiring/webhook`) run by `infoshkola workers`; the API may
mount the same check later. It answers 2xx only once the verdict is queued, so the
provider retries until then; settling is idempotent on the payment id.
"""

import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from adapters.acquiring import PENDING, AcquiringError, BadSignatureError, verify_webhook

log = logging.getLogger(__name__)

PATH = "/acquiring/webhook"


def webhook_server(
    host: str, port: int, secret: str, settle: Callable[[str, str, str], None]
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != PATH:
                self.reply(404, b'{"error":"not found"}')
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                status = verify_webhook(secret, body, self.headers.get("X-Signature", ""))
            except BadSignatureError:
                self.reply(401, b'{"error":"bad signature"}')
                return
            except (AcquiringError, ValueError, KeyError):
                self.reply(400, b'{"error":"bad payload"}')
                return
            if status.status != PENDING:
                settle(status.payment_id, status.status, status.reason)
            self.reply(200, b'{"ok":true}')

        def reply(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

    return ThreadingHTTPServer((host, port), Handler)
