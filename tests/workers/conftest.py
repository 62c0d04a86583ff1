import os
from collections.abc import Iterator

import pytest

from tests.fakes.http import FakeAcquiring, FakePushGateway, FakeSmsGateway
from tests.fakes.smtp import SmtpInbox
from tests.services import drop_database, fresh_database, in_ci, redis_server_url
from tests.workers.harness import SECRET, Stack


def workers_redis_url() -> str:
    """Our own Redis db number on the machine's server under CI; keys are namespaced anyway."""
    if not os.environ.get("REDIS_URL") and in_ci():
        return "redis://127.0.0.1:6379/6"
    return redis_server_url()


@pytest.fixture
def stack() -> Iterator[Stack]:
    url = fresh_database()
    smtp = SmtpInbox().start()
    sms = FakeSmsGateway(token="sms-token").start()
    push = FakePushGateway(token="push-token").start()
    acquiring = FakeAcquiring(token="acq-key", secret=SECRET).start()
    s = Stack(url, workers_redis_url(), smtp, sms, push, acquiring)
    try:
        yield s
    finally:
        s.stop()
        for fake in (sms, push, acquiring):
            fake.stop()
        smtp.stop()
        drop_database(url)
