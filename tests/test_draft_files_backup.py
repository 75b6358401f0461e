"""Sent files are part of every backup (issue 12): in the database by default, or a
file_store_dir copied next to the backup. Through the simulator's upload route."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

import pytest
from aiohttp import FormData

from bot.app import create_app
from bot.channels.sim.guard import UPLOAD_HEADERS as SIM_UPLOAD
from bot.cli import main
from bot.config import Settings
from tests.docx_support import make_docx, paragraphs, png
from tests.test_app import settle

DOCX = make_docx("旅游节开幕", paragraphs(400), pictures=[png(11), png(12)])


async def upload(client, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("user", "wangwu")
    form.add_field("file", data, filename=name)
    resp = await client.post("/sim/api/upload", data=form, headers=SIM_UPLOAD)
    assert resp.status == 200
    await settle(client)


@pytest.mark.parametrize("in_directory", [False, True])
async def test_backup_has_the_files(aiohttp_client, tmp_path: Path, in_directory: bool,  # type: ignore[no-untyped-def]
                                    capsys: pytest.CaptureFixture[str]) -> None:
    live, store = tmp_path / "live.db", tmp_path / "files"
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{live}"}
    if in_directory:
        env["GOVMEDIA_FILE_STORE_DIR"] = str(store)
    settings = Settings(database_url=env["GOVMEDIA_DATABASE_URL"], draft_join_seconds=0,
                        file_store_dir=str(store) if in_directory else "")
    client = await aiohttp_client(create_app(settings))
    await upload(client, "黔江文旅-开幕.docx", DOCX)
    box = await (await client.get("/sim/api/messages", params={"user": "wangwu"})).json()
    assert box[0]["type"] == "file" and "已收到稿件 #1《旅游节开幕》" in box[-1]["body_md"]

    copy = tmp_path / "backup.db"
    assert await asyncio.to_thread(main, ["db", "backup", str(copy)], env) == 0
    digest = hashlib.sha256(DOCX).hexdigest()
    with sqlite3.connect(copy) as conn:
        row = conn.execute("SELECT id, in_database FROM stored_file WHERE sha256 = ?",
                           (digest,)).fetchone()
        chunks = conn.execute("SELECT data FROM file_chunk WHERE file_id = ? ORDER BY seq",
                              (row[0],)).fetchall()
    if in_directory:
        assert row[1] == 0 and not chunks
        assert (Path(f"{copy}.files") / digest[:2] / digest).read_bytes() == DOCX
        assert "一并备份" in capsys.readouterr().out
    else:
        assert row[1] == 1 and b"".join(c[0] for c in chunks) == DOCX


async def test_upload_too_large_is_refused(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite://{tmp_path / 'u.db'}", picture_max_mb=0.001,
                        draft_file_max_mb=0.001)
    client = await aiohttp_client(create_app(settings))
    form = FormData()
    form.add_field("user", "wangwu")
    form.add_field("file", b"x" * 5000, filename="big.png")
    assert (await client.post("/sim/api/upload", data=form, headers=SIM_UPLOAD)).status == 413
