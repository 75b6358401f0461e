"""A draft on its way in (issue 12): long texts in several messages joined within a window,
Word files (with or without an account name), pictures, R-REV-9 maps, bad files."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from bot import audit
from bot.clock import utcnow
from bot.closer import close_due
from bot.config import Settings
from models.files import DraftFile, StoredFile
from models.intake import Compose, Question
from models.review import Draft, DraftState, DraftVersion
from models.system import AuditEvent
from tests.conftest import Harness
from tests.docx_support import jpeg, make_docx, paragraphs, png

WINDOW = 30.0


@pytest.fixture
def joining(db: None, settings: Settings) -> Harness:
    """The bot with a join window, as on WeCom and DingTalk by default."""
    return Harness(dataclasses.replace(settings, draft_join_seconds=WINDOW))


async def close_windows(bot: Harness) -> int:
    """The window has passed: what the closer loop does every second."""
    passed = utcnow() - timedelta(seconds=1)
    await Compose.filter(closed_at__isnull=True).update(closes_at=passed)
    fed = await close_due(bot.dispatcher.feed)
    await bot.sender.flush()
    return fed


async def test_long_text_in_several_messages_is_one_draft(joining: Harness) -> None:
    bot = joining
    parts = ["".join(paragraphs(1800, per_paragraph=600)), "后半句接着上一条。" + "续" * 1200,
             "第三条消息，另起一段。"]
    reply = await bot.say("wangwu", "投稿 黔江文旅\n秋季旅游节开幕\n" + parts[0])
    assert "已收到稿件 #1《秋季旅游节开幕》" in reply and f"正文 {len(parts[0])} 字" in reply
    assert "30 秒内" in reply
    assert not await bot.cards("zhangming")  # not in review yet
    reply = await bot.say("wangwu", parts[1])
    assert f"这条 {len(parts[1])} 字" in reply and "已收到 2 条消息" in reply
    reply = await bot.say("wangwu", parts[2])
    # a piece after a sentence's end starts a line; one split mid-sentence is glued back
    body = parts[0] + "\n" + parts[1] + parts[2]
    assert f"正文共 {len(body)} 字" in reply
    assert "图1" in await bot.upload("wangwu", "p.png", png(1))
    assert await close_windows(bot) == 1
    draft = await Draft.get(id=1)
    assert (draft.state, draft.body) == (DraftState.REVIEWING, body)
    assert (await DraftVersion.get(draft_id=1, version=1)).body == body
    done = (await bot.replies("wangwu"))[-1]  # the receipt card
    assert "已送 张明 二审二校" in done and "共收到 3 条消息" in done
    assert f"正文 {len(body)} 字、图片 1 张" in done
    card = await bot.live_card("zhangming")
    assert f"正文共 {len(body)} 字" in card["body_md"] and "图片 1 张" in card["body_md"]
    assert await close_windows(bot) == 0  # closed once
    assert len(await bot.cards("zhangming")) == 1
    assert "没有看懂" in await bot.say("wangwu", "这条在窗口之后")


async def test_the_window_survives_a_restart(joining: Harness, settings: Settings) -> None:
    await joining.say("wangwu", "投稿 黔江文旅\n标题\n第一部分，")
    restarted = Harness(dataclasses.replace(settings, draft_join_seconds=WINDOW))
    assert "已并入稿件 #1" in await restarted.say("wangwu", "第二部分。")
    await close_windows(restarted)
    assert (await Draft.get(id=1)).body == "第一部分，第二部分。"


async def test_a_picture_without_a_draft_is_refused(joining: Harness) -> None:
    reply = await joining.upload("wangwu", "a.png", png(2))
    assert "没有正在接收的稿件" in reply
    assert await DraftFile.all().count() == 0


async def test_docx_without_account_asks_which_account(bot: Harness, settings: Settings) -> None:
    data = make_docx("濯水古镇迎来旅游高峰", paragraphs(600), pictures=[png(1), png(2)], every=3)
    reply = await bot.upload("wangwu", "稿件.docx", data)
    assert "请回复要投稿的账号名" in reply and "黔江文旅" in reply and "图片 2 张" in reply
    assert await Draft.all().count() == 0
    question = await Question.get(person_id="wangwu", answered_at=None)
    assert question.kind == "account"
    # the answer may come to another replica or after a restart: the state is in the database
    restarted = Harness(settings)
    reply = await restarted.say("wangwu", "黔江文旅")
    assert "已收到稿件 #1《濯水古镇迎来旅游高峰》" in reply and "图片 2 张" in reply
    draft = await Draft.get(id=1)
    assert draft.body.count("［图") == 2
    assert "没有看懂" in await restarted.say("wangwu", "黔江文旅")  # answered once


async def test_docx_file_and_its_hash_are_in_the_record(bot: Harness) -> None:
    data = make_docx("标题", paragraphs(300), pictures=[png(3)])
    await bot.say("wangwu", "投稿 黔江文旅")  # the account first, then the file
    reply = await bot.upload("wangwu", "any-name.docx", data)
    assert "已收到稿件 #1《标题》" in reply
    digest = hashlib.sha256(data).hexdigest()
    source = await DraftFile.get(draft_id=1, kind="docx").prefetch_related("file")
    assert (source.version, source.file.sha256, source.file.size) == (1, digest, len(data))
    submitted = await AuditEvent.get(action="draft.submitted")
    record = json.loads(submitted.data)
    assert record["file_sha256"] == digest
    assert record["pictures_sha256"] == [hashlib.sha256(png(3)).hexdigest()]
    assert (await audit.verify()).ok


async def test_revision_as_docx_after_a_return(bot: Harness) -> None:
    await bot.say("wangwu", "投稿 黔江文旅\n标题\n" + "\n".join(paragraphs(300)))
    await bot.say("zhangming", "退回 #1 请补充图片")
    assert "请发送稿件 #1 的新标题和正文" in await bot.say("wangwu", "修改 #1")
    data = make_docx("标题", paragraphs(320), pictures=[png(4)])
    reply = await bot.upload("wangwu", "修改稿.docx", data)
    assert "稿件 #1 第 2 版已提交" in reply and "图片 1 张" in reply
    card = await bot.live_card("zhangming")
    assert "本版修改" in card["body_md"] and ["版本", "v2"] in card["fields"]


async def test_a_text_revision_keeps_the_pictures(bot: Harness) -> None:
    await bot.upload("wangwu", "黔江文旅.docx", make_docx("标题", ["正文一段。"],
                                                          pictures=[png(5), png(6)]))
    await bot.say("zhangming", "退回 #1 改一下")
    await bot.say("wangwu", "修改 #1\n标题\n正文一段，改过了。\n［图1］\n［图2］")
    assert await DraftFile.filter(draft_id=1, version=2, kind="image").count() == 2


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("old.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "另存为”.docx"),
    ("notes.txt", "纯文字".encode(), "不是能处理的文件"),
    ("broken.docx", b"PK\x03\x04" + b"\x00" * 50, "不是能处理的文件"),
])
async def test_bad_files_are_refused_clearly(bot: Harness, name: str, data: bytes,
                                             expected: str) -> None:
    before = await AuditEvent.all().count()
    assert expected in await bot.upload("wangwu", name, data)
    assert await Draft.all().count() == 0 and await AuditEvent.all().count() == before


async def test_limits_on_size(db: None, settings: Settings) -> None:
    bot = Harness(dataclasses.replace(settings, draft_file_max_mb=0.01))
    data = make_docx("标题", paragraphs(200), pictures=[png(7, 300, 300)])
    assert "文件太大" in await bot.upload("wangwu", "黔江文旅.docx", data)
    assert await Draft.all().count() == 0


async def test_an_empty_docx(bot: Harness) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx("x", []))) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b">x<", b"><")
            dst.writestr(item, data)
    assert "没有文字" in await bot.upload("wangwu", "黔江文旅.docx", out.getvalue())


async def test_pictures_and_a_map_cue_wait_for_the_approval_number(bot: Harness) -> None:
    """rule R-REV-9: maps must be standard maps or carry a 审图号."""
    data = make_docx("旅游节交通指引", ["游客可参考下方线路图前往濯水古镇。"], pictures=[png(8)])
    reply = await bot.upload("wangwu", "黔江文旅.docx", data)
    assert "线路图" in reply and "审图号" in reply and "标准地图" in reply
    assert (await Draft.get(id=1)).state == DraftState.HELD
    assert not await bot.cards("zhangming")
    assert "待说明地图" in await bot.say("wangwu", "待办")
    assert "请回复稿件 #1" in await bot.say("wangwu", "不知道")
    assert (await Draft.get(id=1)).state == DraftState.HELD
    reply = await bot.say("wangwu", "审图号：GS（2024）0650号")
    assert "已送 张明 二审二校" in reply
    card = await bot.live_card("zhangming")
    assert "地图说明" in card["body_md"] and "GS（2024）0650号" in card["body_md"]
    assert await AuditEvent.exists(action="draft.map_stated")


async def test_a_map_cue_without_pictures_goes_straight_on(bot: Harness) -> None:
    await bot.say("wangwu", "投稿 黔江文旅\n交通指引\n游客可按示意图前往。")
    assert (await Draft.get(id=1)).state == DraftState.REVIEWING


async def test_files_in_a_directory(db: None, settings: Settings, tmp_path: Path) -> None:
    store = tmp_path / "files"
    bot = Harness(dataclasses.replace(settings, file_store_dir=str(store)))
    data = make_docx("标题", paragraphs(200), pictures=[png(9)])
    await bot.upload("wangwu", "黔江文旅.docx", data)
    digest = hashlib.sha256(data).hexdigest()
    assert (store / digest[:2] / digest).read_bytes() == data
    assert not (await StoredFile.get(sha256=digest)).in_database


def test_the_join_window_is_on_next_to_a_real_channel() -> None:
    from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

    wecom = Settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                     wecom_token=TOKEN, wecom_aes_key=AES_KEY)
    assert (Settings().join_seconds, wecom.join_seconds) == (0, 10)
    assert dataclasses.replace(wecom, draft_join_seconds=3).join_seconds == 3
    assert dataclasses.replace(Settings(), draft_join_seconds=5).join_seconds == 5


async def test_a_photo_with_its_location_is_flagged(joining: Harness) -> None:
    """rule R-REV-8: pictures go through 机审 too."""
    await joining.say("wangwu", "投稿 黔江文旅\n走访困难家庭\n工作人员上门走访。")
    await joining.upload("wangwu", "IMG_0001.jpg", jpeg(gps=True))
    await joining.upload("wangwu", "IMG_0002.jpg", jpeg(gps=False))
    await close_windows(joining)
    card = await joining.live_card("zhangming")
    assert "照片含拍摄位置" in card["body_md"] and "图1" in card["body_md"]
    shown = await joining.say("zhangming", "机审 #1")
    assert "GPS" in shown and "图2" not in shown


async def test_a_docx_photo_with_its_location_is_flagged_at_once(bot: Harness) -> None:
    """rule R-REV-8: the pictures a .docx brings are checked as they are stored, when the
    draft goes to review in the same event (no join window)."""
    made = make_docx("走访困难家庭", paragraphs(200), pictures=[png(10), png(11)])
    # python-docx cannot embed our tiny Exif JPEG: put it in place of the first picture
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(made)) as src, zipfile.ZipFile(out, "w") as dst:
        first = min(n for n in src.namelist() if n.startswith("word/media/"))
        for item in src.infolist():
            dst.writestr(item, jpeg(gps=True) if item.filename == first else src.read(item))
    data = out.getvalue()
    reply = await bot.upload("wangwu", "黔江文旅 走访.docx", data)
    assert "已收到稿件 #1" in reply and "图片 2 张" in reply
    card = await bot.live_card("zhangming")
    assert "照片含拍摄位置" in card["body_md"] and "图1" in card["body_md"]
