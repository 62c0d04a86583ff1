"""Settings of the worker processes, read from the environment by their composition roots.

The gateways have no usable default: a process that sends (`infoshkola workers`, the dramatiq
worker processes) calls `require_gateways` at start-up and stops with one line naming the
missing or empty setting, instead of failing every send later.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.gateways import GatewaySettingError, check_http_gateway
from adapters.mail import check_mail
from adapters.settings import Settings


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
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WorkerSettings":
        """From the one settings model (`adapters/settings.py`)."""
        s = Settings.from_env(env)
        return cls(
            namespace=s.workers_namespace,
            smtp_url=s.smtp_url,
            mail_from=s.mail_from,
            sms_url=s.sms_url,
            sms_token=s.sms_token,
            push_url=s.push_url,
            push_token=s.push_token,
            acquiring_url=s.acquiring_url,
            acquiring_key=s.acquiring_key,
            acquiring_webhook_secret=s.acquiring_webhook_secret,
            webhook_host=s.webhook_host,
            webhook_port=s.webhook_port,
            webhook_public_url=s.acquiring_webhook_url,
            heartbeat_timeout_ms=s.heartbeat_timeout_ms,
            maintenance_chance=s.maintenance_chance,
            send_lease_seconds=s.send_lease_seconds,
            scheduler_tick_seconds=s.scheduler_tick_seconds,
            feed_poll_seconds=s.feed_poll_seconds,
        )
