"""Composition root of a dramatiq worker process: `dramatiq workers.main`.

The dramatiq CLI imports this module, so here (and only here) the broker is built from the
environment at import, before the actors are declared on it. These processes send, so a
gateway setting that cannot work stops them here, with one line, before any message is taken.
Each dies with dramatiq's main process (the fork cleared the main process's own setting).
"""

import os

from adapters.gateways import GatewaySettingError
from app.composition import resolve_redis_url
from app.logs import configure_logging
from app.processes import die_with_multiprocessing_parent
from app.settings import Settings
from workers.actors import declare
from workers.broker import build_broker
from workers.config import WorkerSettings

die_with_multiprocessing_parent()  # a killed main process leaves no worker process behind
configure_logging()  # dramatiq's own lines too: JSON at LOG_LEVEL, like every process
settings = WorkerSettings.from_env(os.environ)
try:
    settings.require_gateways()
except GatewaySettingError as error:
    raise SystemExit(f"infoshkola workers: {error}") from None
broker = build_broker(resolve_redis_url(Settings.from_env()), settings)
actors = declare(broker)
