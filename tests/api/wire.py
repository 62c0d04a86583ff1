"""HTTP/1.1 by hand over one socket: to send half a body, see an answer arrive before the body
is finished, and go on on the same connection. Plus which connection an httpx answer used."""

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tests.problems import problem_code

READ_TIMEOUT = 30.0  # bounds a hang (the failure), never a measured duration


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def error_code(self) -> str:
        return problem_code(self)


class Wire:
    """One keep-alive connection to the server."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = f"{parts.hostname}:{parts.port}"
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.sock.settimeout(READ_TIMEOUT)
        self.pending = b""

    def close(self) -> None:
        self.sock.close()

    def head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def chunk(self, data: bytes) -> None:
        self.sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def end_chunks(self) -> None:
        self.sock.sendall(b"0\r\n\r\n")

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        self.head(method, path, {**(headers or {}), "Content-Length": str(len(body))})
        self.sock.sendall(body)
        return self.answer()

    def answer(self) -> Answer:
        """Read one response (Content-Length framed, as the app answers)."""
        while b"\r\n\r\n" not in self.pending:
            self.pending += self.received()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        size = int(headers.get("content-length", "0"))
        while len(self.pending) < size:
            self.pending += self.received()
        body, self.pending = self.pending[:size], self.pending[size:]
        return Answer(int(status_line.split()[1]), headers, body)

    def received(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data


def local_port(response: httpx.Response) -> int:
    """The client-side port of the connection that carried `response`."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])
