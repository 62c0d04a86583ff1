"""Content-addressed blobs (pupils' photos) on disk, referenced by their SHA-256.

A file lives at `<root>/<first two hex digits>/<sha256>`; writing the same bytes twice
stores them once. Who may see a blob is a separate table (sha256 × school): a photo is
served only to the staff and terminals of the schools it was stored for.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from uuid import UUID

import psycopg

from adapters import migrations

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_BLOB_BYTES = 5 * 1024 * 1024


class BlobStore:
    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.database_url = database_url

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)

    def put(self, data: bytes, school_id: UUID) -> str:
        """Store `data` (once) and let `school_id` see it; returns its SHA-256 in hex."""
        if not data or len(data) > MAX_BLOB_BYTES:
            raise ValueError(f"a blob is 1 byte to {MAX_BLOB_BYTES} bytes")
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)  # atomic: a reader sees the whole file or none
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO blob_access (sha256, school_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (digest, school_id),
            )
        return digest

    def readable_by(self, digest: str, school_id: UUID) -> bool:
        if not _SHA256.fullmatch(digest):
            return False
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM blob_access WHERE sha256 = %s AND school_id = %s",
                (digest, school_id),
            ).fetchone()
        return row is not None

    def read(self, digest: str) -> bytes | None:
        """The blob's bytes, checked against its hash (a damaged file reads as missing)."""
        if not _SHA256.fullmatch(digest):
            return None
        try:
            data = self._path(digest).read_bytes()
        except FileNotFoundError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest


def media_type(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
