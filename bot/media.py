"""Files people send: what kind they are, whether we take them, and where they are kept.

A channel fetches the bytes (WeCom media/get, DingTalk's download code, the simulator's
upload) into an Upload; handlers decide what it becomes; store() keeps it once by its
SHA-256, in the database by default or in `file_store_dir`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.errors import DomainError
from models.files import DOCX, IMAGE, FileChunk, StoredFile

CHUNK_BYTES = 512 * 1024
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# the first bytes of each picture format we show on the draft page
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the sender gave it and its bytes."""

    name: str
    data: bytes
    declared_type: str = ""  # what the platform said it is, if anything


def image_type(data: bytes) -> str | None:
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_docx(data: bytes) -> bool:
    """A Word document is a zip holding word/document.xml (an old .doc is not)."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def kind_of(upload: Upload) -> str:
    """IMAGE or DOCX, or a DomainError naming what we take."""
    if image_type(upload.data):
        return IMAGE
    if is_docx(upload.data):
        return DOCX
    if upload.name.lower().endswith(".doc"):
        raise DomainError("draft.file_old_doc", name=upload.name)
    raise DomainError("draft.file_type", name=upload.name)


def check_size(settings: Settings, kind: str, size: int) -> None:
    limit = settings.draft_file_max_mb if kind == DOCX else settings.picture_max_mb
    if size > limit * 1024 * 1024:
        raise DomainError("draft.file_too_big", limit=limit, size=round(size / 1024 / 1024, 1))


def content_type(kind: str, data: bytes) -> str:
    return DOCX_TYPE if kind == DOCX else image_type(data) or "application/octet-stream"


def _path(directory: str, sha256: str) -> Path:
    return Path(directory) / sha256[:2] / sha256


def _write(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)  # whole or not at all


async def store(settings: Settings, upload: Upload, kind: str) -> StoredFile:
    """Keep the file once by its SHA-256 (a second copy of the same bytes is the same row)."""
    return await keep(settings, upload.name, upload.data, content_type(kind, upload.data))


async def keep(settings: Settings, name: str, data: bytes, type_: str) -> StoredFile:
    """Keep any bytes once by their SHA-256: files people send, and files the bot makes for
    them (review records, reports) until the outbox has delivered them."""
    digest = hashlib.sha256(data).hexdigest()
    existing = await StoredFile.get_or_none(sha256=digest)
    if existing is not None:
        return existing
    in_db = not settings.file_store_dir
    if not in_db:
        await asyncio.to_thread(_write, _path(settings.file_store_dir, digest), data)
    row = await StoredFile.create(sha256=digest, size=len(data), content_type=type_,
                                  name=name[:255], in_database=in_db)
    if in_db:
        for seq, start in enumerate(range(0, len(data), CHUNK_BYTES)):
            await FileChunk.create(file=row, seq=seq, data=data[start:start + CHUNK_BYTES])
    return row


async def load(settings: Settings, file: StoredFile) -> bytes:
    """The bytes of a stored file."""
    if file.in_database:
        chunks = await FileChunk.filter(file_id=file.id).order_by("seq").values_list("data",
                                                                                     flat=True)
        return b"".join(bytes(c) for c in chunks)
    return await asyncio.to_thread(_path(settings.file_store_dir, file.sha256).read_bytes)


async def head(settings: Settings, file: StoredFile, size: int = CHUNK_BYTES) -> bytes:
    """The first bytes of a stored file (a header is enough to read a photo's Exif)."""
    if file.in_database:
        first = await FileChunk.filter(file_id=file.id, seq=0).values_list("data", flat=True)
        return bytes(first[0])[:size] if first else b""

    def read() -> bytes:
        with _path(settings.file_store_dir, file.sha256).open("rb") as fh:
            return fh.read(size)

    return await asyncio.to_thread(read)
