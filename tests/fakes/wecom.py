"""A fake WeCom API server (aiohttp on loopback) and a client that sends real encrypted
callbacks, both speaking the documented protocol (the team's PROTOCOLS.md §1–3; nothing
outside the repository is read)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestClient
from wechatpy.enterprise.crypto import WeChatCrypto

# official test vector A (doc 90968): token, EncodingAESKey, corp id
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "wx5823bf96d3bd56c7"
AGENT_ID = 1000002
SECRET = "test-secret"


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    ok: bool = False  # the fake accepted it (a message delivered, a card updated)


@dataclass
class FakeWeCom:
    """Serves gettoken, message/send, update_template_card and media/get.

    Script failures with fail_next(path, errcode, times); tokens can be expired at once;
    response codes are single use, as on the real platform.
    """

    base: str = ""  # where the test server serves it
    # seconds each message/send and card update takes to answer, as the real platform's
    # round trip does (benchmarks; tests leave it 0)
    latency: float = 0.0
    calls: list[Call] = field(default_factory=list)
    invalid_users: set[str] = field(default_factory=set)
    _failures: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _tokens: set[str] = field(default_factory=set)
    _codes: dict[str, str] = field(default_factory=dict)  # response_code -> task_id
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    # enable_duplicate_check: (touser, msgtype, content) -> when it was last shown
    _shown: dict[tuple[str, str, str], float] = field(default_factory=dict)
    # temporary media (media/get): media_id -> (file name, content type, bytes)
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._send)
        app.router.add_post("/cgi-bin/message/update_template_card", self._update)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        return app

    # --- scripting and inspection ---

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        self._failures[path].extend([errcode] * times)

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def issue_code(self, task_id: str) -> str:
        """A response_code as a click callback carries it."""
        code = f"click-code-{next(self._seq)}"
        self._codes[code] = task_id
        return code

    def upload(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """A file a member sent the app, as WeCom keeps it for 3 days; its media_id."""
        media_id = f"media-{next(self._seq)}"
        self.media[media_id] = (name, content_type, data)
        return media_id

    def files(self, user: str) -> list[tuple[str, str, bytes]]:
        """Files delivered to a member: (name shown, content type, bytes) of each file
        message, as uploaded under its media_id."""
        return [self.media[b["file"]["media_id"]] for b in self.sent(user, "file")]

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def sent(self, user: str, msgtype: str | None = None) -> list[dict[str, Any]]:
        return [c.body for c in self.to("/cgi-bin/message/send")
                if c.body and c.body["touser"] == user
                and (msgtype is None or c.body["msgtype"] == msgtype)
                and c.ok]

    def texts(self, user: str) -> list[str]:
        return [b[b["msgtype"]]["content"] for b in self.sent(user)
                if b["msgtype"] in ("text", "markdown")]

    def cards(self, user: str) -> list[dict[str, Any]]:
        return [b["template_card"] for b in self.sent(user, "template_card")]

    def updates(self) -> list[dict[str, Any]]:
        return [c.body for c in self.to("/cgi-bin/message/update_template_card")
                if c.body and c.ok]

    # --- handlers ---

    async def _record(self, request: web.Request) -> Call:
        body = await request.json() if request.method == "POST" else None
        call = Call(request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    def _scripted(self, path: str) -> int | None:
        queue = self._failures[path]
        return queue.pop(0) if queue else None

    def _auth(self, call: Call) -> web.Response | None:
        if call.query.get("access_token") not in self._tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        errcode = self._scripted(call.path)
        if errcode is not None:
            return web.json_response({"errcode": errcode, "errmsg": f"scripted {errcode}"})
        return None

    async def _gettoken(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if call.query != {"corpid": CORP_ID, "corpsecret": SECRET}:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        token = f"token-{next(self._seq)}"
        self._tokens.add(token)
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token,
                                  "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        refused = self._auth(call)
        if refused is not None:
            return refused
        body = call.body or {}
        if body.get("agentid") != AGENT_ID:
            return web.json_response({"errcode": 40056, "errmsg": "invalid agentid"})
        if body["touser"] in self.invalid_users:
            return web.json_response({"errcode": 81013, "errmsg": "user & party & tag all invalid",
                                      "invaliduser": body["touser"]})
        call.ok = not self._repeated(body)
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": f"m{next(self._seq)}"}
        if body["msgtype"] == "template_card":
            code = f"send-code-{next(self._seq)}"
            self._codes[code] = body["template_card"]["task_id"]
            answer["response_code"] = code
        return web.json_response(answer)

    def _repeated(self, body: dict[str, Any]) -> bool:
        """The platform's duplicate check: the same content to the same member within the
        interval is accepted but not shown again."""
        if not body.get("enable_duplicate_check"):
            return False
        kind = body["msgtype"]
        key = (body["touser"], kind, json.dumps(body.get(kind), sort_keys=True))
        now = time.monotonic()
        last = self._shown.get(key)
        if last is not None and now - last < body.get("duplicate_check_interval", 1800):
            return True
        self._shown[key] = now
        return False

    async def _update(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        refused = self._auth(call)
        if refused is not None:
            return refused
        code = (call.body or {}).get("response_code")
        if code not in self._codes:
            return web.json_response({"errcode": 40058, "errmsg": "invalid response_code"})
        del self._codes[code]  # single use
        call.ok = True
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _media_get(self, request: web.Request) -> web.StreamResponse:
        """获取临时素材 (doc 90254): the bytes with their name, or an errcode as JSON."""
        call = await self._record(request)
        refused = self._auth(call)
        if refused is not None:
            return refused
        found = self.media.get(call.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        name, content_type, data = found
        call.ok = True
        quoted = quote(name)
        return web.Response(body=data, content_type=content_type, headers={
            "Content-Disposition": f'attachment; filename="{quoted}"; filename*=utf-8\'\'{quoted}'})

    async def _media_upload(self, request: web.Request) -> web.Response:
        """上传临时素材 (doc 90253): multipart/form-data, one part named "media" whose
        Content-Disposition has filename and filelength; type image|voice|video|file."""
        raw = await request.read()
        call = Call(request.path, dict(request.query), None)
        self.calls.append(call)
        refused = self._auth(call)
        if refused is not None:
            return refused
        kind = call.query.get("type", "")
        if kind not in ("image", "voice", "video", "file"):
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        match = re.fullmatch(r"multipart/form-data; boundary=(\S+)",
                             request.headers.get("Content-Type", ""))
        if not match:
            return web.json_response({"errcode": 44001, "errmsg": "empty media data"})
        parts = _multipart(raw, match.group(1).encode())
        if parts is None or len(parts) != 1:
            return web.json_response({"errcode": 44001, "errmsg": "empty media data"})
        headers, data = parts[0]
        disposition = headers.get("content-disposition", "")
        fields = dict(re.findall(r';\s*(\w+)="?([^";]*)"?', disposition))
        if not disposition.startswith("form-data") or fields.get("name") != "media" \
                or not fields.get("filename"):
            return web.json_response({"errcode": 44001, "errmsg": "empty media data"})
        if fields.get("filelength", str(len(data))) != str(len(data)):
            return web.json_response({"errcode": 40005, "errmsg": "invalid file length"})
        if len(data) <= 5 or len(data) > 20 * 1024 * 1024:
            return web.json_response({"errcode": 40006, "errmsg": "invalid file size"})
        media_id = f"upload-{next(self._seq)}"
        self.media[media_id] = (fields["filename"], headers.get("content-type", ""), data)
        call.body = {"type": kind, "media_id": media_id, **fields}
        call.ok = True
        return web.json_response({"errcode": 0, "errmsg": "", "type": kind, "media_id": media_id,
                                  "created_at": str(int(time.time()))})


def _multipart(raw: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]] | None:
    """The parts of a multipart/form-data body (RFC 7578), headers decoded as UTF-8 (the
    raw file name WeCom shows); None if the body is not well formed."""
    delimiter = b"--" + boundary
    if not raw.startswith(delimiter):
        return None
    *chunks, end = raw[len(delimiter):].split(b"\r\n" + delimiter)
    if end not in (b"--", b"--\r\n"):
        return None
    parts = []
    for chunk in chunks:
        if not chunk.startswith(b"\r\n") or b"\r\n\r\n" not in chunk:
            return None
        head, data = chunk[2:].split(b"\r\n\r\n", 1)
        headers = {}
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts.append((headers, data))
    return parts


class WeComSender:
    """Posts encrypted callbacks to /wecom/callback the way WeCom does."""

    def __init__(self, client: TestClient, *, token: str = TOKEN, aes_key: str = AES_KEY,
                 corp_id: str = CORP_ID) -> None:
        self.client = client
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self._ids = itertools.count(int(time.time() * 1000))

    def envelope(self, xml: str) -> tuple[dict[str, str], str]:
        """The query and body of one callback carrying `xml`."""
        nonce, timestamp = str(next(self._ids)), str(int(time.time()))
        reply = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        query = {"msg_signature": reply["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{reply['Encrypt']}]]></Encrypt>"
                f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>")
        return query, body

    async def post(self, xml: str) -> Any:
        query, body = self.envelope(xml)
        return await self.client.post("/wecom/callback", params=query, data=body)

    def next_id(self) -> int:
        return next(self._ids)

    def text_xml(self, user: str, text: str, msg_id: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id or self.next_id()}</MsgId>"
                f"<AgentID>{AGENT_ID}</AgentID></xml>")

    def media_xml(self, user: str, kind: str, media_id: str, name: str = "",
                  msg_id: int | None = None) -> str:
        """An image message (PicUrl, MediaId), or a file message (MediaId, FileName)."""
        extra = (f"<PicUrl><![CDATA[https://wework.qpic.cn/{media_id}]]></PicUrl>"
                 if kind == "image" else f"<FileName><![CDATA[{name}]]></FileName>")
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[{kind}]]></MsgType>{extra}"
                f"<MediaId><![CDATA[{media_id}]]></MediaId>"
                f"<MsgId>{msg_id or self.next_id()}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")

    def click_xml(self, user: str, task_id: str, key: str, code: str,
                  created: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{created or self.next_id()}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[template_card_event]]></Event>"
                f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
                f"<CardType><![CDATA[button_interaction]]></CardType>"
                f"<ResponseCode><![CDATA[{code}]]></ResponseCode>"
                f"<AgentID>{AGENT_ID}</AgentID></xml>")

    def event_xml(self, user: str, event: str) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{self.next_id()}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[]]></EventKey>"
                f"<AgentID>{AGENT_ID}</AgentID></xml>")
