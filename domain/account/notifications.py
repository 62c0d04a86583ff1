"""What the parent hears and where: service messages only, the contact, the low-balance alert."""

from domain.account.state import AccountState
from domain.errors import InvalidCommandError
from domain.fields import check_limit, contact
from domain.money import MAX_TOP_UP
from domain.recorded import AssignsFields


class Notifications(AccountState):
    class NotificationPreferencesChanged(AssignsFields, AccountState.Event):
        TOPIC = "infoshkola.account.NotificationPreferencesChanged"
        service_only: bool

    class ContactChanged(AssignsFields, AccountState.Event):
        """Where messages go: a reference to the parent's personal data, never the data."""

        TOPIC = "infoshkola.account.ContactChanged"
        contact_ref: str

    class LowBalanceThresholdSet(AccountState.Event):
        TOPIC = "infoshkola.account.LowBalanceThresholdSet"
        threshold: int
        previous: int

        def apply(self, a: AccountState) -> None:
            a.low_balance_threshold = self.threshold

    def change_notification_preferences(self, service_only: bool) -> None:
        """Parents may switch off everything but service messages."""
        if not isinstance(service_only, bool):
            raise InvalidCommandError("service_only is true or false")
        if service_only != self.service_only:
            self.trigger_event(self.NotificationPreferencesChanged, service_only=service_only)

    def change_contact(self, contact_ref: str) -> None:
        contact_ref = contact(contact_ref, what="a contact")
        if contact_ref != self.contact_ref:
            self.trigger_event(self.ContactChanged, contact_ref=contact_ref)

    def set_low_balance_threshold(self, threshold: int) -> None:
        """Alert the parent when the regular balance falls below `threshold` (0 = never)."""
        threshold = check_limit(threshold, what="threshold", maximum=MAX_TOP_UP)
        if threshold != self.low_balance_threshold:
            previous = self.low_balance_threshold
            self.trigger_event(self.LowBalanceThresholdSet, threshold=threshold, previous=previous)
