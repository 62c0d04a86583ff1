"""Who hears what: the notification channels of a message, by tariff and parent preference.

`info` messages (every purchase, pass, top-up, fee) go by push on `mobile` and by push and
SMS on `sms_plus`; `zero` gets none of them, only the monthly e-mail `statement`.
`service` messages (low balance, fee debt, failed autopayment, blocked card) go by e-mail on
every tariff, plus the tariff's push/SMS. A parent who switched notifications off
(`service_only`) still gets the service messages, and nothing else.
"""

from enum import StrEnum

from domain.kinds import Tariff


class NotificationChannel(StrEnum):
    """How a message reaches the parent."""

    EMAIL = "email"
    PUSH = "push"
    SMS = "sms"


EMAIL, PUSH, SMS = NotificationChannel.EMAIL, NotificationChannel.PUSH, NotificationChannel.SMS
INFO, SERVICE, STATEMENT = "info", "service", "statement"

_TARIFF_CHANNELS: dict[str, tuple[str, ...]] = {
    Tariff.ZERO: (),
    Tariff.MOBILE: (PUSH,),
    Tariff.SMS_PLUS: (PUSH, SMS),
}


def channels_for(importance: str, tariff: str, service_only: bool) -> tuple[str, ...]:
    extra = _TARIFF_CHANNELS.get(tariff, ())
    if importance == SERVICE:
        return (EMAIL, *extra)
    if service_only:
        return ()
    if importance == STATEMENT:
        return (EMAIL,)
    return extra
