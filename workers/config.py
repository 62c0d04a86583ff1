"""Settings of the worker processes, read from the environment by their composition roots.

The gateways have no usable default: a process that sends (`infoshkola workers`, the dramatiq
worker processes) calls `require_gateways` at start-up and stops with one line naming the
missing or empty setting, instead of failing every send later.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.gateways import GatewaySettingError, check_http_gateway
from adapters.mail import check_mail


@dataclass(frozen=True)
class WorkerSettings:
    namespace: str = "infoshkola"  # prefix of every Redis key (dramatiq queues, locks)
    smtp_url: str = "smtp://127.0.0.1:25"
    mail_from: str = "infoshkola@localhost"
    sms_url: str = ""  # an http(s):// gateway with its token, or file:<path> (the demo)
    sms_token: str = ""
    push_url: str = ""  # likewise
    push_token: str = ""
    acquiring_url: str = "http://127.0.0.1:9103"
    acquiring_key: str = ""
    acquiring_webhook_secret: str = ""  # required before autopayments run
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 9180
    webhook_public_url: str = "http://127.0.0.1:9180/acquiring/webhook"
    heartbeat_timeout_ms: int = 60_000
    maintenance_chance: int = 1_000
    send_lease_seconds: float = 60.0
    scheduler_tick_seconds: float = 60.0
    feed_poll_seconds: float = 0.5

    def gateway_problems(self) -> list[str]:
        found = [
            check_http_gateway(
                "SMS_GATEWAY_URL", self.sms_url, "SMS_GATEWAY_TOKEN", self.sms_token
            ),
            check_http_gateway(
                "PUSH_GATEWAY_URL", self.push_url, "PUSH_GATEWAY_TOKEN", self.push_token
            ),
            check_mail(self.smtp_url, self.mail_from),
        ]
        return [problem for problem in found if problem is not None]

    def require_gateways(self) -> None:
        """Refuse to start a sending process whose gateways cannot work (one line)."""
        if problems := self.gateway_problems():
            raise GatewaySettingError("; ".join(problems))

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "WorkerSettings":
        d = cls()
        port = int(env.get("WORKERS_WEBHOOK_PORT", d.webhook_port))
        host = env.get("WORKERS_WEBHOOK_HOST", d.webhook_host)
        return cls(
            namespace=env.get("WORKERS_NAMESPACE", d.namespace),
            smtp_url=env.get("SMTP_URL", d.smtp_url),
            mail_from=env.get("MAIL_FROM", d.mail_from),
            sms_url=env.get("SMS_GATEWAY_URL", d.sms_url),
            sms_token=env.get("SMS_GATEWAY_TOKEN", d.sms_token),
            push_url=env.get("PUSH_GATEWAY_URL", d.push_url),
            push_token=env.get("PUSH_GATEWAY_TOKEN", d.push_token),
            acquiring_url=env.get("ACQUIRING_URL", d.acquiring_url),
            acquiring_key=env.get("ACQUIRING_KEY", d.acquiring_key),
            acquiring_webhook_secret=env.get(
                "ACQUIRING_WEBHOOK_SECRET", d.acquiring_webhook_secret
            ),
            webhook_host=host,
            webhook_port=port,
            webhook_public_url=env.get(
                "ACQUIRING_WEBHOOK_URL", f"http://{host}:{port}/acquiring/webhook"
            ),
            heartbeat_timeout_ms=int(
                env.get("WORKERS_HEARTBEAT_TIMEOUT_MS", d.heartbeat_timeout_ms)
            ),
            maintenance_chance=int(env.get("WORKERS_MAINTENANCE_CHANCE", d.maintenance_chance)),
            send_lease_seconds=float(env.get("WORKERS_SEND_LEASE_SECONDS", d.send_lease_seconds)),
            scheduler_tick_seconds=float(
                env.get("WORKERS_SCHEDULER_TICK_SECONDS", d.scheduler_tick_seconds)
            ),
            feed_poll_seconds=float(env.get("WORKERS_FEED_POLL_SECONDS", d.feed_poll_seconds)),
        )
