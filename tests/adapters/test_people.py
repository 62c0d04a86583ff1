from datetime import UTC, datetime
from uuid import uuid4

from adapters.people import MAX_SAVED_CARDS, PeopleStore
from adapters.privacy.access_log import AccessLog
from domain.web_push import MAX_SUBSCRIPTIONS, PushSubscription, subscription
from tests.fakes.web_push import FakeBrowser


def test_personal_data_is_merged_read_back_and_erased(database_url: str) -> None:
    store = PeopleStore(database_url)
    store.create_tables()
    ref = f"subject:{uuid4()}"
    store.put(ref, name="Иванов Иван", phone="+79130000000")
    store.put(ref, email="parent@example.org")
    assert store.get(ref) == {
        "name": "Иванов Иван",
        "phone": "+79130000000",
        "email": "parent@example.org",
    }
    assert store.get_many([ref, "subject:missing"]) == {ref: store.get(ref)}
    assert store.erase(ref) is True
    assert store.get(ref) is None
    assert store.erase(ref) is False


def test_push_subscriptions_are_kept_once_per_endpoint_newest_first_and_bounded(
    database_url: str,
) -> None:
    store = PeopleStore(database_url)
    store.create_tables()
    ref, other = f"subject:{uuid4()}", f"subject:{uuid4()}"
    store.put(ref, phone="+79130000000")
    browsers = [FakeBrowser(f"https://push.example.org/wpush/{n}") for n in range(7)]

    def sub(b: FakeBrowser) -> PushSubscription:
        return subscription(b.endpoint, b.p256dh, b.auth_secret)

    for b in browsers[:3]:
        store.add_push_subscription(ref, sub(b))
    renewed = FakeBrowser(browsers[0].endpoint)  # the first browser subscribed again: new keys
    store.add_push_subscription(ref, sub(renewed))
    found = store.push_subscriptions([ref])
    assert [s.endpoint for s in found] == [b.endpoint for b in (browsers[0], browsers[2],
                                                                browsers[1])]  # fmt: skip
    assert found[0] == sub(renewed)
    assert store.get(ref)["phone"] == "+79130000000"  # type: ignore[index]  # the rest stays
    for b in browsers[3:]:
        store.add_push_subscription(ref, sub(b))
    assert len(store.push_subscriptions([ref])) == MAX_SUBSCRIPTIONS  # the oldest went
    assert browsers[1].endpoint not in [s.endpoint for s in store.push_subscriptions([ref])]

    assert store.remove_push_subscription([other], browsers[6].endpoint) == 0
    assert store.remove_push_subscription([ref, other], browsers[6].endpoint) == 1
    assert browsers[6].endpoint not in [s.endpoint for s in store.push_subscriptions([ref])]
    assert store.drop_fields([ref], ["web_push"]) == 1  # a withdrawn consent takes them
    assert store.push_subscriptions([ref]) == []


def test_a_logged_read_writes_one_access_log_row_per_read_of_a_subject_with_data(
    database_url: str,
) -> None:
    store = PeopleStore(database_url)
    store.create_tables()
    log = AccessLog(database_url, lambda: datetime(2026, 9, 1, 8, tzinfo=UTC))
    log.create_tables()
    account, ref, blank, missing = uuid4(), f"subject:{uuid4()}", f"subject:{uuid4()}", "x:none"
    store.put(ref, name="Петрова Анна")
    store.put(blank)
    try:
        reads = [("terminal:a", "tap.pupil", account, ref), ("terminal:b", "tap.pupil", account,
                 blank), ("terminal:c", "tap.pupil", account, missing),
                 ("terminal:d", "tap.pupil", account, ref)]  # fmt: skip
        found = store.get_many_logged(reads, log.clock())
        assert found == {ref: {"name": "Петрова Анна"}, blank: {}}
        entries = log.entries(account)
        assert [(e.actor, e.subject_ref) for e in reversed(entries)] == [
            ("terminal:a", ref), ("terminal:d", ref),
        ]  # fmt: skip
        assert {e.at for e in entries} == {log.clock()}
    finally:
        log.close()
        store.close()


def test_saved_cards_are_kept_once_per_token_listed_per_account_forgotten_and_erased(
    database_url: str,
) -> None:
    store = PeopleStore(database_url)
    store.create_tables()
    ref, account, sibling = f"subject:{uuid4()}", uuid4(), uuid4()
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    first = store.save_card(ref, account, "tok-a", "4242", at)
    assert store.save_card(ref, account, "tok-a", "4242", at) == first  # the webhook again
    second = store.save_card(ref, account, "tok-b", "4444", at)
    store.save_card(ref, sibling, "tok-c", "1111", at)
    assert [c.last4 for c in store.saved_cards(ref, account)] == ["4444", "4242"]  # newest first
    assert store.saved_card(ref, account, first.id) == first
    assert store.saved_card(ref, sibling, first.id) is None  # another account's card
    assert store.forget_card(ref, sibling, first.id) is False
    assert store.forget_card(ref, account, first.id) is True
    assert store.forget_card(ref, account, first.id) is False
    assert store.saved_cards(ref, account) == [second]
    for n in range(MAX_SAVED_CARDS + 1):
        store.save_card(ref, account, f"tok-{n}", "0000", at)
    assert len(store.saved_cards(ref, account) + store.saved_cards(ref, sibling)) == (
        MAX_SAVED_CARDS
    )
    assert store.erase(ref) is True
    assert store.saved_cards(ref, account) == []
