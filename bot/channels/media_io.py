"""Files to and from a platform, the same way on each: bounded downloads, and the media ids
of uploaded files reused while the platform keeps them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp

from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, DomainError
from bot.events import OutgoingFile
from bot.media import load
from models.files import StoredFile

CHUNK = 64 * 1024
# WeCom and DingTalk both keep temporary media 3 days; reuse it for 2 to stay clear of it
MEDIA_REUSE = timedelta(days=2)

Upload = Callable[[str, bytes, str], Awaitable[str]]  # (name, bytes, type) -> media id


class TooLarge(Exception):
    """A file larger than the caller takes; its size as far as known."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size

    def refusal(self, max_bytes: int) -> DomainError:
        """What the sender is told."""
        return DomainError("draft.file_too_big", limit=round(max_bytes / 1024 / 1024),
                           size=round(self.size / 1024 / 1024, 1))


async def read_at_most(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The whole body, or TooLarge as soon as it (or its declared length) passes max_bytes."""
    if (resp.content_length or 0) > max_bytes:
        raise TooLarge(resp.content_length or 0)
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


class MediaIds:
    """Stored files uploaded to one platform, by file id, while their media id is good."""

    def __init__(self, settings: Settings, platform: str, sizes: tuple[int, int]) -> None:
        self.settings = settings
        self.platform = platform
        self.sizes = sizes  # the smallest and largest file the platform takes
        self._known: dict[int, tuple[str, datetime]] = {}

    async def media_id(self, file: OutgoingFile, upload: Upload) -> str:
        known = self._known.get(file.file_id)
        if known and utcnow() - known[1] < MEDIA_REUSE:
            return known[0]
        stored = await StoredFile.get_or_none(id=file.file_id)
        if stored is None:
            raise ChannelAPIError(0, f"stored file {file.file_id} is gone", retryable=False)
        low, high = self.sizes
        if not low <= stored.size <= high:
            raise ChannelAPIError(0, f"file of {stored.size} bytes: {self.platform} takes "
                                     f"{low} B to {high // 1024 // 1024} MB", retryable=False)
        media_id = await upload(file.name, await load(self.settings, stored), file.content_type)
        self._known[file.file_id] = (media_id, utcnow())
        return media_id
