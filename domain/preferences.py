"""What a parent wants to hear, per kind of message and channel, and when not (quiet hours).

The tariff decides which channels exist (`domain.notifications`); within them the parent may
switch each kind of message off per channel, and set quiet hours (school-local time, may run
past midnight) during which nothing goes by push or SMS (e-mail waits in the inbox anyway).
Messages that are not one of `KINDS` (a blocked card, a failed autopayment, the statement)
are not the parent's to switch off here. The workers' feed applies `wanted` to every message.
"""

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any

from domain.account import Account
from domain.errors import InvalidCommandError
from domain.notifications import _TARIFF_CHANNELS, EMAIL, PUSH, SMS, NotificationChannel
from domain.recorded import register_events


class NotificationKind(StrEnum):
    """A kind of message the parent may switch off per channel."""

    PURCHASES = "purchases"
    PASSES = "passes"
    TOP_UPS = "top_ups"
    LOW_BALANCE = "low_balance"
    FEES = "fees"
    CASEWORK = "casework"


KINDS = tuple(NotificationKind)
CHANNELS = tuple(NotificationChannel)
KIND_OF_MESSAGE = {
    "purchase": NotificationKind.PURCHASES,
    "purchase_declined": NotificationKind.PURCHASES,
    "preorder_cancelled": NotificationKind.PURCHASES,
    "transfer": NotificationKind.TOP_UPS,
    "pass": NotificationKind.PASSES,
    "top_up": NotificationKind.TOP_UPS,
    "low_balance": NotificationKind.LOW_BALANCE,
    "fee": NotificationKind.FEES,
    "fee_debt": NotificationKind.FEES,
    "dispute_opened": NotificationKind.CASEWORK,
    "charge_reversed": NotificationKind.CASEWORK,
    "dispute_rejected": NotificationKind.CASEWORK,
    "refund_approved": NotificationKind.CASEWORK,
    "refund_paid": NotificationKind.CASEWORK,
}
LOUD = (PUSH, SMS)  # what quiet hours hold back


class NotificationSettingsChanged(Account.Event):
    """Muted (kind, channel) pairs as "kind:channel", and quiet hours "HH:MM" or empty."""

    TOPIC = "infoshkola.account.NotificationSettingsChanged"
    muted: list[str]
    quiet_from: str
    quiet_until: str

    def apply(self, a: Account) -> None:
        a.notification_settings = {  # type: ignore[attr-defined]
            "muted": self.muted,
            "quiet_from": self.quiet_from,
            "quiet_until": self.quiet_until,
        }


register_events(NotificationSettingsChanged)


@dataclass(frozen=True)
class Preferences:
    muted: frozenset[tuple[str, str]]
    quiet_from: time | None
    quiet_until: time | None

    def quiet_at(self, moment: time) -> bool:
        if self.quiet_from is None or self.quiet_until is None:
            return False
        start, end = self.quiet_from, self.quiet_until
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end  # past midnight


def allowed_channels(tariff: str) -> tuple[str, ...]:
    """E-mail on every tariff, plus the tariff's own push/SMS."""
    return (EMAIL, *_TARIFF_CHANNELS.get(tariff, ()))


def preferences_of(account: Account) -> Preferences:
    found: dict[str, Any] = getattr(account, "notification_settings", None) or {}
    muted = frozenset(tuple(m.split(":", 1)) for m in found.get("muted", ()))
    return Preferences(
        muted,
        parse_time(found.get("quiet_from") or None),
        parse_time(found.get("quiet_until") or None),
    )


def parse_time(value: str | None) -> time | None:
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidCommandError(f"{value!r} is not a time of day HH:MM") from None
    if len(value) != 5 or parsed.second or parsed.tzinfo:
        raise InvalidCommandError(f"{value!r} is not a time of day HH:MM")
    return parsed


def wanted(
    account: Account, message_kind: str, channels: tuple[str, ...], at: time
) -> tuple[str, ...]:
    """The channels of `channels` the parent wants this message on, at school-local `at`."""
    prefs = preferences_of(account)
    kind = KIND_OF_MESSAGE.get(message_kind)
    quiet = prefs.quiet_at(at)
    return tuple(
        c
        for c in channels
        if (kind is None or (kind, c) not in prefs.muted) and not (quiet and c in LOUD)
    )


def change_settings(
    account: Account,
    switches: list[tuple[str, str, bool]],
    quiet_from: str | None,
    quiet_until: str | None,
    keep_quiet_hours: bool,
) -> None:
    """Switch (kind, channel) on or off; a channel the tariff lacks cannot be switched on."""
    prefs = preferences_of(account)
    muted = set(prefs.muted)
    allowed = allowed_channels(account.tariff)
    if len(switches) > len(KINDS) * len(CHANNELS):
        raise InvalidCommandError("too many switches")
    for kind, channel, enabled in switches:
        if kind not in KINDS:
            raise InvalidCommandError(f"{kind!r} is not a kind of message")
        if channel not in CHANNELS:
            raise InvalidCommandError(f"{channel!r} is not a channel")
        if enabled and channel not in allowed:
            raise ChannelNotInTariffError(f"the tariff {account.tariff} has no {channel}")
        (muted.discard if enabled else muted.add)((kind, channel))
    if keep_quiet_hours:
        start, end = prefs.quiet_from, prefs.quiet_until
    else:
        start, end = parse_time(quiet_from), parse_time(quiet_until)
        if (start is None) != (end is None) or (start is not None and start == end):
            raise InvalidCommandError("quiet hours have a start and a different end, or none")
    new_muted = sorted(f"{k}:{c}" for k, c in muted)
    quiet = (start.strftime("%H:%M") if start else "", end.strftime("%H:%M") if end else "")
    old = preferences_of(account)
    if (frozenset(muted), start, end) != (old.muted, old.quiet_from, old.quiet_until):
        account.trigger_event(
            NotificationSettingsChanged, muted=new_muted, quiet_from=quiet[0], quiet_until=quiet[1]
        )


class ChannelNotInTariffError(InvalidCommandError):
    code = "channel_not_in_tariff"
