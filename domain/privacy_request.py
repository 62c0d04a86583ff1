"""A parent's request to erase their and their child's personal data, and what became of it.

One `PrivacyRequests` record per account: a parent files a request from their login
(`ErasureRequested`), a school admin or support approves (`ErasureApproved`) or refuses it
with a reason (`ErasureRefused`); the erasure itself is recorded on the account
(`PersonalDataErased`) and closes the request (`ErasureCompleted`, with the position of that
act); the parent is told at the address they had. One request is open at a time.
"""

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.account_record import AccountRecord
from domain.errors import ConflictError
from domain.fields import REASON, text
from domain.recorded import Recorded

FILED, APPROVED, REFUSED, COMPLETED = "requested", "approved", "refused", "completed"


class PrivacyStateError(ConflictError):
    code = "privacy_state"


class PrivacyRequests(AccountRecord):
    TOPIC = "infoshkola.privacy.PrivacyRequests"
    KIND = "privacy-requests"

    class Started(AccountRecord.Started):
        TOPIC = "infoshkola.privacy.Started"

        def apply(self, r: "PrivacyRequests") -> None:
            super().apply(r)
            r.status, r.number, r.history = None, 0, []

    class ErasureRequested(Recorded.Event):
        TOPIC = "infoshkola.privacy.ErasureRequested"
        number: int
        note: str

        def apply(self, r: "PrivacyRequests") -> None:
            r.number, r.status = self.number, FILED
            r.history = [*r.history, PrivacyRequests.entry(self, FILED)]

    class ErasureApproved(Recorded.Event):
        TOPIC = "infoshkola.privacy.ErasureApproved"
        number: int

        def apply(self, r: "PrivacyRequests") -> None:
            r.status = APPROVED
            r.history = [*r.history, PrivacyRequests.entry(self, APPROVED)]

    class ErasureRefused(Recorded.Event):
        TOPIC = "infoshkola.privacy.ErasureRefused"
        number: int
        reason: str

        def apply(self, r: "PrivacyRequests") -> None:
            r.status = REFUSED
            entry = {**PrivacyRequests.entry(self, REFUSED), "reason": self.reason}
            r.history = [*r.history, entry]

    class ErasureCompleted(Recorded.Event):
        TOPIC = "infoshkola.privacy.ErasureCompleted"
        number: int
        erased_at_position: int
        subjects: int

        def apply(self, r: "PrivacyRequests") -> None:
            r.status = COMPLETED
            r.history = [*r.history, PrivacyRequests.entry(self, COMPLETED)]

    if TYPE_CHECKING:
        status: str | None
        number: int
        history: list[dict[str, Any]]

    @staticmethod
    def entry(event: Any, status: str) -> dict[str, Any]:
        return {"number": event.number, "status": status, "at": event.timestamp.isoformat(),
                "actor": event.actor}  # fmt: skip

    def request_erasure(self, note: str = "") -> int:
        if self.status in (FILED, APPROVED):
            raise PrivacyStateError(f"request №{self.number} is already {self.status}")
        note = text(note or "—", REASON, what="a note to the request")
        self.trigger_event(self.ErasureRequested, number=self.number + 1, note=note)
        return self.number

    def approve(self) -> None:
        if self.status != FILED:
            raise PrivacyStateError("no erasure request is waiting for a decision")
        self.trigger_event(self.ErasureApproved, number=self.number)

    def refuse(self, reason: str) -> None:
        if self.status != FILED:
            raise PrivacyStateError("no erasure request is waiting for a decision")
        reason = text(reason, REASON, what="why the request is refused")
        self.trigger_event(self.ErasureRefused, number=self.number, reason=reason)

    def complete(self, position: int, subjects: int) -> None:
        if self.status != APPROVED:
            raise PrivacyStateError("only an approved request is carried out")
        self.trigger_event(
            self.ErasureCompleted, number=self.number, erased_at_position=position,
            subjects=subjects,
        )  # fmt: skip


def requests_id(account_id: UUID) -> UUID:
    return PrivacyRequests.record_id(account_id)
