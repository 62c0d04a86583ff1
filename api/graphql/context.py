"""Per-request context: the services, the client address and the viewer (resolved lazily).

The context getter takes an `HTTPConnection` (a `Request` parameter breaks WebSocket
connects); over graphql-transport-ws the token comes in `connection_init`'s payload.

The viewer is authenticated once per context: concurrent fields (a query's `account` and
`statement`) wait for the same session check. An HTTP request's context also keeps the
balances row of each contract it read: the account rule of every field on that contract
(`permissions.account`) and `Query.account` share one read, however many of the request's
fields name the contract. The first field's row is read in the session check's thread hop
when it will be wanted (`permissions.account` says when): one hand-off and one wait fewer.
A WebSocket's context lives as long as its connection, so it keeps no rows: each of its
reads is fresh.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from api.graphql import readmodels
from api.graphql.services import Services
from identity.service import Principal

Ahead = tuple[dict[str, Any] | None, BaseException | None]  # a row read ahead, or its error


class Context(BaseContext):
    def __init__(
        self, services: Services, address: str, authorization: str | None, per_request: bool = True
    ) -> None:
        super().__init__()
        self.services = services
        self.address = address
        self.authorization = authorization
        self._viewer: asyncio.Future[Principal | None] | None = None
        self._per_request = per_request
        self._accounts: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        # rows read with the session check, each its row or its read's error
        self._read_ahead: dict[str, Ahead] = {}

    def account_row(self, contract: str, fresh: bool = False) -> Awaitable[dict[str, Any] | None]:
        """The contract's balances row (`readmodels.account_by_contract`), read once per
        request; `fresh`: read again (after waiting for a position: read-your-writes)."""
        ahead = self._read_ahead.pop(contract, None)
        if ahead is not None and not fresh:
            done: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
            row, error = ahead
            if error is None:
                done.set_result(row)
            else:
                done.set_exception(error)
            self._accounts[contract] = done
        found = self._accounts.get(contract)
        if found is None or fresh or not self._per_request:
            services = self.services
            found = asyncio.ensure_future(
                services.read(readmodels.account_by_contract, contract, services.now())
            )
            if self._per_request:
                self._accounts[contract] = found
        return asyncio.shield(found)  # one field cancelled does not cancel the others' read

    def bearer(self) -> str | None:
        raw = self.authorization
        params: Any = self.connection_params
        if not raw and isinstance(params, dict):
            value = params.get("authorization") or params.get("Authorization")
            raw = value if isinstance(value, str) else None
        if raw and raw[:7].lower() == "bearer ":
            return raw[7:].strip()
        return None

    async def viewer(
        self, row_of: str | None = None, wanted: Callable[[Principal], bool] | None = None
    ) -> Principal | None:
        """The principal behind the bearer token, checked once. `row_of`: a contract whose
        balances row the first caller reads next when `wanted(principal)`: read in the same
        thread hop, after the session check (an HTTP request's context only)."""
        if self._viewer is None:
            token = self.bearer()
            if not token:
                self._viewer = asyncio.get_running_loop().create_future()
                self._viewer.set_result(None)
            else:
                if not self._per_request or row_of in self._accounts:
                    row_of = None
                self._viewer = asyncio.ensure_future(self._authenticate(token, row_of, wanted))
        return await asyncio.shield(self._viewer)  # one field cancelled leaves the others' check

    async def _authenticate(
        self, token: str, row_of: str | None, wanted: Callable[[Principal], bool] | None
    ) -> Principal | None:
        services = self.services

        def check() -> tuple[Principal | None, Ahead | None]:
            principal = services.identity.authenticate(token)
            if principal is None or row_of is None or wanted is None or not wanted(principal):
                return principal, None
            try:
                row = services.read_now(readmodels.account_by_contract, row_of, services.now())
            except Exception as error:  # the field that reads the row answers it
                return principal, (None, error)
            return principal, (row, None)

        try:
            principal, ahead = await services.run(check)
        except Exception:
            self._viewer = None  # asked again (a WebSocket's next operation), checked again
            raise
        if row_of is not None and ahead is not None:
            self._read_ahead[row_of] = ahead
        return principal

    def forget_viewer(self) -> None:
        self._viewer = None


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


async def get_context(conn: HTTPConnection) -> Context:
    services: Services = conn.app.state.graphql_services
    return Context(
        services,
        client_address(conn),
        conn.headers.get("authorization"),
        per_request=conn.scope["type"] == "http",
    )


ContextDependency = Depends(get_context)
