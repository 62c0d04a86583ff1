"""Notification settings a parent reads and changes (issue 12, point 3): per kind of message
and channel allowed by the tariff, quiet hours, and where messages go (the contact)."""

from typing import ClassVar

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import NotificationChannel, NotificationKind, Tariff
from api.graphql.payloads import AccountInput, Outcome, account_change
from api.graphql.queries import account_query
from domain.account import Account
from domain.preferences import allowed_channels, change_settings, preferences_of


@strawberry.type(description="One channel of one kind of message.")
class ChannelSetting:
    channel: NotificationChannel = strawberry.field(description="The channel.")
    allowed: bool = strawberry.field(description="Whether the tariff has this channel.")
    enabled: bool = strawberry.field(description="Whether the parent wants it (and may).")


@strawberry.type(description="The channels of one kind of message.")
class KindSetting:
    kind: NotificationKind = strawberry.field(description="The kind of message.")
    channels: list[ChannelSetting] = strawberry.field(description="Each channel's setting.")


@strawberry.type(description="School-local hours without push or SMS.")
class QuietHours:
    start: str = strawberry.field(description="HH:MM, school-local.")
    end: str = strawberry.field(description="HH:MM, school-local; may be past midnight.")


@strawberry.type(description="Where messages go.")
class Contact:
    phone: str | None = strawberry.field(description="For SMS.")
    email: str | None = strawberry.field(description="For e-mail.")


@strawberry.type(description="What a parent hears, how, and when not.")
class NotificationSettings:
    tariff: Tariff = strawberry.field(description="The tariff, which decides the channels.")
    service_only: bool = strawberry.field(description="Everything but service messages off.")
    kinds: list[KindSetting] = strawberry.field(description="Per kind and channel.")
    quiet_hours: QuietHours | None = strawberry.field(description="No push/SMS during them.")
    contact: Contact | None = strawberry.field(description="The chosen contact, if any.")


@strawberry.input(description="Switch one kind of message on or off on one channel.")
class NotificationSwitchInput:
    kind: NotificationKind = strawberry.field(description="The kind of message.")
    channel: NotificationChannel = strawberry.field(description="The channel.")
    enabled: bool = strawberry.field(description="On or off.")


@strawberry.input(description="Quiet hours, school-local HH:MM.")
class QuietHoursInput(QuietHours):
    """The hours of `QuietHours`, as the parent sets them."""


@strawberry.input(description="Change notification settings; omitted parts stay as they are.")
class ChangeNotificationSettingsInput(AccountInput):
    does: ClassVar[str] = "Parents: switch kinds of messages per channel; quiet hours."
    switches: list[NotificationSwitchInput] = strawberry.field(
        default_factory=list, description="Kinds and channels to switch."
    )
    quiet_hours: QuietHoursInput | None = strawberry.field(
        default=None, description="New quiet hours (with `clearQuietHours` false)."
    )
    clear_quiet_hours: bool = strawberry.field(default=False, description="No quiet hours.")

    def change(self, account: Account) -> None:
        wanted = self.switches[:100]
        switches = [(s.kind.value, s.channel.value, s.enabled) for s in wanted]
        quiet, clear = self.quiet_hours, self.clear_quiet_hours
        keep = quiet is None and not clear
        start = None if quiet is None or clear else quiet.start[:8]
        end = None if quiet is None or clear else quiet.end[:8]
        change_settings(account, switches, start, end, keep)


@strawberry.type(description="The settings as they now stand.")
class NotificationSettingsPayload(Outcome):
    settings: NotificationSettings | None = strawberry.field(description="The new settings.")


def settings_of(account: Account, contact: dict[str, str] | None) -> NotificationSettings:
    prefs = preferences_of(account)
    allowed = allowed_channels(account.tariff)
    kinds = [
        KindSetting(
            kind=kind,
            channels=[
                ChannelSetting(
                    channel=channel,
                    allowed=channel in allowed,
                    enabled=channel in allowed and (kind, channel) not in prefs.muted,
                )
                for channel in NotificationChannel
            ],
        )
        for kind in NotificationKind
    ]
    quiet = None
    if prefs.quiet_from and prefs.quiet_until:
        start, end = prefs.quiet_from.strftime("%H:%M"), prefs.quiet_until.strftime("%H:%M")
        quiet = QuietHours(start=start, end=end)
    return NotificationSettings(
        tariff=Tariff(account.tariff),
        service_only=account.service_only,
        kinds=kinds,
        quiet_hours=quiet,
        contact=Contact(phone=contact.get("phone"), email=contact.get("email"))
        if contact
        else None,
    )


async def read_settings(info: Info[Context, None], account_id: object) -> NotificationSettings:
    services = info.context.services
    account = await services.run(services.ledger.account, account_id)
    contact = None
    if account.contact_ref:
        contact = await services.run(services.people.get, account.contact_ref)
    return settings_of(account, contact)


@strawberry.type
class NotifyQuery:
    notification_settings = account_query(
        "notificationSettings",
        NotificationSettings,
        "Parents: what they hear, on which channel, and when not.",
        read_settings,
    )


@strawberry.type
class NotifyMutation:
    change_notification_settings = account_change(
        "changeNotificationSettings",
        ChangeNotificationSettingsInput,
        NotificationSettingsPayload,
        "settings",
        read_settings,
    )
