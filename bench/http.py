"""A lean HTTP/1.1 client for the bench's load: keep-alive connections over asyncio streams.

The bench's client shares the machine's two cores with the server it measures, so its CPU
per request is part of every figure: httpx spent about 2 ms per tap (its pool scans, header
models, the `Response` object), as much as the API process. This client writes one request
as one bytes object and reads the answer by its `Content-Length` (or chunked, as uvicorn
streams when there is none), on connections it keeps open. It is only what the bench needs:
`POST`/`GET` to one server, no redirects, cookies, proxies, compression or TLS.

Measured against a trivial uvicorn app on this machine (16 connections, 6,000 requests of a
tap's size, CPU time of the client process per request): this client 0.02 ms, aiohttp 3.14
(already installed, through pywebpush) 0.08–0.10 ms, httpx 1.7 ms. aiohttp would also do: the
difference is a few per cent of the server's CPU per tap.

A request that fails (a dropped connection, a timeout) raises `HttpError` and its connection
is closed; the caller decides whether to send it again (a terminal retries a tap).
"""

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class HttpError(Exception):
    """No answer: the connection failed, was closed, or the answer did not come in time."""


class ConnectionClosedError(HttpError):
    """The server closed the connection before answering (a kept-alive connection it timed
    out as the request went out: safe to send again on a new one)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = False  # a request went out on it before (the server may have timed it out)

    async def exchange(self, request: bytes) -> tuple[Answer, bool]:
        """(the answer, whether the connection may be used again)."""
        self.writer.write(request)
        reader = self.reader
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise ConnectionClosedError("closed before the answer") from None
            raise HttpError("the answer's head was cut off") from None
        lines = head[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, keep = -1, False, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep = b"close" not in value.lower()
        if chunked:
            body = await self._chunks()
        elif length >= 0:
            body = await reader.readexactly(length)
        else:  # no length: the body runs to the end of the connection
            body, keep = await reader.read(), False
        return Answer(status, body), keep

    async def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from uvicorn
                return b"".join(parts)
            parts.append((await self.reader.readexactly(size + 2))[:-2])  # the chunk's CRLF

    def close(self) -> None:
        self.writer.close()


class Client:
    """Up to `connections` kept-alive connections to `base` (`http://host:port`); a request
    waits for a free one (that wait is part of its latency, as in any pool)."""

    def __init__(self, base: str, connections: int = 16, timeout: float = 30.0) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http://host:port base, not {base!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self._host_header = f"Host: {parts.netloc}\r\n".encode()
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)
        self.resent = 0  # requests sent again after a kept-alive connection was closed

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def encode(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> bytes:
        """The request's bytes (can be made before it is due)."""
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self._host_header]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n".encode())
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        head.append(body)
        return b"".join(head)

    async def post(
        self, path: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> Answer:
        return await self.send(self.encode("POST", path, body, headers))

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        return await self.send(self.encode("GET", path, b"", headers))

    async def send(self, request: bytes) -> Answer:
        """One request on a kept-alive connection (a new one if none is idle). A request that
        went out on a reused connection the server had just closed is sent once more on a
        fresh one (nothing reached the server), as browsers and httpx do."""
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._send(request)
            except TimeoutError:
                raise HttpError(f"no answer in {self.timeout} s") from None
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as error:
                # refused, reset, cut off mid-answer, or not HTTP: no answer either way
                raise HttpError(repr(error)) from None

    async def _send(self, request: bytes) -> Answer:
        connection = self._idle.pop() if self._idle else None
        if connection is not None:
            try:
                return await self._exchange(connection, request)
            except (ConnectionClosedError, ConnectionResetError, BrokenPipeError):
                self.resent += 1  # the server timed the idle connection out: on a new one
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(_Connection(reader, writer), request)

    async def _exchange(self, connection: _Connection, request: bytes) -> Answer:
        keep = False
        try:
            answer, keep = await connection.exchange(request)
            return answer
        finally:
            if keep:
                self._idle.append(connection)
            else:
                with contextlib.suppress(Exception):
                    connection.close()
