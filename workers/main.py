"""Composition root of a dramatiq worker process: `dramatiq workers.main`.

The dramatiq CLI imports this module, so here (and only here) the broker is built from the
environment at import, before the actors are declared on it.
"""

import os

from adapters.bootstrap import resolve_redis_url
from adapters.settings import Settings
from workers.actors import declare
from workers.broker import build_broker
from workers.config import WorkerSettings

broker = build_broker(resolve_redis_url(Settings.from_env()), WorkerSettings.from_env(os.environ))
actors = declare(broker)
