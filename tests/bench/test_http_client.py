"""The bench's lean HTTP/1.1 client (`bench/http.py`) against a small asyncio server that
answers the ways uvicorn does: a Content-Length body, a chunked body, a closed connection."""

import asyncio

import pytest

from bench.http import Client, HttpError


async def serve(answers: list[bytes], seen: list[bytes]) -> tuple[asyncio.Server, str]:
    """Answers in turn, one per request; an empty answer closes the connection unanswered."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            seen.append(head + await reader.readexactly(length))
            answer = answers.pop(0)
            if not answer:
                writer.close()
                return
            writer.write(answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def test_bodies_by_length_and_chunked_on_one_kept_alive_connection() -> None:
    async def go() -> None:
        seen: list[bytes] = []
        server, base = await serve(
            [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
             b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n"],
            seen,
        )  # fmt: skip
        async with server, Client(base, connections=1) as client:
            first = await client.post("/taps", b'{"a":1}', {"X-Counter": "7"})
            second = await client.get("/x?since=3")
            assert (first.status, first.body) == (200, b"hello")
            assert (second.status, second.body) == (201, b"abcde")
            assert client.resent == 0
        assert seen[0].startswith(b"POST /taps HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"\r\nX-Counter: 7\r\nContent-Length: 7\r\n\r\n" in seen[0]
        assert seen[0].endswith(b'{"a":1}')
        assert seen[1].startswith(b"GET /x?since=3 HTTP/1.1\r\n")

    asyncio.run(go())


def test_a_kept_alive_connection_closed_by_the_server_is_sent_again_once_on_a_new_one() -> None:
    async def go() -> None:
        seen: list[bytes] = []
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        server, base = await serve([ok, b"", ok], seen)
        async with server, Client(base, connections=1) as client:
            assert (await client.post("/a", b"1")).body == b"ok"
            assert (await client.post("/a", b"2")).body == b"ok"
            assert client.resent == 1
        assert [s[-1:] for s in seen] == [b"1", b"2", b"2"]

    asyncio.run(go())


def test_no_answer_in_time_is_an_error() -> None:
    async def go() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, Client(f"http://127.0.0.1:{port}", timeout=0.2) as client:
            with pytest.raises(HttpError):
                await client.post("/a", b"")

    asyncio.run(go())


def test_an_answer_cut_off_mid_body_is_an_error_and_its_connection_is_not_kept() -> None:
    async def go() -> None:
        async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort")
            writer.close()

        server = await asyncio.start_server(cut, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, Client(f"http://127.0.0.1:{port}", timeout=5) as client:
            with pytest.raises(HttpError, match="IncompleteRead"):
                await client.post("/a", b"")
            assert client._idle == []

    asyncio.run(go())
