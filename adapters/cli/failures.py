"""What a user error looks like at the command line: one line on stderr and a non-zero exit,
never a traceback. `main` wraps every command in `reported`; a programming error still shows
its traceback (it is a bug to report, not a user error).

Exit codes: 2 a bad value (argument, setting, domain refusal), 3 a server is unreachable.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis.exceptions
import typer

from adapters.clock import ClockSettingError
from adapters.gateways import GatewaySettingError
from adapters.identity.service import IdentityError
from adapters.settings import SettingsError
from adapters.terminal_auth import TerminalAuthError
from domain.errors import DomainError

BAD_VALUE, UNREACHABLE = 2, 3


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"infoshkola: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except (SettingsError, GatewaySettingError, ClockSettingError) as error:
        raise fail(first_line(error), BAD_VALUE) from None
    except (DomainError, IdentityError, TerminalAuthError) as error:
        raise fail(f"error [{error.code}]: {first_line(error)}", BAD_VALUE) from None
    except psycopg.OperationalError as error:
        raise fail(f"the database is unreachable: {first_line(error)}", UNREACHABLE) from None
    except redis.exceptions.ConnectionError as error:
        raise fail(f"Redis is unreachable: {first_line(error)}", UNREACHABLE) from None
