"""The event store's insert (`adapters.postgres.ColumnsRecorder`), its arrays written as text:
every value comes back exactly as given, in order, whatever its characters or bytes."""

from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain.ledger import Ledger


def test_events_come_back_byte_for_byte_in_the_order_given(ledger: Ledger) -> None:
    awkward_topics = ['a"quoted"topic', "back\\slash", "comma,{braces}", " spaced ", "NULL", ""]
    states = [bytes(range(256)), b"", b'{"x":"\\u0000\xd0\xb6"}', b"\\x00", b"NULL", b'"']
    events = [
        StoredEvent(uuid4(), n + 1, topic, state)
        for n, (topic, state) in enumerate(zip(awkward_topics, states, strict=True))
    ]
    ids = ledger.recorder.insert_events(events)

    assert ids is not None
    assert list(ids) == sorted(ids)
    assert len(ids) == len(events)
    for event in events:
        assert ledger.recorder.select_events(event.originator_id) == [event]
    notifications = ledger.recorder.select_notifications(ids[0], len(ids))
    assert [(n.originator_id, n.topic, n.state) for n in notifications] == [
        (e.originator_id, e.topic, e.state) for e in events
    ]
