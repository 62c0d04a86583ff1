"""Per-request context: the services, the client address and the viewer (resolved lazily).

The context getter takes an `HTTPConnection` (a `Request` parameter breaks WebSocket
connects); over graphql-transport-ws the token comes in `connection_init`'s payload.
"""

from typing import Any

from fastapi import Depends
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from api.graphql.services import Services
from identity.service import Principal


class Context(BaseContext):
    def __init__(self, services: Services, address: str, authorization: str | None) -> None:
        super().__init__()
        self.services = services
        self.address = address
        self.authorization = authorization
        self._viewer: Principal | None = None
        self._resolved = False

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
    return Context(services, client_address(conn), conn.headers.get("authorization"))


ContextDependency = Depends(get_context)
