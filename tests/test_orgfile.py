"""`govmedia org load/export`: validate everything, write all or nothing, idempotent."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import orgfile
from bot.cli import main
from bot.db import close_db
from bot.demo import DEMO_FILE
from models.org import Account, Person, Unit
from models.system import AuditEvent
from tests import databases

BASE = """
[[units]]
id = "qj-gov"
name = "黔江区人民政府办公室"
[[units]]
id = "qj-wlw"
name = "黔江区文化旅游委"
parent = "qj-gov"
[[people]]
id = "wangwu"
name = "王五"
unit = "qj-wlw"
roles = ["editor"]
[[accounts]]
name = "黔江文旅"
platform = "wechat_subscription"
unit = "qj-wlw"
content = "text"
admins = ["wangwu"]
"""


@pytest.fixture
async def empty_db(backend: str) -> AsyncIterator[None]:
    await databases.open_clean(backend)
    yield
    await close_db()


async def test_load_is_idempotent_and_updates(empty_db: None) -> None:
    first = await orgfile.apply(orgfile.parse(BASE))
    assert first.created == {"units": 2, "people": 1, "accounts": 1}
    audits = await AuditEvent.all().count()
    again = await orgfile.apply(orgfile.parse(BASE))
    assert not again.changed
    assert await AuditEvent.all().count() == audits
    edited = BASE.replace('roles = ["editor"]', 'roles = ["editor", "reviewer"]')
    edited = edited.replace('content = "text"', 'content = "video"')
    summary = await orgfile.apply(orgfile.parse(edited))
    assert summary.updated == {"people": 1, "accounts": 1}
    assert (await Person.get(id="wangwu")).roles == ["editor", "reviewer"]
    assert (await Account.get(name="黔江文旅")).content == "video"


async def test_people_left_out_are_deactivated_not_deleted(empty_db: None) -> None:
    await orgfile.apply(orgfile.parse(BASE + """
[[people]]
id = "lisi"
name = "李四"
unit = "qj-wlw"
"""))
    summary = await orgfile.apply(orgfile.parse(BASE))
    assert summary.deactivated == {"people": 1}
    assert not (await Person.get(id="lisi")).active


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('roles = ["editor"]', 'roles = ["boss"]'), "people 第 1 项（wangwu）：未知角色“boss”"),
        (('platform = "wechat_subscription"', 'platform = "myspace"'), "未知平台“myspace”"),
        (('unit = "qj-wlw"\nroles', 'unit = "nowhere"\nroles'), "单位“nowhere”不存在"),
        (('content = "text"', 'content = "text"\nfollowers = 3'), "未知的字段 followers"),
        (('admins = ["wangwu"]', 'admins = ["ghost"]'), "管理员“ghost”不在 people 中"),
        (('id = "qj-wlw"', 'id = "qj-gov"'), "units 第 2 项（qj-gov）：与前面的项重复"),
        (('name = "王五"', 'name = ""'), "缺少字段或字段为空：name"),
        (('[[units]]', '[[unitz]]'), "未知的部分 unitz"),
        (('name = "王五"', 'name = "王五'), "TOML 格式有误"),
        (('content = "text"', 'content = "audio"'), "content 应为 text 或 video"),
    ],
)
async def test_bad_files_name_the_entry_and_write_nothing(empty_db: None, change: tuple[str, str],
                                                          expected: str) -> None:
    with pytest.raises(orgfile.OrgFileError) as err:
        orgfile.parse(BASE.replace(*change, 1))
    assert expected in str(err.value)
    assert "\n" not in str(err.value)
    assert await Unit.all().count() == 0


def test_unit_cycle_is_refused() -> None:
    text = BASE.replace('name = "黔江区人民政府办公室"', 'name = "x"\nparent = "qj-wlw"')
    with pytest.raises(orgfile.OrgFileError, match="循环"):
        orgfile.parse(text)


async def test_export_round_trips(empty_db: None) -> None:
    demo = DEMO_FILE.read_text(encoding="utf-8")
    await orgfile.apply(orgfile.parse(demo))
    exported = await orgfile.export()
    assert not (await orgfile.apply(orgfile.parse(exported))).changed
    assert tomllib.loads(exported)["accounts"][0]["name"] == "黔江财政"


def test_cli_org_load_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'org.db'}"}
    org = tmp_path / "org.toml"
    org.write_text(BASE, encoding="utf-8")
    assert main(["db", "upgrade"], env) == 0  # only serve and db upgrade create one
    assert main(["org", "load", str(org)], env) == 0
    assert "新增" in capsys.readouterr().out
    assert main(["org", "load", str(org)], env) == 0
    assert "没有任何变化" in capsys.readouterr().out
    assert main(["org", "export"], env) == 0
    assert tomllib.loads(capsys.readouterr().out)["people"][0]["id"] == "wangwu"
    org.write_text(BASE.replace("editor", "boss"), encoding="utf-8")
    assert main(["org", "load", str(org)], env) == 1
    assert "未知角色" in capsys.readouterr().err
    assert main(["org", "load", str(tmp_path / "missing.toml")], env) == 2


async def test_channel_ids_map_people(empty_db: None) -> None:
    from models.org import Person

    text = BASE.replace('roles = ["editor"]', 'roles = ["editor"]\nwecom_id = "WangWu01"')
    await orgfile.apply(orgfile.parse(text))
    person = await Person.by_address("wecom", "WangWu01")
    assert person is not None and person.id == "wangwu"
    assert person.address("wecom") == "WangWu01" and person.address("dingtalk") == "wangwu"
    assert (await Person.by_address("dingtalk", "wangwu")) is not None
    assert 'wecom_id = "WangWu01"' in await orgfile.export()
    dup = text + '\n[[people]]\nid = "x"\nname = "x"\nunit = "qj-wlw"\nwecom_id = "WangWu01"\n'
    with pytest.raises(orgfile.OrgFileError, match="people 第 2 项"):
        orgfile.parse(dup)
