"""The WeCom (企业微信 / 政务微信) REST API over the shared aiohttp session.

wechatpy's client is synchronous (requests) and hard-codes the gettoken host, so calls
go here instead: every path is relative to `api_base` (政务微信 runs its own host), the
access token is cached with a margin and refreshed by one caller at a time, and every
errcode is mapped to our errors in one function (check_response).
Error codes: https://developer.work.weixin.qq.com/document/path/90313
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

import aiohttp

from bot import redact
from bot.channels.base import Session
from bot.channels.media_io import read_at_most
from bot.errors import ChannelAPIError, ChannelNetworkError, RecipientError

log = logging.getLogger(__name__)

TOKEN_MARGIN_SECONDS = 300
BUSY = -1
# the token is bad or expired: refresh once and retry once
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# over a frequency or concurrency limit: back off through the outbox
RATE_LIMITED = frozenset({45009, 45033})
ALL_RECEIVERS_INVALID = 81013
IP_NOT_ALLOWED = 60020


class TokenExpired(ChannelAPIError):
    """The access token was refused; the caller refreshes and retries once."""


def check_response(data: Any, *, path: str) -> dict[str, Any]:
    """Raise the error an API answer stands for; return it when errcode is 0."""
    if not isinstance(data, dict):
        raise ChannelNetworkError(f"{path}: answer is not a JSON object")
    errcode = int(data.get("errcode", 0) or 0)
    errmsg = str(data.get("errmsg", ""))
    if errcode == 0:
        return data
    if errcode in TOKEN_ERRORS:
        raise TokenExpired(errcode, errmsg, retryable=True)
    if errcode == BUSY or errcode in RATE_LIMITED:
        raise ChannelAPIError(errcode, errmsg, retryable=True)
    if errcode == ALL_RECEIVERS_INVALID:
        raise RecipientError(errcode, errmsg)
    if errcode == IP_NOT_ALLOWED:
        _log_ip_not_allowed(errmsg)
        # retried: once the administrator adds the IP, the waiting messages go out
        raise ChannelAPIError(errcode, errmsg, retryable=True)
    raise ChannelAPIError(errcode, errmsg, retryable=False)


_ip_warned = False


def _log_ip_not_allowed(errmsg: str) -> None:
    global _ip_warned
    if _ip_warned:
        return
    _ip_warned = True
    log.error("wecom: errcode 60020 (%s). This server's public IP is not trusted by the app. "
              "Fix: WeCom admin console > 应用管理 > this app > 企业可信IP, add the IP shown "
              "in errmsg (政务微信: ask the platform operator to whitelist it).", errmsg)


def multipart_media(boundary: str, name: str, data: bytes, content_type: str) -> bytes:
    """The upload body exactly as doc 90253 shows it: one part named "media" whose
    Content-Disposition carries filename (the name shown to the receiver, raw UTF-8) and
    filelength."""
    shown = name.replace("\\", "_").replace('"', "'").replace("\r", " ").replace("\n", " ")
    head = (f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="media";filename="{shown}"; '
            f"filelength={len(data)}\r\n"
            f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n")
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


class WeComAPI:
    """Authenticated JSON calls to one WeCom app."""

    def __init__(self, session: Session, *, api_base: str, corp_id: str, secret: str) -> None:
        self._session = session
        self.api_base = api_base.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self._token = ""
        self._expires = 0.0  # time.monotonic() after which the token is not used
        self._lock = asyncio.Lock()

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session()

    async def token(self) -> str:
        """A cached token; only one caller fetches a new one, the others wait for it."""
        if self._token and time.monotonic() < self._expires:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            data = await self._request("GET", "/cgi-bin/gettoken",
                                       params={"corpid": self.corp_id, "corpsecret": self.secret})
            try:
                check_response(data, path="gettoken")
            except TokenExpired as exc:  # 40001 here means a wrong secret, not a stale token
                raise ChannelAPIError(exc.errcode, exc.errmsg, retryable=False) from None
            self._token = str(data["access_token"])
            redact.register(self._token)
            lifetime = int(data.get("expires_in", 7200))
            self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0)
            return self._token

    def _forget(self, token: str) -> None:
        # only the first caller that saw this token fail clears it; the rest reuse the new one
        if self._token == token:
            self._token, self._expires = "", 0.0

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with the access token; refresh and retry once when it is refused."""
        for attempt in (1, 2):
            token = await self.token()
            data = await self._request("POST", path, params={"access_token": token}, json=body)
            try:
                return check_response(data, path=path)
            except TokenExpired:
                self._forget(token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def upload(self, name: str, data: bytes, content_type: str,
                     kind: str = "file") -> str:
        """上传临时素材 (doc 90253): multipart/form-data with the part named "media" carrying
        filename, filelength and content-type; the media_id (valid three days)."""
        boundary = "govmedia" + secrets.token_hex(12)
        body = multipart_media(boundary, name, data, content_type)
        for attempt in (1, 2):
            token = await self.token()
            raw = await self._request(
                "POST", "/cgi-bin/media/upload", params={"access_token": token, "type": kind},
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            try:
                answer = check_response(raw, path="media/upload")
            except TokenExpired:
                self._forget(token)
                if attempt == 2:
                    raise
                continue
            media_id = str(answer.get("media_id") or "")
            if not media_id:
                raise ChannelNetworkError("media/upload: answer without media_id")
            return media_id
        raise AssertionError("unreachable")

    async def media(self, media_id: str, max_bytes: int) -> tuple[str, str, bytes]:
        """获取临时素材 (doc 90254): (file name, content type, bytes); an errcode answer is
        raised like any other, a file larger than max_bytes is a TooLarge."""
        for attempt in (1, 2):
            token = await self.token()
            try:
                return await self._download(token, media_id, max_bytes)
            except TokenExpired:
                self._forget(token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _download(self, token: str, media_id: str, max_bytes: int
                        ) -> tuple[str, str, bytes]:
        url = self.api_base + "/cgi-bin/media/get"
        params = {"access_token": token, "media_id": media_id}
        try:
            async with self.session.get(url, params=params) as resp:
                if resp.status != 200:
                    raise ChannelNetworkError(f"media/get: HTTP {resp.status}")
                if resp.content_type in ("application/json", "text/plain"):
                    # an error comes back as JSON in place of the file
                    check_response(await resp.json(content_type=None), path="media/get")
                    raise ChannelNetworkError("media/get: JSON answer without an errcode")
                data = await read_at_most(resp, max_bytes)
                disposition = resp.content_disposition
                name = (disposition.filename if disposition else None) or ""
                return name, resp.content_type, data
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ChannelNetworkError(f"media/get: {type(exc).__name__}: {exc}") from exc

    async def _request(self, method: str, path: str, *, params: dict[str, str],
                       json: dict[str, Any] | None = None, body: bytes | None = None,
                       headers: dict[str, str] | None = None) -> Any:
        url = self.api_base + path
        try:
            async with self.session.request(method, url, params=params, json=json, data=body,
                                            headers=headers) as resp:
                if resp.status != 200:
                    raise ChannelNetworkError(f"{path}: HTTP {resp.status}")
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ChannelNetworkError(f"{path}: {type(exc).__name__}: {exc}") from exc
