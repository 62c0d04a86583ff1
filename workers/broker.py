"""The only module that configures dramatiq: a Redis broker built from settings.

Nothing connects at import time. `build_broker` makes the broker (redis-py connects lazily,
on the first command) and installs it as dramatiq's global broker, so it must run before
any actor is declared; `workers.actors.declare` then declares the actors on it.
"""

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage
from dramatiq.results import Results
from dramatiq.results.backends.redis import RedisBackend

from workers.config import WorkerSettings


def build_broker(redis_url: str, settings: WorkerSettings) -> RedisBroker:
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=redis_url,
        namespace=f"{settings.namespace}:dramatiq",
        heartbeat_timeout=settings.heartbeat_timeout_ms,
        maintenance_chance=settings.maintenance_chance,
    )
    backend = RedisBackend(  # type: ignore[no-untyped-call]
        url=redis_url, namespace=f"{settings.namespace}:results"
    )
    results = Results(backend=backend)  # type: ignore[no-untyped-call]
    broker.add_middleware(results)  # dramatiq 2.x: backend= is required
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    return broker
