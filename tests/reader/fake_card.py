"""A virtual contactless card speaking the vsmartcard-vpcd socket protocol.

vpcd (the virtual reader driver loaded by pcscd) listens on a TCP port; a card "is inserted"
by connecting to it and "removed" by closing the socket. Every message is a 2-byte big-endian
length and a payload: 1-byte payloads are control codes (00 power off, 01 power on, 02 reset,
04 get ATR), longer ones are C-APDUs answered by an R-APDU. The card answers the PC/SC part 3
GET DATA pseudo-APDU `FF CA 00 00 00` with its UID, as a reader's firmware would.

Run alone: `python tests/reader/fake_card.py 04A1B2C3D4E5F6 --port 35963 --hold 2`.
"""

import argparse
import socket
import struct
import threading
import time

ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")  # PC/SC part 3, Mifare 1K
GET_ATR = b"\x04"


def respond(apdu: bytes, uid: bytes) -> bytes:
    if apdu[:4] == b"\xff\xca\x00\x00":
        le = apdu[4] if len(apdu) > 4 else 0
        return uid + b"\x90\x00" if le in (0, len(uid)) else bytes([0x6C, len(uid)])
    return b"\x6d\x00"  # instruction not supported


def recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return data


def send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack("!H", len(payload)) + payload)


class FakeCard:
    """One card on one vpcd slot: `insert()` connects and serves APDUs, `remove()` closes."""

    def __init__(self, uid_hex: str, port: int, host: str = "127.0.0.1") -> None:
        self.uid = bytes.fromhex(uid_hex)
        self.host, self.port = host, port
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def insert(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:  # vpcd listens only once pcscd has loaded the driver
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self._stop.wait(0.05)
        self._sock.settimeout(0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        self._sock = self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                header = recv_exact(sock, 2)
            except TimeoutError:
                continue
            except (ConnectionError, OSError):
                return
            (size,) = struct.unpack("!H", header)
            sock.settimeout(5.0)
            try:
                message = recv_exact(sock, size) if size else b""
                if size == 1:
                    if message == GET_ATR:
                        send(sock, ATR)
                else:
                    self.apdus.append(message)
                    send(sock, respond(message, self.uid))
            except (ConnectionError, OSError):
                return
            finally:
                sock.settimeout(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("uid")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=35963)
    parser.add_argument("--hold", type=float, default=2.0)
    args = parser.parse_args()
    card = FakeCard(args.uid, args.port, args.host)
    card.insert()
    threading.Event().wait(args.hold)
    card.remove()


if __name__ == "__main__":
    main()
