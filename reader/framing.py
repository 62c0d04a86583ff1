"""Framed records in an append-only file: each one says how long it is and proves it is whole.

A frame is `MAGIC (2) | length (4, big-endian) | payload | sha256(length | payload) (32)`.
Payloads are UTF-8 JSON, which never contains the byte 0xFF, and MAGIC starts with 0xFF: after
a damaged frame the scanner tries every later 0xFF byte as a frame start, so every frame whose
bytes are intact is found again, whatever was corrupted or cut off around it. A frame is
accepted only when its checksum matches, so a damaged one is reported and never returned.
"""

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"\xff\xa5"
HEADER = struct.Struct("!2sI")
DIGEST_SIZE = 32
MAX_PAYLOAD = 64 * 1024


def frame(payload: bytes) -> bytes:
    if not 0 < len(payload) <= MAX_PAYLOAD or b"\xff" in payload:
        raise ValueError("a payload is 1 byte to 64 KiB of UTF-8 text")
    length = struct.pack("!I", len(payload))
    return MAGIC + length + payload + hashlib.sha256(length + payload).digest()


@dataclass(frozen=True)
class Frame:
    offset: int
    end: int
    payload: bytes


@dataclass(frozen=True)
class Damage:
    """Bytes between `offset` and `end` that hold no whole frame."""

    offset: int
    end: int


def _frame_at(data: bytes, offset: int) -> Frame | None:
    if data[offset : offset + 2] != MAGIC or offset + HEADER.size > len(data):
        return None
    _, length = HEADER.unpack_from(data, offset)
    start = offset + HEADER.size
    end = start + length + DIGEST_SIZE
    if not 0 < length <= MAX_PAYLOAD or end > len(data):
        return None
    payload = data[start : start + length]
    digest = hashlib.sha256(data[offset + 2 : start] + payload).digest()
    return Frame(offset, end, payload) if digest == data[start + length : end] else None


def scan(data: bytes, base: int = 0) -> Iterator[Frame | Damage]:
    """Whole frames in file order, with a `Damage` for every stretch of bytes that is not one.

    `data` is the file from offset `base` on; reported offsets are offsets in the file.
    """
    offset = 0
    while offset < len(data):
        found = _frame_at(data, offset)
        if found is not None:
            yield Frame(base + found.offset, base + found.end, found.payload)
            offset = found.end
            continue
        resume = data.find(MAGIC[:1], offset + 1)
        while resume != -1 and _frame_at(data, resume) is None:
            resume = data.find(MAGIC[:1], resume + 1)
        end = len(data) if resume == -1 else resume
        yield Damage(base + offset, base + end)
        offset = end


class FramedFile:
    """An append-only file of frames; every append is on disk (fsync) before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the file's directory entry survives a power cut too
        finally:
            os.close(dir_fd)

    def append(self, payload: bytes) -> int:
        """Write one frame and return its offset."""
        data = frame(payload)
        offset = os.lseek(self._fd, 0, os.SEEK_END)
        written = os.write(self._fd, data)
        if written != len(data):
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")
        os.fsync(self._fd)
        return offset

    def read(self, start: int = 0) -> bytes:
        with self.path.open("rb") as file:
            file.seek(start)
            return file.read()

    def close(self) -> None:
        os.close(self._fd)
