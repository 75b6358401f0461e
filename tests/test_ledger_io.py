"""`govmedia accounts import / export`: the ledger spreadsheet in the filing form's columns."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.ledger import COLUMNS

HEADER = [c.label for c in COLUMNS]
ORG = """
[[units]]
id = "gov"
name = "县政府办公室"

[[units]]
id = "wlj"
name = "县文旅局"
parent = "gov"

[[units]]
id = "jyj"
name = "县教育局"
parent = "gov"

[[people]]
id = "wangwu"
name = "王五"
unit = "wlj"
roles = ["editor"]

[[people]]
id = "lisi"
name = "李四"
unit = "wlj"
roles = ["editor"]

[[people]]
id = "zhaoliu"
name = "赵六"
unit = "jyj"
roles = ["editor"]
"""
PLATFORMS = ["微信订阅号", "微信服务号", "新浪微博", "抖音", "快手", "今日头条", "西瓜视频", "网站"]


def ledger_row(i: int) -> list[str]:
    """One account with every column filled in the export's own format."""
    unit = "县文旅局" if i % 2 else "县教育局"
    return [f"文旅资讯{i:03d}", f"gh_{i:05d}", PLATFORMS[i % len(PLATFORMS)], "",
            unit, "宣传科", "2021-03-05", "是", "否", f"第{i}号账号简介，含逗号,和引号\"",
            f"https://example.gov.cn/{i}", "某传媒公司" if i % 3 else "", "" if i % 3 == 0
            else "广播电视节目制作经营许可证", "视频" if i % 4 == 0 else "图文",
            "刘芳，副局长，023-79223456，13800000001", "张明，科长",
            "王五，科员，023-79223458，13800000003；李四，科员" if i % 2 else "赵六",
            ["正常", "暂停", "关停", "注销"][i % 4], str(i * 10), "2024-09-20 09:30",
            "2024-07-01 00:00", "2023-06-01" if i % 3 else "",
            "政务公开、政务服务、互动交流" if i % 5 else "", ["是", "否", ""][i % 3],
            "是" if i % 2 else "", "否" if i % 7 else ""]


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture
def env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    environ = {"GOVMEDIA_DATABASE_URL": f"sqlite://{tmp_path / 'ledger.db'}"}
    org = tmp_path / "org.toml"
    org.write_text(ORG, encoding="utf-8")
    assert main(["db", "upgrade"], environ) == 0  # only serve and db upgrade create one
    assert main(["org", "load", str(org)], environ) == 0
    capsys.readouterr()
    return environ


def test_300_rows_round_trip_exactly(tmp_path: Path, env: dict[str, str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    text = to_csv([HEADER, *(ledger_row(i) for i in range(1, 301))])
    source = tmp_path / "ledger.csv"
    source.write_text(text, encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 0
    assert "新增 300 个账号" in capsys.readouterr().out
    assert main(["accounts", "export", "--format", "csv"], env) == 0
    assert capsys.readouterr().out == text
    assert main(["accounts", "import", str(source)], env) == 0  # again: nothing changes
    assert "更新 0 个，300 个没有变化" in capsys.readouterr().out
    xlsx = tmp_path / "ledger.xlsx"
    assert main(["accounts", "export", "--format", "xlsx", "--output", str(xlsx)], env) == 0
    assert "已导出 300 个账号" in capsys.readouterr().out
    assert main(["accounts", "import", str(xlsx)], env) == 0
    capsys.readouterr()
    out = tmp_path / "again.csv"
    assert main(["accounts", "export", "--format", "csv", "--output", str(out)], env) == 0
    assert out.read_text(encoding="utf-8-sig") == text


def test_team_admins_link_to_staff(tmp_path: Path, env: dict[str, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.db import close_db, init_db
    from models.org import Account

    source = tmp_path / "one.csv"
    source.write_text(to_csv([HEADER, ledger_row(1)]), encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 0

    async def admins() -> list[str]:
        await init_db(env["GOVMEDIA_DATABASE_URL"])
        try:
            account = await Account.get(name="文旅资讯001")
            return [p.id for p in await account.admins.all()]
        finally:
            await close_db()

    assert sorted(asyncio.run(admins())) == ["lisi", "wangwu"]


def test_bad_rows_are_reported_by_number_and_nothing_is_written(
        tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rows = [HEADER, *(ledger_row(i) for i in range(1, 6))]
    rows[2][6] = "2021-02-30"  # row 3: bad date
    rows[4][0] = rows[3][0]  # row 5: same name and platform as row 4? platforms differ
    rows[4][2] = rows[3][2]
    rows[5][4] = "县财政局"  # row 6: unknown unit
    source = tmp_path / "bad.csv"
    source.write_text(to_csv(rows), encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 1
    err = capsys.readouterr().err
    assert "第 3 行：“开设时间”：日期“2021-02-30”无法识别" in err
    assert "第 5 行：与第 4 行的账号名称和平台重复" in err
    assert "第 6 行：主办单位“县财政局”不在组织中" in err
    assert "未导入任何内容" in err
    assert main(["accounts", "export"], env) == 0
    assert capsys.readouterr().out == to_csv([HEADER])
    assert main(["accounts", "import", str(source), "--skip-bad"], env) == 0
    assert "新增 2 个账号" in capsys.readouterr().out


def test_every_problem_of_a_row_is_reported(tmp_path: Path, env: dict[str, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """One bad row, every mistake in it at once (not one per round)."""
    row = ledger_row(1)
    row[6], row[7], row[18] = "2021-02-30", "也许", "很多"
    row[16] = "王五；钱七"
    source = tmp_path / "bad.csv"
    source.write_text(to_csv([HEADER, row]), encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 1
    err = capsys.readouterr().err
    for problem in ("第 2 行：“开设时间”", "第 2 行：“是否认证”", "第 2 行：“粉丝量”",
                    "第 2 行：管理员“钱七”不是县文旅局的人员"):
        assert problem in err, problem
    assert "有 1 行有误" in err


def test_channels_platform_and_an_unchanged_import(tmp_path: Path, env: dict[str, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rows = [HEADER, ledger_row(1), ledger_row(2)]
    rows[1][2] = "微信视频号"
    rows[2][2] = "视频号"
    rows[2][0] = "文旅视频"
    source = tmp_path / "two.csv"
    source.write_text(to_csv(rows), encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 0
    assert "新增 2 个账号" in capsys.readouterr().out
    assert main(["accounts", "import", str(source)], env) == 0
    assert "新增 0 个账号，更新 0 个，2 个没有变化" in capsys.readouterr().out
    rows[1][18] = "99"
    source.write_text(to_csv(rows), encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 0
    assert "更新 1 个，1 个没有变化" in capsys.readouterr().out
    assert main(["accounts", "export"], env) == 0
    assert capsys.readouterr().out.count("微信视频号") == 2


@pytest.mark.parametrize(("content", "expected"), [
    ("", "是空的"),
    ("名称,平台\n黔江,抖音\n", "缺少 主办单位"),
    ("账号名称,平台,主办单位,颜色\n", "无法识别的列：颜色"),
    ("账号名称,平台,主办单位,平台\n", "重复 平台"),
])
def test_malformed_files(tmp_path: Path, env: dict[str, str],
                         capsys: pytest.CaptureFixture[str], content: str, expected: str) -> None:
    source = tmp_path / "x.csv"
    source.write_text(content, encoding="utf-8")
    assert main(["accounts", "import", str(source)], env) == 1
    assert expected in capsys.readouterr().err


def test_huge_and_missing_and_damaged_files(tmp_path: Path, env: dict[str, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    assert main(["accounts", "import", str(huge)], env) == 1
    assert "太大" in capsys.readouterr().err
    assert main(["accounts", "import", str(tmp_path / "none.csv")], env) == 1
    assert "无法读取" in capsys.readouterr().err
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(os.urandom(200))
    assert main(["accounts", "import", str(damaged)], env) == 1
    assert "无法打开 XLSX" in capsys.readouterr().err
    assert main(["accounts", "export", "--format", "xlsx"], env) == 2
    assert "--output" in capsys.readouterr().err


def test_xlsx_with_gbk_like_values_and_excel_types(tmp_path: Path, env: dict[str, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Excel hands dates and numbers as typed cells; they read like their text."""
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["账号名称", "平台", "主办单位", "开设时间", "粉丝量", "最近更新"])
    sheet.append(["文旅资讯", "抖音", "wlj", datetime(2021, 3, 5), 1200,
                  datetime(2024, 9, 20, 9, 30)])
    path = tmp_path / "typed.xlsx"
    book.save(path)
    assert main(["accounts", "import", str(path)], env) == 0
    capsys.readouterr()
    assert main(["accounts", "export"], env) == 0
    row = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1]
    assert row[:3] == ["文旅资讯", "", "抖音"] and row[4] == "县文旅局"
    assert row[6] == "2021-03-05" and row[18] == "1200" and row[19] == "2024-09-20 09:30"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("账号名称,平台,主办单位\n教育发布,快手,县教育局\n".encode("gb18030"))
    assert main(["accounts", "import", str(gbk)], env) == 0
