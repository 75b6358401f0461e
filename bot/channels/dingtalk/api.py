"""钉钉 OpenAPI over the shared aiohttp session: one cached access token (refreshed
early), the legacy oapi media upload, and every answer mapped to our errors by
api_error(). PROTOCOLS.md §6–8.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot import redact
from bot.channels.base import Session
from bot.channels.media_io import read_at_most
from bot.clock import utcnow
from bot.config import Settings
from bot.errors import ChannelAPIError, ChannelNetworkError

TOKEN_MARGIN = timedelta(minutes=5)
RETRYABLE_ERRCODES = frozenset({-1, 130101})  # system busy; custom robot "send too fast"
# the legacy (oapi) answers for a bad or expired access_token: refresh once and retry
OAPI_TOKEN_ERRORS = frozenset({40014, 42001, 88})


def multipart_media(boundary: str, name: str, data: bytes, content_type: str) -> bytes:
    """media/upload's form: the field `type` (file) and the file part `media`."""
    shown = name.replace("\\", "_").replace('"', "'").replace("\r", " ").replace("\n", " ")
    return (f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="type"\r\n\r\nfile\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="media"; filename="{shown}"\r\n'
            f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()



def api_error(status: int, data: Any) -> ChannelAPIError | None:
    """The one place DingTalk answers become errors (old errcode style and new HTTP style)."""
    if isinstance(data, Mapping) and data.get("errcode") not in (None, 0, "0"):
        try:
            code = int(data["errcode"])
        except (TypeError, ValueError):
            code = -1
        return ChannelAPIError(code, str(data.get("errmsg", "")),
                               retryable=code in RETRYABLE_ERRCODES)
    if status < 300:
        if isinstance(data, Mapping) and data.get("success") is False:
            return ChannelAPIError(status, str(data.get("errorMsg") or data), retryable=False)
        return None
    detail = (f"{data.get('code', '')}: {data.get('message', '')}"
              if isinstance(data, Mapping) else str(data)[:200])
    return ChannelAPIError(status, detail, retryable=status in (401, 408, 429) or status >= 500)


class DingTalkAPI:
    """api.dingtalk.com over aiohttp: one cached access token, errors mapped by api_error()."""

    def __init__(self, settings: Settings, session: Session) -> None:
        self.settings = settings
        self._session = session
        self._token = ""
        self._expires = datetime.min.replace(tzinfo=UTC)
        self._lock = asyncio.Lock()

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session()

    async def request(self, method: str, url: str, body: Any = None,
                      headers: Mapping[str, str] | None = None, *,
                      raw: bytes | None = None) -> tuple[int, Any]:
        try:
            async with self.session.request(method, url, json=body, data=raw,
                                            headers=dict(headers or {})) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelNetworkError(f"{method} {url.split('?')[0]}: {exc!r}") from exc
        try:
            return status, json.loads(text) if text else {}
        except json.JSONDecodeError:
            return status, text

    async def token(self) -> str:
        """The app's access token, fetched once and refreshed five minutes early."""
        async with self._lock:
            if self._token and utcnow() < self._expires:
                return self._token
            status, data = await self.request(
                "POST", self.settings.dingtalk_api_base + "/v1.0/oauth2/accessToken",
                {"appKey": self.settings.dingtalk_app_key,
                 "appSecret": self.settings.dingtalk_app_secret})
            error = api_error(status, data)
            if error is None and not (isinstance(data, Mapping) and data.get("accessToken")):
                error = ChannelAPIError(status, "no accessToken in answer", retryable=True)
            if error:
                raise error
            self._token = data["accessToken"]
            redact.register(self._token)
            self._expires = utcnow() + timedelta(seconds=int(data.get("expireIn", 7200)))
            self._expires -= TOKEN_MARGIN
            return self._token

    def reset_token(self) -> None:
        self._token = ""

    async def call(self, method: str, path: str, body: Any) -> Any:
        """An authenticated api.dingtalk.com call; a 401 resets the token and retries once."""
        for attempt in (1, 2):
            headers = {"x-acs-dingtalk-access-token": await self.token()}
            status, data = await self.request(method, self.settings.dingtalk_api_base + path,
                                              body, headers)
            if status == 401 and attempt == 1:
                self.reset_token()
                continue
            error = api_error(status, data)
            if error:
                raise error
            return data
        raise AssertionError("unreachable")

    async def upload(self, name: str, data: bytes, content_type: str) -> str:
        """上传媒体文件: POST {oapi}/media/upload?access_token= (multipart: type=file and the
        file as `media`); the app's access token serves the legacy API too. The media_id."""
        boundary = "govmedia" + uuid.uuid4().hex
        body = multipart_media(boundary, name, data, content_type)
        for attempt in (1, 2):
            token = await self.token()
            status, answer = await self.request(
                "POST", f"{self.settings.dingtalk_oapi_base}/media/upload?access_token={token}",
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, raw=body)
            error = api_error(status, answer)
            if error is not None and error.errcode in OAPI_TOKEN_ERRORS and attempt == 1:
                self.reset_token()
                continue
            if error is not None:
                raise error
            media_id = answer.get("media_id") if isinstance(answer, Mapping) else None
            if not isinstance(media_id, str) or not media_id:
                raise ChannelNetworkError("media/upload: answer without media_id")
            return media_id
        raise AssertionError("unreachable")

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes behind a short-lived download URL, read no further than max_bytes."""
        try:
            async with self.session.get(url) as resp:
                if resp.status != 200:
                    raise ChannelAPIError(resp.status, "download refused",
                                          retryable=resp.status >= 500)
                return await read_at_most(resp, max_bytes)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelNetworkError(f"download: {exc!r}") from exc

    async def webhook(self, url: str, body: Any) -> Any:
        """POST to a webhook (sessionWebhook, custom robot): errcode-style answers."""
        status, data = await self.request("POST", url, body)
        error = api_error(status, data)
        if error:
            raise error
        return data
