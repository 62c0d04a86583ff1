"""Identity: logins, sessions and credentials delivered by SMS.

Passwords and reset codes are generated here, hashed with argon2id, and written for the phone
on record into the workers' outbox in the same transaction (`identity/messages.py`):
nothing here talks to the SMS gateway. They never appear in a return value, a response or a
log.
Access tokens live minutes; the session row behind them is checked on every request, so
logout, a password change, a reset by support or disabling the login revoke at once.
"""

import hashlib
import logging
import secrets as token_source
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, LiteralString
from uuid import UUID, uuid4

import psycopg

from adapters import migrations
from adapters.postgres import checked_pool
from domain.clock import Clock, event_clock
from identity import messages, secrets, throttle, tokens

log = logging.getLogger("infoshkola.identity")


class Role(StrEnum):
    PARENT = "parent"
    REPRESENTATIVE = "representative"
    CANTEEN_OPERATOR = "canteen_operator"
    SCHOOL_ADMIN = "school_admin"
    SUPPORT = "support"
    AUDITOR = "auditor"


STAFF_ROLES = (Role.CANTEEN_OPERATOR, Role.SCHOOL_ADMIN, Role.SUPPORT, Role.AUDITOR)
SPANNING_ROLES = (Role.SUPPORT, Role.AUDITOR)  # may span several or all schools


class Access(StrEnum):
    MANAGE = "manage"  # the parent holding the contract
    READ = "read"  # a representative the parent added


class IdentityError(Exception):
    code = "identity_error"


class LoginRefusedError(IdentityError):
    """Wrong name or password, or an unknown name: the same answer for all three."""

    code = "invalid_credentials"


class ThrottledError(IdentityError):
    code = "throttled"


class WeakPasswordError(IdentityError):
    code = "weak_password"


class InvalidResetCodeError(IdentityError):
    code = "invalid_reset_code"


class UnknownLoginError(IdentityError):
    code = "unknown_login"


class LoginNameTakenError(IdentityError):
    """The login name (a contract number, a phone) belongs to another kind of login."""

    code = "login_name_taken"


@dataclass(frozen=True)
class Grant:
    account_id: UUID
    contract_number: str
    access: Access


@dataclass(frozen=True)
class Principal:
    principal_id: UUID
    kind: str
    role: Role
    school_ids: frozenset[UUID] = frozenset()
    all_schools: bool = False
    grants: dict[UUID, Grant] = field(default_factory=dict)
    session_id: UUID | None = None


@dataclass(frozen=True)
class Issued:
    access_token: str
    refresh_token: str
    expires_at: datetime
    principal: Principal


@dataclass(frozen=True)
class IdentitySettings:
    jwt_secret: str | None = None
    access_ttl: timedelta = timedelta(minutes=15)
    session_ttl: timedelta = timedelta(days=30)
    reset_ttl: timedelta = timedelta(minutes=10)
    reset_attempts: int = 5
    limits: throttle.Limits = field(default_factory=throttle.Limits)


def refresh_hash(token: str) -> str:
    # A 256-bit random token: a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(token.encode()).hexdigest()


class Identity:
    """Every time here (a session's and a code's expiry, the throttle's window, a token's
    validity) is read from `clock`, the system's one injected clock; by default the one the
    composition root gave the event store."""

    def __init__(
        self,
        database_url: str,
        settings: IdentitySettings | None = None,
        clock: Clock = event_clock,
    ) -> None:
        self.settings = settings or IdentitySettings()
        self.clock = clock
        self.database_url = database_url
        self.pool = checked_pool(database_url, max_size=8)
        self._secret: str | None = self.settings.jwt_secret

    def close(self) -> None:
        self.pool.close()

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)
        self.prune()

    def prune(self) -> None:
        """Forget old login attempts and long-dead sessions (run at start-up)."""
        with self.pool.connection() as conn:
            now = self.clock()
            throttle.prune(conn, self.settings.limits.window, now)
            conn.execute(
                "DELETE FROM identity_sessions WHERE expires_at < %s", (now - timedelta(days=30),)
            )

    @property
    def secret(self) -> str:
        """JWT_SECRET when configured, else one random secret shared through the database."""
        if self._secret is None:
            with self.pool.connection() as conn:
                conn.execute(
                    "INSERT INTO identity_secret (id, secret) VALUES (1, %s)"
                    " ON CONFLICT (id) DO NOTHING",
                    (token_source.token_urlsafe(48),),
                )
                row = conn.execute("SELECT secret FROM identity_secret").fetchone()
            assert row is not None
            self._secret = str(row[0])
        return self._secret

    # Logging in and out

    def login(self, name: str, password: str, address: str, scope: str = "login") -> Issued:
        name = name.strip()
        with self.pool.connection() as conn:
            self._admit(conn, scope, name, address)
            row = conn.execute(
                "SELECT p.principal_id, p.password_hash, p.disabled FROM identity_names n"
                " JOIN identity_principals p USING (principal_id) WHERE n.name = %s",
                (name,),
            ).fetchone()
            stored = row[1] if row else None
            if not secrets.verify(stored, password) or row is None or row[2]:
                raise LoginRefusedError("wrong contract number or password")
            throttle.forget(conn, throttle.name_key(scope, name))
            throttle.take_back_one(conn, throttle.address_key(scope, address))
            return self._open_session(conn, row[0])

    def _admit(
        self,
        conn: psycopg.Connection[Any],
        scope: str,
        name: str,
        address: str | None = None,
        per_name: int | None = None,
    ) -> None:
        """Count this attempt on the name (and the client's address) before anything is
        checked; over a limit it is refused."""
        limits = self.settings.limits
        keys = {throttle.name_key(scope, name): per_name or limits.per_name}
        if address is not None:
            keys[throttle.address_key(scope, address)] = limits.per_address
        if not throttle.admit(conn, keys, limits.window, self.clock()):
            raise ThrottledError("too many attempts; try again later")

    def _open_session(self, conn: psycopg.Connection[Any], principal_id: UUID) -> Issued:
        session_id, refresh = uuid4(), token_source.token_urlsafe(32)
        now = self.clock()
        conn.execute(
            "INSERT INTO identity_sessions (session_id, principal_id, refresh_hash, expires_at)"
            " VALUES (%s, %s, %s, %s)",
            (session_id, principal_id, refresh_hash(refresh), now + self.settings.session_ttl),
        )
        principal = self._principal(conn, principal_id, session_id)
        assert principal is not None
        claims = tokens.Claims(principal_id, session_id)
        access = tokens.issue(self.secret, claims, self.settings.access_ttl, now)
        return Issued(access, f"{session_id}.{refresh}", now + self.settings.access_ttl, principal)

    def refresh(self, refresh_token: str) -> Issued:
        """A new access token for a live session (the refresh token is rotated)."""
        sid, _, raw = refresh_token.partition(".")
        try:
            session_id = UUID(sid)
        except ValueError:
            raise LoginRefusedError("invalid refresh token") from None
        now = self.clock()
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "SELECT s.principal_id FROM identity_sessions s"
                " JOIN identity_principals p USING (principal_id)"
                " WHERE s.session_id = %s AND s.refresh_hash = %s AND s.revoked_at IS NULL"
                " AND s.expires_at > %s AND NOT p.disabled FOR UPDATE OF s",
                (session_id, refresh_hash(raw), now),
            ).fetchone()
            if row is None:
                raise LoginRefusedError("invalid refresh token")
            conn.execute(
                "UPDATE identity_sessions SET revoked_at = %s WHERE session_id = %s",
                (now, session_id),
            )
            return self._open_session(conn, row[0])

    def signed_in(self, access_token: str) -> bool:
        """Whether the token is genuine and valid now (its session is not looked up)."""
        return tokens.read(self.secret, access_token, self.clock()) is not None

    def authenticate(self, access_token: str) -> Principal | None:
        """The principal behind a valid token of a live session, else None."""
        claims = tokens.read(self.secret, access_token, self.clock())
        if claims is None:
            return None
        with self.pool.connection() as conn:
            return self._principal(conn, claims.principal_id, claims.session_id)

    def _principal(
        self, conn: psycopg.Connection[Any], principal_id: UUID, session_id: UUID
    ) -> Principal | None:
        # one round trip per request: the session, the principal and its grants together
        row = conn.execute(
            "SELECT p.kind, p.role, p.school_ids, p.all_schools,"
            " (SELECT coalesce(array_agg(ARRAY[g.account_id::text, g.contract_number, g.access]"
            "  ORDER BY g.contract_number), '{}') FROM identity_grants g"
            "  WHERE g.principal_id = p.principal_id)"
            " FROM identity_sessions s JOIN identity_principals p USING (principal_id)"
            " WHERE s.session_id = %s AND s.principal_id = %s AND s.revoked_at IS NULL"
            " AND s.expires_at > %s AND NOT p.disabled",
            (session_id, principal_id, self.clock()),
        ).fetchone()
        if row is None:
            return None
        grants = [(UUID(a), c, x) for a, c, x in row[4]]
        return Principal(
            principal_id,
            row[0],
            Role(row[1]),
            frozenset(row[2] or ()),
            bool(row[3]),
            {a: Grant(a, c, Access(x)) for a, c, x in grants},
            session_id,
        )

    def logout(self, session_id: UUID, every_session: bool = False) -> int:
        """End the session (or every session of its login): how many were live."""
        with self.pool.connection() as conn:
            ended = conn.execute(
                "UPDATE identity_sessions SET revoked_at = %s WHERE revoked_at IS NULL AND"
                " (session_id = %s OR (%s AND principal_id ="
                " (SELECT principal_id FROM identity_sessions WHERE session_id = %s)))",
                (self.clock(), session_id, every_session, session_id),
            )
            return int(ended.rowcount)

    @staticmethod
    def _named(
        conn: psycopg.Connection[Any], name: str, condition: LiteralString
    ) -> tuple[Any, ...] | None:
        """The principal id and phone of the login `name`, if it meets `condition`."""
        return conn.execute(
            "SELECT p.principal_id, p.phone FROM identity_names n"  # noqa: S608 - constant condition
            " JOIN identity_principals p USING (principal_id) WHERE n.name = %s AND " + condition,
            (name.strip(),),
        ).fetchone()

    def revoke_all(self, conn: psycopg.Connection[Any], principal_id: UUID) -> None:
        conn.execute(
            "UPDATE identity_sessions SET revoked_at = %s"
            " WHERE principal_id = %s AND revoked_at IS NULL",
            (self.clock(), principal_id),
        )

    def change_password(self, principal_id: UUID, old: str, new: str, address: str) -> None:
        """Check the old password (throttled like a login), set the new one, end every session."""
        if not secrets.acceptable_password(new):
            raise WeakPasswordError(
                f"a password is {secrets.MIN_PASSWORD} to {secrets.MAX_PASSWORD} characters"
            )
        with self.pool.connection() as conn:
            self._admit(conn, "password", str(principal_id))
            row = conn.execute(
                "SELECT password_hash FROM identity_principals WHERE principal_id = %s",
                (principal_id,),
            ).fetchone()
            if row is None or not secrets.verify(row[0], old):
                raise LoginRefusedError("wrong password")
            with conn.transaction():
                self._set_password(conn, principal_id, new)
                self.revoke_all(conn, principal_id)

    def _set_password(self, conn: psycopg.Connection[Any], principal_id: UUID, new: str) -> None:
        conn.execute(
            "UPDATE identity_principals SET password_hash = %s WHERE principal_id = %s",
            (secrets.hash_secret(new), principal_id),
        )

    def set_disabled(self, principal_id: UUID, disabled: bool) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE identity_principals SET disabled = %s WHERE principal_id = %s",
                (disabled, principal_id),
            )
            if disabled:
                self.revoke_all(conn, principal_id)

    # Self-service reset by a one-time SMS code

    def request_reset(self, name: str, address: str) -> None:
        """Queue a one-time code for the login's phone; silent for unknown names.

        Both answers do the same work and no network: the throttle, one lookup, one argon2
        hash; a known name also writes the code and its SMS (the outbox) in one transaction.
        """
        with self.pool.connection() as conn:
            self._admit(conn, "reset", name, address, per_name=3)
            with conn.transaction():
                row = self._named(conn, name, "NOT p.disabled AND p.phone IS NOT NULL")
                if row is None:
                    secrets.hash_secret("000000")  # the same work as for a known name
                    return
                code = secrets.new_code()
                conn.execute(
                    "INSERT INTO identity_reset_codes (principal_id, code_hash, expires_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (principal_id) DO UPDATE SET"
                    " code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at,"
                    " attempts = 0",
                    (row[0], secrets.hash_secret(code), self.clock() + self.settings.reset_ttl),
                )
                text = f"Код для смены пароля Инфошколы: {code}. Никому его не сообщайте."
                late = self.settings.reset_ttl  # a late code is useless: never sent
                messages.queue_login_sms(
                    conn, row[0], row[1], messages.RESET_CODE, text, expires_in=late
                )

    def reset_password(self, name: str, code: str, new: str, address: str) -> None:
        if not secrets.acceptable_password(new):
            raise WeakPasswordError(
                f"a password is {secrets.MIN_PASSWORD} to {secrets.MAX_PASSWORD} characters"
            )
        with self.pool.connection() as conn:
            self._admit(conn, "reset-code", name, address)
            with conn.transaction():
                row = conn.execute(
                    "SELECT c.principal_id, c.code_hash FROM identity_names n"
                    " JOIN identity_reset_codes c USING (principal_id)"
                    " WHERE n.name = %s AND c.expires_at > %s AND c.attempts < %s"
                    " FOR UPDATE OF c",
                    (name.strip(), self.clock(), self.settings.reset_attempts),
                ).fetchone()
                if row is None or not secrets.verify(row[1], code):
                    if row is not None:
                        conn.execute(
                            "UPDATE identity_reset_codes SET attempts = attempts + 1"
                            " WHERE principal_id = %s",
                            (row[0],),
                        )
                    else:
                        secrets.verify(None, code)
                    raise InvalidResetCodeError("the code is wrong or expired")
                conn.execute("DELETE FROM identity_reset_codes WHERE principal_id = %s", (row[0],))
                self._set_password(conn, row[0], new)
                self.revoke_all(conn, row[0])

    # Provisioning

    def grant_parent(
        self,
        contract_number: str,
        account_id: UUID,
        phone: str,
        access: Access = Access.MANAGE,
        *,
        key: str | None = None,
    ) -> UUID:
        """Attach a contract to the parent (or representative) login of `phone`.

        A new login gets a password by SMS; an existing one (a second child, a grandparent
        added to another grandchild) keeps its password and is told by SMS. Granting again a
        contract the login already holds (the parent activating again, the operator
        re-granting) sets and sends a FRESH password and ends the login's sessions. The login
        and its SMS are committed together (the outbox); with `key`, a repeat of the same
        request (a replayed activation) changes and sends nothing.
        """
        kind = "parent" if access == Access.MANAGE else "representative"
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 11))", (phone,))
            row = conn.execute(
                "SELECT principal_id FROM identity_principals WHERE kind = %s AND phone = %s",
                (kind, phone),
            ).fetchone()
            if row is not None and messages.already_sent(conn, key):
                return UUID(str(row[0]))
            principal_id, password = self._parent_login(conn, kind, phone, account_id, row)
            conn.execute(
                "INSERT INTO identity_grants (principal_id, account_id, contract_number, access)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (principal_id, account_id)"
                " DO UPDATE SET access = EXCLUDED.access",
                (principal_id, account_id, contract_number, access.value),
            )
            name = contract_number if access == Access.MANAGE else phone
            # A name moves between logins of the same kind only (a contract to its new
            # parent), never away from a staff user or across kinds.
            conn.execute(
                "INSERT INTO identity_names (name, principal_id) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET principal_id = EXCLUDED.principal_id"
                " WHERE identity_names.principal_id IN"
                " (SELECT principal_id FROM identity_principals WHERE kind = %s)",
                (name, principal_id, kind),
            )
            owner = conn.execute(
                "SELECT principal_id FROM identity_names WHERE name = %s", (name,)
            ).fetchone()
            if owner is None or owner[0] != principal_id:
                raise LoginNameTakenError(f"login name {name!r} belongs to another kind of login")
            if password is not None:
                kind_of_sms, text = messages.PASSWORD, f"Инфошкола: вход {name}, пароль {password}"
            else:
                kind_of_sms = messages.CONTRACT_ADDED
                text = f"Инфошкола: договор {contract_number} добавлен к вашему входу"
            messages.queue_login_sms(
                conn, principal_id, phone, kind_of_sms, text, account_id=account_id, key=key
            )
        log.info("login %s now holds contract %s (%s)", principal_id, contract_number, access)
        return principal_id

    def _parent_login(
        self,
        conn: psycopg.Connection[Any],
        kind: str,
        phone: str,
        account_id: UUID,
        row: tuple[Any, ...] | None,
    ) -> tuple[UUID, str | None]:
        """The login of `phone` and the fresh password it needs: a new login, or a contract
        it already holds granted again (its sessions end); None for a contract added."""
        if row is None:
            principal_id, password = uuid4(), secrets.new_password()
            conn.execute(
                "INSERT INTO identity_principals (principal_id, kind, role, phone,"
                " password_hash, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (principal_id, kind, kind, phone, secrets.hash_secret(password), self.clock()),
            )
            return principal_id, password
        principal_id = UUID(str(row[0]))
        held = conn.execute(
            "SELECT 1 FROM identity_grants WHERE principal_id = %s AND account_id = %s",
            (principal_id, account_id),
        ).fetchone()
        if held is None:
            return principal_id, None
        password = secrets.new_password()
        self._set_password(conn, principal_id, password)
        self.revoke_all(conn, principal_id)
        return principal_id, password

    def reset_access(self, contract_number: str) -> bool:
        """Support: a fresh password by SMS to the contract's parent; every session ends."""
        password = secrets.new_password()
        with self.pool.connection() as conn, conn.transaction():
            row = self._named(conn, contract_number, "p.kind = 'parent'")
            if row is None or row[1] is None:
                return False
            self._set_password(conn, row[0], password)
            conn.execute(
                "UPDATE identity_principals SET disabled = false WHERE principal_id = %s",
                (row[0],),
            )
            self.revoke_all(conn, row[0])
            text = f"Инфошкола: новый пароль для входа {contract_number}: {password}"
            messages.queue_login_sms(conn, row[0], row[1], messages.PASSWORD, text)
        return True

    def create_staff(
        self,
        username: str,
        password: str,
        role: Role,
        school_ids: Iterable[UUID] = (),
        all_schools: bool = False,
    ) -> UUID:
        if role not in STAFF_ROLES:
            raise IdentityError(f"{role} is not a staff role")
        if all_schools and role not in SPANNING_ROLES:
            raise IdentityError("only support and auditors may span every school")
        username = username.strip()
        if not 3 <= len(username) <= 64 or not username.isprintable() or " " in username:
            raise IdentityError("a username is 3 to 64 printable characters without spaces")
        schools = sorted(set(school_ids))
        if not schools and not all_schools:
            raise IdentityError("a staff user is bound to at least one school")
        if len(schools) > 1 and role not in SPANNING_ROLES:
            raise IdentityError(f"a {role} is bound to one school")
        if not secrets.acceptable_password(password):
            raise WeakPasswordError(
                f"a password is {secrets.MIN_PASSWORD} to {secrets.MAX_PASSWORD} characters"
            )
        principal_id = uuid4()
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO identity_principals (principal_id, kind, role, password_hash,"
                " school_ids, all_schools, created_at) VALUES (%s, 'staff', %s, %s, %s, %s, %s)",
                (
                    principal_id,
                    role.value,
                    secrets.hash_secret(password),
                    schools,
                    all_schools,
                    self.clock(),
                ),
            )
            try:
                conn.execute(
                    "INSERT INTO identity_names (name, principal_id) VALUES (%s, %s)",
                    (username, principal_id),
                )
            except psycopg.errors.UniqueViolation:
                raise IdentityError(f"login name {username!r} is taken") from None
        return principal_id

    def has_login(self, name: str) -> bool:
        try:
            self.principal_of(name)
        except UnknownLoginError:
            return False
        return True

    def principal_of(self, name: str) -> UUID:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT principal_id FROM identity_names WHERE name = %s", (name.strip(),)
            ).fetchone()
        if row is None:
            raise UnknownLoginError(f"no login named {name!r}")
        return UUID(str(row[0]))

    def holders(self, account_id: UUID) -> list[UUID]:
        """Logins that may see an account (for tests and support tools)."""
        with self.pool.connection() as conn:
            found = conn.execute(
                "SELECT principal_id FROM identity_grants WHERE account_id = %s", (account_id,)
            ).fetchall()
        return [r[0] for r in found]
