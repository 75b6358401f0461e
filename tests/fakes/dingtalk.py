"""A fake DingTalk on loopback: the OpenAPI, session webhooks, the custom robot, and the
Stream gateway (open-connection endpoint + WebSocket), recording every request.

It runs in its own thread and event loop, as the real service is another process: the
bot's HTTP calls and the dingtalk-stream client reach it over real sockets. Tests wait
on it with `await fake.wait_for(predicate)`, which runs in the fake's loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.dingtalk.inbound import sign

APP_KEY = "ding-test-key"
APP_SECRET = "ding-test-secret"
ROBOT_CODE = "ding-robot"
TEMPLATE_ID = "tpl-govmedia-approval.schema"
WAIT_SECONDS = 10
_last_ms = 0  # the last signed() timestamp


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: Any


@dataclass
class FakeDingTalk:
    """The fake's state; every handler runs in the fake's own loop."""

    requests: list[Recorded] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    connections: int = 0
    robot_secret: str = "SECrobot"
    url: str = ""
    _sockets: list[tuple[web.Request, web.WebSocketResponse]] = field(default_factory=list)
    _changed: asyncio.Condition | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # files members sent the robot: downloadCode -> (file name, bytes)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _downloads: dict[str, str] = field(default_factory=dict)  # one-time URL token -> code
    # media/upload: media_id -> (file name, bytes)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    # --- recording and scripting ---------------------------------------------------------

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def fail_next(self, path: str, status: int, body: Any = None) -> None:
        self.failures.setdefault(path, []).append(Failure(status, body or {}))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
        assert self._changed is not None
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(predicate)
        return predicate()

    # --- what the bot sent, read back ----------------------------------------------------

    def texts(self, user: str) -> list[str]:
        """Every text/markdown the bot sent to a person, by webhook or batchSend."""
        out: list[str] = []
        for r in self.requests:
            if r.path == f"/session/{user}":
                body = r.body
                out.append(body.get("text", {}).get("content")
                           or body.get("markdown", {}).get("text", ""))
            elif r.path == "/v1.0/robot/oToMessages/batchSend" and user in r.body["userIds"] \
                    and r.body["msgKey"] in ("sampleText", "sampleMarkdown"):
                param = json.loads(r.body["msgParam"])
                out.append(param.get("content") or param.get("text", ""))
        return out

    def files_sent(self, user: str) -> list[tuple[str, str, bytes]]:
        """Files the robot sent a person (sampleFile): (fileName, fileType, uploaded bytes)."""
        out = []
        for r in self.calls("/v1.0/robot/oToMessages/batchSend"):
            if user in r.body["userIds"] and r.body["msgKey"] == "sampleFile":
                param = json.loads(r.body["msgParam"])
                out.append((param["fileName"], param["fileType"],
                            self.media[param["mediaId"]][1]))
        return out

    def cards(self, user: str) -> list[dict[str, Any]]:
        """Cards delivered to a person, each with its params after every update."""
        cards = [{"outTrackId": r.body["outTrackId"], "callbackType": r.body["callbackType"],
                  "params": dict(r.body["cardData"]["cardParamMap"]), "body": r.body}
                 for r in self.calls("/v1.0/card/instances/createAndDeliver")
                 if r.body["openSpaceId"] == f"dtv1.card//IM_ROBOT.{user}"]
        for update in self.calls("/v1.0/card/instances"):
            for card in cards:
                if card["outTrackId"] == update.body["outTrackId"]:
                    card["params"].update(update.body["cardData"]["cardParamMap"])
        return cards

    def live_card(self, user: str) -> dict[str, Any]:
        live = [c for c in self.cards(user) if c["params"]["decided"] == "false"]
        assert live, f"{user} has no live card"
        return live[-1]

    # --- inbound payloads the platform would send ---------------------------------------

    def robot_message(self, user: str, text: str, *, msg_id: str | None = None,
                      group: bool = False) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "conversationId": "cidGROUP==" if group else f"cid{user}==",
            "conversationType": "2" if group else "1",
            "msgId": msg_id or f"msg{uuid.uuid4().hex}",
            "msgtype": "text", "text": {"content": text},
            "createAt": now, "senderId": f"$:LWCP_v1:${user}", "senderStaffId": user,
            "senderNick": user, "senderCorpId": "dingcorp", "isAdmin": False,
            "chatbotUserId": "$:LWCP_v1:$bot", "robotCode": ROBOT_CODE,
            "sessionWebhook": f"{self.url}/session/{'group' if group else user}",
            "sessionWebhookExpiredTime": now + 90 * 60 * 1000,
        }

    def upload(self, name: str, data: bytes) -> str:
        """A file or picture a member sent the robot; its downloadCode."""
        code = f"dlc-{uuid.uuid4().hex}"
        self.files[code] = (name, data)
        return code

    def robot_file(self, user: str, kind: str, code: str, name: str = "") -> dict[str, Any]:
        """A file message (msgtype file: downloadCode, fileName) or a picture message
        (msgtype picture: downloadCode), as the robot receives them."""
        message = self.robot_message(user, "")
        del message["text"]
        message["msgtype"] = kind
        message["content"] = ({"downloadCode": code, "fileName": name} if kind == "file"
                              else {"downloadCode": code, "pictureDownloadCode": code})
        return message

    @staticmethod
    def card_callback(out_track_id: str, user: str, button: int,
                      reason: str | None = None) -> dict[str, Any]:
        """A tap; `reason` is what was typed into the card's input (the template's
        `reason` input component, sent with the button's callback params)."""
        params = {"button": str(button)}
        if reason is not None:
            params["reason"] = reason
        content = json.dumps({"cardPrivateData": {"actionIds": [f"btn{button}"],
                                                  "params": params}}, ensure_ascii=False)
        return {"extension": "{}", "corpId": "dingcorp", "spaceType": "im", "userIdType": 1,
                "type": "actionCallback", "userId": user, "content": content,
                "spaceId": f"cid{user}==", "outTrackId": out_track_id, "value": content}

    @staticmethod
    def signed(secret: str = APP_SECRET, *, skew_ms: int = 0) -> dict[str, str]:
        # one pair per callback, as the bot refuses a second body under a pair: two
        # callbacks in the same millisecond get successive timestamps
        global _last_ms
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        ts = str(_last_ms + skew_ms)
        return {"timestamp": ts, "sign": sign(secret, ts)}

    def frame(self, topic: str, data: dict[str, Any], kind: str = "CALLBACK") -> dict[str, Any]:
        return {"specVersion": "1.0", "type": kind,
                "headers": {"appId": APP_KEY, "connectionId": "conn1",
                            "contentType": "application/json",
                            "messageId": f"mid-{next(self._ids)}",
                            "time": str(int(time.time() * 1000)), "topic": topic},
                "data": json.dumps(data, ensure_ascii=False)}

    def ack_for(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        mid = frame["headers"]["messageId"]
        return next((a for a in self.acks if a["headers"].get("messageId") == mid), None)

    async def push(self, frame: dict[str, Any]) -> None:
        """Send a frame on the newest socket."""
        await self._sockets[-1][1].send_str(json.dumps(frame, ensure_ascii=False))

    async def drop(self) -> None:
        """Cut the newest socket without a close handshake, as a network failure does."""
        request, _ = self._sockets[-1]
        assert request.transport is not None
        request.transport.abort()

    # --- the server ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._connect)
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/session/{who}", self._session)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._api)
        app.router.add_get("/download/{token}", self._download)
        app.router.add_post("/media/upload", self._media_upload)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _record(self, request: web.Request) -> Recorded:
        text = await request.text()
        body = json.loads(text) if text else None
        rec = Recorded(request.method, request.path, dict(request.headers),
                       dict(request.query), body)
        self.requests.append(rec)
        await self._notify()
        return rec

    def _failure(self, path: str) -> web.Response | None:
        queue = self.failures.get(path)
        if queue:
            failure = queue.pop(0)
            return web.json_response(failure.body, status=failure.status)
        return None

    async def _open(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        if (rec.body or {}).get("clientSecret") != APP_SECRET:
            return web.json_response({"code": "InvalidClient"}, status=401)
        ticket = uuid.uuid4().hex
        self.tickets.add(ticket)
        ws_url = self.url.replace("http://", "ws://") + "/connect"
        return web.json_response({"endpoint": ws_url, "ticket": ticket})

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            raise web.HTTPForbidden(text="bad ticket")
        self.tickets.discard(ticket)  # single use
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append((request, ws))
        self.connections += 1
        await self._notify()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
                await self._notify()
        return ws

    async def _close_sockets(self, app: web.Application) -> None:
        for _, ws in self._sockets:
            await ws.close()

    async def _token(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        body = rec.body or {}
        if (body.get("appKey"), body.get("appSecret")) != (APP_KEY, APP_SECRET):
            return web.json_response({"code": "invalidClientSecret"}, status=400)
        token = f"tok-{next(self._ids)}"
        self.tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": 7200})

    async def _api(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        if rec.headers.get("x-acs-dingtalk-access-token") not in self.tokens:
            return web.json_response({"code": "InvalidAuthentication",
                                      "message": "token is invalid"}, status=401)
        failure = self._failure(rec.path)
        if failure is not None:
            return failure
        if rec.path == "/v1.0/card/instances/createAndDeliver":
            space = rec.body["openSpaceId"]
            return web.json_response({"success": True, "result": {
                "outTrackId": rec.body["outTrackId"],
                "deliverResults": [{"spaceType": "IM_ROBOT", "spaceId": space,
                                    "success": True}]}})
        if rec.path == "/v1.0/robot/messageFiles/download":
            # a short-lived URL on the file store; no token needed to fetch it
            code = (rec.body or {}).get("downloadCode", "")
            if code not in self.files or rec.body.get("robotCode") != ROBOT_CODE:
                return web.json_response({"code": "invalidParameter",
                                          "message": "downloadCode"}, status=400)
            token = uuid.uuid4().hex
            self._downloads[token] = code
            return web.json_response({"downloadUrl": f"{self.url}/download/{token}"})
        if rec.path in ("/v1.0/robot/oToMessages/batchSend", "/v1.0/robot/groupMessages/send") \
                and rec.body.get("msgKey") == "sampleFile":
            param = json.loads(rec.body.get("msgParam") or "{}")
            if param.get("mediaId") not in self.media or not param.get("fileName"):
                return web.json_response({"code": "invalidParameter.mediaId",
                                          "message": "mediaId"}, status=400)
        if rec.path == "/v1.0/robot/oToMessages/batchSend":
            return web.json_response({"processQueryKey": uuid.uuid4().hex,
                                      "invalidStaffIdList": [],
                                      "flowControlledStaffIdList": []})
        return web.json_response({"success": True, "result": True})

    async def _media_upload(self, request: web.Request) -> web.Response:
        """上传媒体文件: POST /media/upload?access_token=, multipart/form-data with the field
        type (image|voice|video|file) and the file part media; old errcode-style answers."""
        fields: dict[str, str] = {}
        name, data = "", b""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.name == "media" and part.filename:  # type: ignore[union-attr]
                    name, data = part.filename, await part.read()  # type: ignore[union-attr]
                elif part.name:
                    fields[part.name] = (await part.read()).decode()  # type: ignore[union-attr]
        rec = Recorded(request.method, request.path, dict(request.headers),
                       dict(request.query), {**fields, "filename": name, "size": len(data)})
        self.requests.append(rec)
        await self._notify()
        if rec.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        if fields.get("type") not in ("image", "voice", "video", "file") or not data:
            return web.json_response({"errcode": 40004, "errmsg": "不合法的媒体文件类型"})
        if len(data) > 20 * 1024 * 1024:
            return web.json_response({"errcode": 40006, "errmsg": "不合法的文件大小"})
        media_id = f"@lA{uuid.uuid4().hex}"
        self.media[media_id] = (name, data)
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": fields["type"],
                                  "media_id": media_id, "created_at": int(time.time() * 1000)})

    async def _download(self, request: web.Request) -> web.Response:
        await self._record(request)
        code = self._downloads.pop(request.match_info["token"], None)  # single use
        if code is None:
            return web.Response(status=403, text="AccessDenied")
        return web.Response(body=self.files[code][1], content_type="application/octet-stream")

    async def _session(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        return self._failure(rec.path) or web.json_response({"errcode": 0, "errmsg": "ok"})


class FakeDingTalkServer:
    """Runs a FakeDingTalk on 127.0.0.1 in its own thread and loop."""

    def __init__(self) -> None:
        self.fake = FakeDingTalk()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> FakeDingTalk:
        self._thread.start()
        self.call(self._start()).result(WAIT_SECONDS)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.call(self._stop()).result(WAIT_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_SECONDS)
        self._loop.close()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Await a coroutine of the fake (push, drop, wait_for) from the test's loop."""
        return await asyncio.wrap_future(self.call(coro))

    async def _start(self) -> None:
        self.fake._changed = asyncio.Condition()
        self._runner = web.AppRunner(self.fake.app(), shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.fake.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
