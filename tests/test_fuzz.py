"""Bad input is a 4xx, never a 500 (issue 13 item 7): a seeded, bounded fuzz of every public
endpoint, /wecom/callback, /dingtalk/callback, /dingtalk/card and /sim/api/*.

Each request starts from a valid one (signed, encrypted, with a fresh DingTalk pair) and is
mutated: bytes flipped, cut or inserted, invalid UTF-8, lone surrogates, JSON nested too deep,
values of the wrong type, over-long ids, non-ASCII headers, bodies in several reads. The
test asserts no 5xx, no ERROR log line (no traceback from a request), and flat memory: a
window traced by tracemalloc at the end leaves (almost) nothing allocated. Reproduce a run
with GOVMEDIA_FUZZ_SEED; GOVMEDIA_FUZZ_ROUNDS scales it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from bot.app import create_app
from bot.channels.dingtalk.inbound import sign
from bot.config import Settings
from bot.keys import tasks_key
from tests.fakes.dingtalk import APP_KEY, APP_SECRET, ROBOT_CODE
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSender

SEED = int(os.environ.get("GOVMEDIA_FUZZ_SEED", "13"))
ROUNDS = int(os.environ.get("GOVMEDIA_FUZZ_ROUNDS", "1000"))  # requests per endpoint
SIM_TOKEN = "fuzz-login-token-0123456789"
MEMORY_GROWTH_MAX = 2 * 1024 * 1024  # bytes the traced window leaves allocated

NASTY_STRINGS = [
    "", " ", "\ud800", "\udfff", "a\ud83dz", "u" * 65, "u" * 300, "零" * 200, "x" * 20000,
    "\x00", "\x1b[2J", "\r\n", "\u202e", "%s%n%x", "<![CDATA[", "]]>", "<!DOCTYPE x>",
    "{{ 7*7 }}", "../../etc/passwd", "帮助", "通过 #1", "通过 #99999999999999999999999",
    "退回 #1 理由", "投稿 黔江文旅\n标题\n正文", "待办", "zhangming", "wangwu", "dt:x",
    "https://attacker.example/x", "javascript:alert(1)", "-1", "1e309", "NaN",
]
NASTY_VALUES: list[Any] = [None, True, False, 0, -1, 2**63, -(2**70), 1.5, 1e308, [], {},
                           [[[]]], {"a": {"b": {}}}, ["x"] * 50]
BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\x00", b"\x80\x80",
             b"\xf4\x90\x80\x80"]


def nasty(rng: random.Random) -> Any:
    if rng.random() < 0.7:
        return rng.choice(NASTY_STRINGS)
    return rng.choice(NASTY_VALUES)


def mutate_json(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A structurally mutated copy of a JSON value."""
    if isinstance(value, dict) and value and depth < 4:
        out = dict(value)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(list(out) or ["k"])
            roll = rng.random()
            if roll < 0.45:
                out[key] = nasty(rng)
            elif roll < 0.6:
                out.pop(key, None)
            elif roll < 0.75:
                out[rng.choice(NASTY_STRINGS[:12])] = nasty(rng)
            else:
                out[key] = mutate_json(rng, out.get(key), depth + 1)
        return out
    if isinstance(value, str) and rng.random() < 0.5:
        return value + rng.choice(NASTY_STRINGS)
    return nasty(rng) if rng.random() < 0.5 else value


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        pos = rng.randint(0, len(out)) if out else 0
        if roll < 0.25 and out:
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        elif roll < 0.45:
            out[pos:pos] = rng.choice(BAD_BYTES)
        elif roll < 0.6:
            del out[pos:pos + rng.randint(1, 64)]
        elif roll < 0.7:
            out = out[:pos]
        elif roll < 0.8:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        else:
            out[pos:pos] = out[max(0, pos - 64):pos]
    return bytes(out)


def deep_json(rng: random.Random) -> bytes:
    depth = rng.choice([100, 2000, 5000, 9000])
    return (b'{"a":' * depth + b"1" + b"}" * depth) if rng.random() < 0.5 else \
        (b"[" * depth + b"]" * depth)


def serialise(rng: random.Random, value: Any) -> bytes:
    """JSON text, sometimes broken afterwards; lone surrogates travel as \\u escapes."""
    roll = rng.random()
    if roll < 0.08:
        return deep_json(rng)
    text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    if roll < 0.2:
        return mutate_bytes(rng, text.encode())
    if roll < 0.3:
        # non-ASCII as raw UTF-8, or not UTF-8 at all
        raw = json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "replace")
        return raw.replace(b"\xe9", b"\xff") if rng.random() < 0.5 else raw + b"\xff"
    return text.encode()


async def split(data: bytes) -> AsyncIterator[bytes]:
    """A body that arrives in several reads (chunked)."""
    step = max(1, len(data) // 3)
    for i in range(0, len(data), step):
        yield data[i:i + step]


def body_arg(rng: random.Random, data: bytes) -> Any:
    return split(data) if rng.random() < 0.1 else data


def odd_header(rng: random.Random) -> str:
    """Header text as the server will see it: any bytes, read as latin-1."""
    raw = rng.choice(["签名", "é" * 44, "ǅ", "=" * 300, "1" * 30, "-5", "", "0x10",
                      "１６９０３６２１０２１９４", "1_690_362_102_194", "١٢٣"])
    return raw.encode("utf-8").decode("latin-1")


class Fuzzer:
    def __init__(self, client: TestClient, http: aiohttp.ClientSession,
                 rng: random.Random) -> None:
        # requests go through a plain session: the test client keeps every response
        self.client, self.rng = http, rng
        self.wecom = WeComSender(client)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.ts = int(time.time() * 1000)

    def record(self, path: str, status: int) -> None:
        self.statuses[(path, status)] += 1
        assert status < 500, (path, status, SEED)

    # --- WeCom ---------------------------------------------------------------------------

    def wecom_plain(self) -> str:
        rng, w = self.rng, self.wecom
        user = rng.choice(["wangwu", "zhangming", *NASTY_STRINGS[:12], "u" * 65])
        user = user if isinstance(user, str) else "x"
        user = user.replace("]]>", "")
        text = rng.choice(NASTY_STRINGS).replace("]]>", "")
        xml = rng.choice([
            lambda: w.text_xml(user, text),
            lambda: w.click_xml(user, text or "t", rng.choice(["approve:1:2:1", text]), "c"),
            lambda: w.event_xml(user, rng.choice(["enter_agent", "subscribe", text])),
            lambda: w.media_xml(user, rng.choice(["image", "file", "voice"]), text, text),
        ])()
        roll = rng.random()
        if roll < 0.2:
            xml = xml.replace("<MsgType>", "<MsgType>" + "<a>" * rng.choice([10, 3000]))
        elif roll < 0.4:
            xml = mutate_bytes(rng, xml.encode("utf-8", "surrogatepass")).decode("utf-8", "replace")
        elif roll < 0.5:
            xml = xml.replace("text", rng.choice(["", "link", "location", "unknown"]))
        return xml.encode("utf-8", "surrogatepass").decode("utf-8", "replace")

    async def wecom_once(self) -> None:
        rng = self.rng
        query, body = self.wecom.envelope(self.wecom_plain())
        raw = body.encode()
        roll = rng.random()
        if roll < 0.25:
            raw = mutate_bytes(rng, raw)
        elif roll < 0.35:
            query[rng.choice(list(query))] = odd_header(rng)
        elif roll < 0.4:
            query.pop(rng.choice(list(query)))
        elif roll < 0.45:
            raw = rng.choice([b"", b"<xml>", deep_json(rng), b"<" * 5000,
                              b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><xml/>"])
        if rng.random() < 0.1:
            url = URL("/wecom/callback?" + "&".join(
                f"{k}={quote(v, safe='%')}" for k, v in query.items()) + "%ED%A0%80%FF",
                encoded=True)
            resp = await self.client.post(url, data=body_arg(rng, raw))
        else:
            resp = await self.client.post("/wecom/callback", params=query,
                                          data=body_arg(rng, raw))
        self.record("/wecom/callback", resp.status)
        resp.release()
        if rng.random() < 0.05:
            verify = {**query, "echostr": rng.choice(["", "%ED%A0%80", "x" * 500, "AAAA"])}
            resp = await self.client.get("/wecom/callback", params=verify)
            self.record("/wecom/callback GET", resp.status)
            resp.release()

    # --- DingTalk ------------------------------------------------------------------------

    def signed(self) -> dict[str, str]:
        self.ts += 1
        ts = str(self.ts)
        return {"timestamp": ts, "sign": sign(APP_SECRET, ts)}

    def robot_message(self) -> dict[str, Any]:
        user = self.rng.choice(["wangwu", "zhangming", "stranger"])
        now = int(time.time() * 1000)
        return {
            "conversationId": f"cid{user}==", "conversationType": self.rng.choice(["1", "2"]),
            "msgId": f"msg{self.rng.getrandbits(64):x}", "msgtype": "text",
            "text": {"content": self.rng.choice(NASTY_STRINGS)}, "createAt": now,
            "senderId": f"$:LWCP_v1:${user}", "senderStaffId": user, "senderNick": user,
            "robotCode": ROBOT_CODE, "sessionWebhook": f"http://127.0.0.1:9/session/{user}",
            "sessionWebhookExpiredTime": now + 90 * 60 * 1000,
        }

    def card_callback(self) -> dict[str, Any]:
        content = json.dumps({"cardPrivateData": {"actionIds": ["btn0"],
                                                  "params": {"button": self.rng.choice(
                                                      ["0", "1", "7", "-1", "x"])}}})
        return {"extension": "{}", "corpId": "dingcorp", "spaceType": "im", "userIdType": 1,
                "type": "actionCallback", "userId": self.rng.choice(["zhangming", "x" * 80]),
                "content": content, "spaceId": "cid==", "value": content,
                "outTrackId": self.rng.choice(["", "no-such", "o" * 300])}

    async def dingtalk_once(self, path: str) -> None:
        rng = self.rng
        data = self.robot_message() if path == "/dingtalk/callback" else self.card_callback()
        raw = serialise(rng, mutate_json(rng, data) if rng.random() < 0.8 else data)
        headers = {"Content-Type": "application/json", **self.signed()}
        roll = rng.random()
        if roll < 0.1:
            headers["sign"] = odd_header(rng)
        elif roll < 0.2:
            headers["timestamp"] = odd_header(rng)
        elif roll < 0.25:
            headers.pop(rng.choice(["sign", "timestamp"]))
        elif roll < 0.3:
            headers = {**headers, **self.signed()}
            headers["timestamp"] = str(int(headers["timestamp"]) - 2 * 3600 * 1000)
        resp = await self.client.post(path, data=body_arg(rng, raw), headers=headers)
        self.record(path, resp.status)
        resp.release()

    # --- the simulator -------------------------------------------------------------------

    async def sim_once(self) -> None:
        rng = self.rng
        auth = {"Authorization": f"Bearer {SIM_TOKEN}"} if rng.random() < 0.9 else {}
        path = rng.choice(["/sim/api/send", "/sim/api/tap", "/sim/api/upload",
                           "/sim/api/messages", "/sim/api/people", "/sim/api/file", "/sim/",
                           "/sim/login"])
        if path in ("/sim/api/messages", "/sim/api/file", "/sim/api/people", "/sim/"):
            user = quote(str(rng.choice(NASTY_STRINGS)), safe="", errors="surrogatepass")
            extra = rng.choice(["", "%ED%A0%80", "%FF", "&id=" + rng.choice(["1", "x", "-1",
                                                                              "9" * 40])])
            url = URL(f"{path}?user={user}{extra}", encoded=True)
            resp = await self.client.get(url, headers=auth)
        elif path == "/sim/api/upload":
            boundary = "b0undary"
            name = rng.choice(["a.docx", "图.png", "%FF.docx", "x" * 300, ""]).encode()
            content = rng.choice([b"PK\x03\x04" + os.urandom(64), b"\x89PNG\r\n\x1a\n", b""])
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\n"
                    f"{rng.choice(['wangwu', 'u' * 70, ''])}\r\n--{boundary}\r\n"
                    f"Content-Disposition: form-data; name=\"file\"; filename=\"").encode() + \
                name + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + \
                f"\r\n--{boundary}--\r\n".encode()
            if rng.random() < 0.4:
                body = mutate_bytes(rng, body)
            ctype = rng.choice([f"multipart/form-data; boundary={boundary}",
                                "multipart/form-data", "text/plain",
                                "application/x-www-form-urlencoded"])
            resp = await self.client.post(path, data=body_arg(rng, body), headers={
                **auth, "Content-Type": ctype, "X-Govmedia-Sim": "1"})
        else:
            value: Any = {"user": rng.choice(["wangwu", "zhangming", "nobody"]),
                          "text": rng.choice(NASTY_STRINGS), "key": "approve:1:2:1",
                          "event_id": f"e{rng.getrandbits(48):x}", "token": SIM_TOKEN}
            raw = serialise(rng, mutate_json(rng, value))
            ctype = "application/json" if rng.random() < 0.85 else rng.choice(
                ["text/plain", "application/json; charset=latin-1", "", "application/x-json"])
            resp = await self.client.post(path, data=body_arg(rng, raw), headers={
                **auth, "Content-Type": ctype})
        self.record("/sim/api/*", resp.status)
        resp.release()


def fuzz_settings(tmp_path: Path) -> Settings:
    """Every public endpoint on: WeCom, DingTalk in HTTP mode, the simulator with its login.
    The platform APIs point at a closed port; nothing is delivered during the run."""
    return Settings(
        database_url="sqlite://:memory:", outbox_poll_seconds=3600, scheduler_enabled=False,
        draft_join_seconds=0, channel="wecom", wecom_corp_id=CORP_ID,
        wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET, wecom_token=TOKEN,
        wecom_aes_key=AES_KEY, wecom_api_base="http://127.0.0.1:9",
        dingtalk_app_key=APP_KEY, dingtalk_app_secret=APP_SECRET, dingtalk_robot_code=ROBOT_CODE,
        dingtalk_mode="http", dingtalk_api_base="http://127.0.0.1:9",
        dingtalk_oapi_base="http://127.0.0.1:9", sim_enabled=True, sim_token=SIM_TOKEN,
        seed_demo=True, file_store_dir=str(tmp_path / "files"))


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < 20:
            self.lines.append(f"{record.name}: {record.getMessage()[:300]}")


# aiohttp warns (it does not fail) on a broken Content-Disposition; the suite turns warnings
# into errors, which would make that a 500 here and nowhere else
@pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")
async def test_no_5xx_and_flat_memory(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(fuzz_settings(tmp_path)))
    http = aiohttp.ClientSession(base_url=str(client.make_url("")).rstrip("/"))
    fuzzer = Fuzzer(client, http, random.Random(SEED))
    steps: list[Callable[[], Any]] = [
        fuzzer.wecom_once, lambda: fuzzer.dingtalk_once("/dingtalk/callback"),
        lambda: fuzzer.dingtalk_once("/dingtalk/card"), fuzzer.sim_once]
    root = logging.getLogger()
    errors = ErrorCounter()
    root.addHandler(errors)
    # keep pytest's capture from holding thousands of WARNING records (memory is measured)
    levels = [(h, h.level) for h in root.handlers]
    for handler, _ in levels:
        handler.setLevel(max(handler.level, logging.ERROR))
    started, cpu = time.monotonic(), time.process_time()
    try:
        memory: list[int] = []
        # most rounds untraced (tracemalloc triples the cost), then a traced window: what
        # the window's requests leave behind is what a leak would look like
        window = max(1, ROUNDS // 8)
        for part, rounds in enumerate((ROUNDS - window, window)):
            for _ in range(rounds):
                for step in steps:
                    await step()
            await client.app[tasks_key].drain()
            gc.collect()
            if part == 0:
                tracemalloc.start()
            memory.append(tracemalloc.get_traced_memory()[0])
        if os.environ.get("GOVMEDIA_FUZZ_TOP"):
            for stat in tracemalloc.take_snapshot().statistics("traceback")[:8]:
                sys.stdout.write(f"{stat}\n" + "\n".join(stat.traceback.format()[-6:]) + "\n")
        tracemalloc.stop()
    finally:
        await http.close()
        root.removeHandler(errors)
        for handler, level in levels:
            handler.setLevel(level)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    total = sum(fuzzer.statuses.values())
    sys.stdout.write(f"fuzz seed {SEED}: {total} requests in {seconds:.1f} s ({cpu:.1f} s CPU), "
                     f"memory growth "
                     f"{(memory[1] - memory[0]) / 1024:.0f} KiB; statuses "
                     f"{sorted(fuzzer.statuses.items())}\n")
    assert total >= 4 * ROUNDS
    assert not errors.lines, errors.lines
    assert memory[1] - memory[0] < MEMORY_GROWTH_MAX
    # the mutations reached past the signature checks, not only into them
    assert fuzzer.statuses[("/wecom/callback", 200)] > ROUNDS // 20
    assert fuzzer.statuses[("/dingtalk/callback", 200)] > ROUNDS // 10
    assert fuzzer.statuses[("/sim/api/*", 200)] > ROUNDS // 10


@pytest.fixture(autouse=True)
def _quiet_access_log() -> Any:
    """The access log would print one line per request."""
    access = logging.getLogger("aiohttp.access")
    level = access.level
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(level)


def test_tracebacks_carry_no_input_text(caplog: pytest.LogCaptureFixture) -> None:
    """A handler that fails on odd input logs where and what type, not the input."""
    from bot import redact
    from bot.errors import ChannelAPIError

    redact.install()
    log = logging.getLogger("bot.dispatcher")
    body, reason = "秋季旅游节开幕的正文", "王五的退回理由"  # (frames show source lines)
    try:
        int(body)
    except ValueError:
        log.exception("handler failed for sim event e1")
    try:
        try:
            raise KeyError(reason)
        except KeyError as exc:
            raise ChannelAPIError(45009, "api freq out of limit", retryable=True) from exc
    except ChannelAPIError:
        log.exception("outbox 7: unexpected error via wecom")
    text = caplog.text
    assert "秋季旅游节" not in text and "退回理由" not in text
    assert "ValueError: <" in text and "characters not logged>" in text
    assert "api freq out of limit" in text and "handler failed for sim event e1" in text
