"""The one scheduler: APScheduler ticks, a Redis lock keeps a single instance active.

Each tick asks what is due *now* and what was missed: every school-local month from the
school's first up to the last complete one is closed (fees + statements) unless `wk_runs`
says it was; monthly autopayments likewise from their first period; threshold rules get a
daily check. A scheduler down for months catches every missed period up on its first tick,
once: the run is recorded after it is enqueued, and every job is idempotent on its period,
so even a crash between the two charges nothing twice.
"""

import logging
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import redis
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from domain.autopay import MONTHLY
from domain.clock import Clock
from domain.fees import period_of, periods_between, previous_period
from workers.actors import Actors
from workers.config import WorkerSettings
from workers.store import WorkerStore

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""


class SingleInstanceLock:
    def __init__(self, client: redis.Redis, key: str, ttl_ms: int) -> None:
        self.client, self.key, self.ttl_ms = client, key, ttl_ms
        self.token = uuid.uuid4().hex
        self.renew = client.register_script(_RENEW)

    def hold(self) -> bool:
        """Take the lock, or keep it if ours; False while another instance holds it."""
        return bool(self.renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    def release(self) -> None:
        if self.client.get(self.key) == self.token.encode():
            self.client.delete(self.key)


class Scheduler:
    def __init__(
        self,
        store: WorkerStore,
        actors: Actors,
        settings: WorkerSettings,
        lock: SingleInstanceLock,
        clock: Clock,
    ) -> None:
        self.store, self.actors, self.settings, self.lock = store, actors, settings, lock
        self.clock = clock

    def tick(self) -> int:
        if not self.lock.hold():
            return 0
        now = self.clock()
        enqueued = 0
        for school_id, time_zone, first in self.store.schools():
            today = now.astimezone(ZoneInfo(time_zone)).date()
            last_complete = previous_period(period_of(today))
            for period in periods_between(first, last_complete):
                enqueued += self.once("close_month", str(school_id), period)
            # The day's subsidies: the job credits nothing on a closed day, each pupil once.
            enqueued += self.once("credit_subsidies", str(school_id), today.isoformat())
        for schedule_id, _, kind, day, first, time_zone in self.store.autopayments():
            today = now.astimezone(ZoneInfo(time_zone)).date()
            if kind == MONTHLY:
                current = period_of(today)
                last = current if today.day >= day else previous_period(current)
                for period in periods_between(first, last):
                    enqueued += self.once("run_autopayment", str(schedule_id), period)
            else:
                enqueued += self.once("run_autopayment", str(schedule_id), today.isoformat())
        self.lock.client.hset(f"{self.lock.key}:status", "last_tick", now.isoformat())
        self.lock.client.hincrby(f"{self.lock.key}:status", "ticks", 1)
        return enqueued

    def once(self, job: str, key: str, period: str) -> int:
        if self.store.run_done(job, key, period):
            return 0
        self.actors.send(job, (key, period))
        self.store.mark_run(job, key, period)
        log.info("enqueued %s %s %s", job, key, period)
        return 1

    def run_forever(self) -> None:
        scheduler = BlockingScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.settings.scheduler_tick_seconds),
            next_run_time=datetime.now(UTC),  # APScheduler's own timing: now, on the wall clock
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        try:
            scheduler.start()
        finally:
            self.lock.release()
