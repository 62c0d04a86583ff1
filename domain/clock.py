"""The one clock every decision reads the time from.

The domain never asks the wall clock: the composition root builds a `Clock` from the settings
(`adapters.clock`), hands it to the ledger, the workers, the projections' "today" and the API,
and makes the event store stamp events with it too. So a test or a demo that sets the clock sets
it everywhere, and "today" in a decision is the same day as the timestamp of its event.
"""

from collections.abc import Callable
from datetime import datetime

from eventsourcing.domain import CanCreateTimestamp

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware, in UTC."""


def event_clock() -> datetime:
    """The instant the event store would stamp on an event created now (the default clock)."""
    return CanCreateTimestamp.create_timestamp()
