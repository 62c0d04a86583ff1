"""One typed settings object, read from the environment by the composition root only."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def parse_rates(text: str) -> dict[str, str]:
    """ "bank_card=0.05,sbp=0.004" -> {"bank_card": "0.05", "sbp": "0.004"}."""
    rates = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        channel, _, rate = pair.partition("=")
        rates[channel.strip()] = rate.strip()
    return rates


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    redis_url: str | None = None
    var_dir: Path = Path("var")
    database_name: str = "infoshkola"
    snapshot_interval: int = 100
    pool_size: int = 5
    commission_rates: Mapping[str, str] = field(default_factory=dict)
    ci: bool = False
    offline_cap: int = 30_000  # kopecks a reader may let one card spend while offline
    blob_dir: Path | None = None  # content-addressed photos; var_dir/"blobs" when unset
    clock: str = "system"  # INFOSHKOLA_CLOCK: system | fixed:<ISO instant> | shift:<seconds>

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        return cls(
            database_url=environ.get("DATABASE_URL") or None,
            redis_url=environ.get("REDIS_URL") or None,
            var_dir=Path(environ.get("INFOSHKOLA_VAR", "var")).absolute(),
            database_name=environ.get("INFOSHKOLA_DB", "infoshkola"),
            snapshot_interval=int(environ.get("SNAPSHOT_INTERVAL", "100")),
            pool_size=int(environ.get("POSTGRES_POOL_SIZE", "5")),
            commission_rates=parse_rates(environ.get("COMMISSION_RATES", "")),
            ci=environ.get("CI", "").lower() == "true",
            offline_cap=int(environ.get("OFFLINE_CAP", "30000")),
            blob_dir=Path(environ["BLOB_DIR"]).absolute() if environ.get("BLOB_DIR") else None,
            clock=clock_setting(environ),
        )


def clock_setting(environ: Mapping[str, str]) -> str:
    """INFOSHKOLA_CLOCK, or the older INFOSHKOLA_FAKE_NOW (a frozen instant) it replaces."""
    if fake_now := environ.get("INFOSHKOLA_FAKE_NOW"):
        return f"fixed:{fake_now}"
    return environ.get("INFOSHKOLA_CLOCK") or "system"
