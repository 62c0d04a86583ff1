"""Records an account has exactly one of (its consents, its erasure requests), kept beside it.

Each is its own aggregate, at an id derived from the account's and its kind: started on first
use, and found again from the account id alone.
"""

from typing import TYPE_CHECKING, Self
from uuid import UUID

from domain.recorded import AssignsFields, Recorded, derived_id


class AccountRecord(Recorded):
    """The base of a record kept once per account (no TOPIC: each kind states its own, and
    its own `Started` event with its TOPIC)."""

    KIND = ""  # the name its id derives from, with the account id

    class Started(AssignsFields, Recorded.Created):
        account_id: UUID

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        account_id: UUID

    @classmethod
    def record_id(cls, account_id: UUID) -> UUID:
        return derived_id(cls.KIND, account_id)

    @classmethod
    def start(cls, account_id: UUID) -> Self:
        return cls._create(cls.Started, id=cls.record_id(account_id), account_id=account_id)
