"""Per-request context: the services, the client address and the viewer (resolved lazily).

The context getter takes an `HTTPConnection` (a `Request` parameter breaks WebSocket
connects); over graphql-transport-ws the token comes in `connection_init`'s payload.

An HTTP request's context also keeps the balances row of each contract it read: the account
rule of every field on that contract (`permissions.account`) and `Query.account` share one
read, however many of the request's fields name the contract. A WebSocket's context lives as
long as its connection, so it keeps nothing: each of its reads is fresh.
"""

import asyncio
from collections.abc import Awaitable
from typing import Any

from fastapi import Depends
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from api.graphql import readmodels
from api.graphql.services import Services
from identity.service import Principal


class Context(BaseContext):
    def __init__(
        self, services: Services, address: str, authorization: str | None, per_request: bool = True
    ) -> None:
        super().__init__()
        self.services = services
        self.address = address
        self.authorization = authorization
        self._viewer: Principal | None = None
        self._resolved = False
        self._per_request = per_request
        self._accounts: dict[str, asyncio.Future[dict[str, Any] | None]] = {}

    def account_row(self, contract: str, fresh: bool = False) -> Awaitable[dict[str, Any] | None]:
        """The contract's balances row (`readmodels.account_by_contract`), read once per
        request; `fresh`: read again (after waiting for a position: read-your-writes)."""
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

    async def viewer(self) -> Principal | None:
        if not self._resolved:
            token = self.bearer()
            if token:
                self._viewer = await self.services.run(self.services.identity.authenticate, token)
            self._resolved = True
        return self._viewer

    def forget_viewer(self) -> None:
        self._viewer, self._resolved = None, False


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
