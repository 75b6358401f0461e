"""Graceful shutdown: a real `govmedia serve` process gets SIGTERM right after a draft
arrives, finishes it, exits 0, and the next start carries on from a consistent database."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.cli import main
from tests.test_app import DRAFT

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 20
EXIT_SECONDS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.base = proc, f"http://127.0.0.1:{port}"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=5) as resp:
            return json.loads(resp.read())

    def post(self, path: str, data: dict[str, Any]) -> Any:
        req = urllib.request.Request(self.base + path, data=json.dumps(data).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited during start-up"
            try:
                if self.get("/healthz")["status"] == "ok":
                    return
            except OSError:
                time.sleep(0.05)  # a separate process: nothing to drive but the clock
        raise AssertionError("the server did not become healthy")

    def terminate(self) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=EXIT_SECONDS + 5)
        return code, time.monotonic() - started


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                cwd=ROOT, env={**env, "GOVMEDIA_HOST": "127.0.0.1"},
                                stdout=out, stderr=out)
    try:
        server = Server(proc, port)
        server.wait_ready()
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_sigterm_finishes_in_flight_work_and_exits_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    env |= {"GOVMEDIA_DATABASE_URL": f"sqlite://{db}", "GOVMEDIA_LOG_FORMAT": "json"}
    log = tmp_path / "serve.log"

    with serve(env, log) as server:
        assert server.post("/sim/api/send", {"user": "wangwu", "text": DRAFT})["ok"]
        code, seconds = server.terminate()
    assert code == 0 and seconds < EXIT_SECONDS, (code, seconds, log.read_text())

    # the draft and everything it caused were committed together
    assert rows(db, "SELECT id, state FROM draft") == [(1, "reviewing")]
    assert len(rows(db, "SELECT id FROM review_step WHERE draft_id = 1")) == 2
    assert len(rows(db, "SELECT id FROM inbound_event")) == 1
    recipients = {r[0] for r in rows(db, "SELECT user_id FROM outbox")}
    assert {"wangwu", "zhangming"} <= recipients
    assert main(["audit", "verify"], env) == 0

    with serve(env, log) as server:
        for _ in range(200):  # the sender of the new process delivers what is left
            box = server.get("/sim/api/messages?user=zhangming")
            if box and box[-1]["type"] == "card":
                break
            time.sleep(0.05)
        assert box[-1]["title"] == "待审稿件 #1：秋季旅游节开幕"
        assert server.get("/healthz")["checks"]["outbox"]["pending"] == 0
        code, seconds = server.terminate()
    assert code == 0 and seconds < EXIT_SECONDS

    lines = [line for line in log.read_text(encoding="utf-8").splitlines()
             if line.startswith("{")]
    assert lines and all(json.loads(line)["level"] for line in lines)
