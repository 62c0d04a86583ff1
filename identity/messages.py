"""Identity's SMS (passwords, reset codes, kiosk PINs, "contract added") go out through the
workers' outbox, written in the transaction that creates or changes the credential.

So a committed password always has its message (and a rolled-back one has none), a request
does no network at all (the workers' feed hands the row to a worker, which retries a failed
send with backoff), and the text, which holds the secret, is emptied from the row as soon as
it is sent or can no longer be (`adapters/outbox.py`). A newer password, code or PIN for the
same login supersedes an older one still waiting, so the parent never receives a stale one
after the fresh one.
"""

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg

from adapters.outbox import Outgoing, add_secret, message_exists
from domain.notifications import SMS

PASSWORD, RESET_CODE, CONTRACT_ADDED, KIOSK_PIN = (
    "login_password",
    "reset_code",
    "contract_added",
    "kiosk_pin",
)
TITLES = {
    PASSWORD: "Пароль Инфошколы",
    RESET_CODE: "Код для смены пароля",
    CONTRACT_ADDED: "Договор добавлен",
    KIOSK_PIN: "ПИН-код для автомата",
}


def login_subject(principal_id: UUID) -> str:
    return f"identity:login:{principal_id}"


def account_subject(account_id: UUID) -> str:
    return f"identity:account:{account_id}"


def message_id(key: str | None) -> str:
    """`key` names a request that must send once (an activation); else a fresh id."""
    return f"identity/{key or uuid4()}:{SMS}"


def already_sent(conn: psycopg.Connection[Any], key: str | None) -> bool:
    return key is not None and message_exists(conn, message_id(key))


def queue_sms(
    conn: psycopg.Connection[Any],
    *,
    phone: str,
    kind: str,
    text: str,
    subject: str,
    account_id: UUID | None = None,
    key: str | None = None,
    expires_in: timedelta | None = None,
) -> bool:
    """Write the SMS into the outbox inside the caller's transaction."""
    outgoing = Outgoing(message_id(key), account_id, subject, SMS, kind, TITLES[kind], text, phone)
    return add_secret(conn, outgoing, supersede=kind != CONTRACT_ADDED, expires_in=expires_in)


def queue_login_sms(
    conn: psycopg.Connection[Any], login: UUID, phone: str, kind: str, text: str, **options: Any
) -> bool:
    """`queue_sms` about the login `login` (its password, a reset code): a newer one for the
    same login supersedes it. `options`: `account_id`, `key`, `expires_in` of `queue_sms`."""
    return queue_sms(
        conn, phone=phone, kind=kind, text=text, subject=login_subject(login), **options
    )
