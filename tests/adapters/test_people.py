from uuid import uuid4

from adapters.people import PeopleStore


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
