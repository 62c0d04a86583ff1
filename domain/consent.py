"""Consent to the processing of personal data (152-FZ art. 9): given and withdrawn, as events.

One `Consent` record per account. The parent consents at the kiosk when activating the card
(with the offer); each representative consents from their own login before the first use.
An event records who (`holder`: "parent" or "representative:<login id>"), the version of
the text accepted and the SHA-256 of that exact text; its timestamp is when. Withdrawal is an
event too; what it erases, and when, is `docs/PRIVACY.md` (the retention schedule).
"""

import hashlib
from typing import TYPE_CHECKING
from uuid import UUID

from domain.account_record import AccountRecord
from domain.errors import ConflictError, InvalidCommandError
from domain.fields import CODE, REASON, REF, text
from domain.recorded import Recorded

PARENT = "parent"
REPRESENTATIVE = "representative:"

# The texts a parent or a representative may accept, by version (never edited once used:
# a new wording is a new version, so the digest recorded always matches its text).
TEXTS: dict[str, str] = {
    "pd-2026-01": (
        "Я даю согласие оператору системы «Инфошкола» на обработку моих персональных данных и "
        "персональных данных моего ребёнка (фамилия, имя, класс, фотография, номер телефона, "
        "адрес электронной почты, банковские реквизиты для возврата средств) в целях "
        "исполнения договора об учётном счёте, уведомлений и возврата средств, в соответствии "
        "с Федеральным законом № 152-ФЗ «О персональных данных». Согласие действует до его "
        "отзыва; отзыв подаётся в личном кабинете. После отзыва контактные данные и фотография "
        "уничтожаются сразу, а данные, необходимые для бухгалтерского учёта, хранятся в "
        "сроки, установленные законом, и затем уничтожаются."
    ),
}
CURRENT = "pd-2026-01"


class ConsentError(InvalidCommandError):
    code = "consent"


class ConsentStateError(ConflictError):
    code = "privacy_state"


def digest(version: str) -> str:
    return hashlib.sha256(TEXTS[version].encode()).hexdigest()


def check_version(version: object) -> str:
    version = text(version, CODE, what="the consent's version")
    if version not in TEXTS:
        raise ConsentError(f"consent version {version!r} is unknown (current: {CURRENT})")
    return version


def check_holder(holder: object) -> str:
    holder = text(holder, REF, what="who consents")
    if holder != PARENT and not holder.startswith(REPRESENTATIVE):
        raise ConsentError("consent is given by the parent or a representative")
    return holder


class Consent(AccountRecord):
    TOPIC = "infoshkola.consent.Consent"
    KIND = "consent"

    class Started(AccountRecord.Started):
        TOPIC = "infoshkola.consent.Started"

        def apply(self, consent: "Consent") -> None:
            super().apply(consent)
            consent.given, consent.withdrawn = {}, {}

    class Given(Recorded.Event):
        TOPIC = "infoshkola.consent.Given"
        holder: str
        version: str
        text_sha256: str

        def apply(self, consent: "Consent") -> None:
            consent.given = {**consent.given, self.holder: self.version}
            consent.withdrawn = {k: v for k, v in consent.withdrawn.items() if k != self.holder}

    class Withdrawn(Recorded.Event):
        TOPIC = "infoshkola.consent.Withdrawn"
        holder: str
        reason: str

        def apply(self, consent: "Consent") -> None:
            consent.given = {k: v for k, v in consent.given.items() if k != self.holder}
            consent.withdrawn = {**consent.withdrawn, self.holder: self.reason}

    if TYPE_CHECKING:
        given: dict[str, str]  # holder -> version in force
        withdrawn: dict[str, str]  # holder -> why (until given again)

    def give(self, holder: str, version: str) -> bool:
        """Record the consent; False (nothing recorded) when that version is already in force."""
        holder, version = check_holder(holder), check_version(version)
        if self.given.get(holder) == version:
            return False
        self.trigger_event(self.Given, holder=holder, version=version, text_sha256=digest(version))
        return True

    def withdraw(self, holder: str, reason: str, implied: bool = False) -> None:
        """`implied`: the parent's consent came with the offer, before consents were recorded."""
        holder = check_holder(holder)
        reason = text(reason, REASON, what="why consent is withdrawn")
        if holder not in self.given and (not implied or holder in self.withdrawn):
            raise ConsentStateError(f"{holder} has no consent in force to withdraw")
        self.trigger_event(self.Withdrawn, holder=holder, reason=reason)


def consent_id(account_id: UUID) -> UUID:
    return Consent.record_id(account_id)
