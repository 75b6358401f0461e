"""`govmedia precheck [FILE|-] [--policy NAME] [--format text|json]`: the same check from the
command line, for an editor or a script (issue 15)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

DRAFT = ("关于低保的公示\n申请人张某，身份证号500114199003071238，联系电话13912345678。\n"
         "详见 https://mp.weixin.qq.com/s/abc 。\n")


def _file(tmp_path: Path, text: str = DRAFT) -> str:
    path = tmp_path / "draft.txt"
    path.write_text(text, "utf-8")
    return str(path)


def test_json_is_one_object_per_finding_with_offsets_into_the_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["precheck", _file(tmp_path), "--format", "json"], {}) == 1  # an error finding
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["kind"] for r in rows] == ["id_number", "mobile", "source_platform"]
    for row in rows:
        assert set(row) == {"kind", "severity", "start", "end", "text", "message", "rule"}
        assert DRAFT[row["start"]:row["end"]] == row["text"]
    assert rows[0]["severity"] == "error" and rows[0]["rule"] == "R-REV-8"
    assert rows[0]["message"] == "公民身份号码须去标识化后发布（R-REV-8）"


def test_text_leads_with_errors_at_line_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "全城最佳民宿，特价299元/晚，欢迎预订。\n房东身份证号500114199003071238。\n"
    assert main(["precheck", _file(tmp_path, text)], {}) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2:7 [错误] 身份证号：")
    assert out[2].startswith("1:3 [提醒] 广告绝对化用语：")
    assert out[-1].startswith("共 2 条：错误 1 · 提醒 1")


def test_standard_input_and_a_clean_text(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeff10月1日，秋季旅游节在濯水古镇开幕。"))
    assert main(["precheck", "-"], {}) == 0
    assert capsys.readouterr().out.startswith("未发现问题")
    monkeypatch.setattr("sys.stdin", io.StringIO("联系人王某，电话13912345678。"))
    assert main(["precheck", "--format", "json"], {}) == 0  # a warning only: exit 0
    assert json.loads(capsys.readouterr().out)["kind"] == "mobile"


def test_policy_decides_the_repost_allow_list(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """rule R-REV-4: --policy names the profile whose allow-list applies."""
    path = _file(tmp_path, "来源 https://news.example.org/a.htm 。")
    profile = tmp_path / "local.toml"
    profile.write_text('extends = "default"\n[review]\nrepost_allowlist = ["example.org"]\n',
                       "utf-8")
    assert main(["precheck", path, "--format", "json"], {}) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "source_unofficial"
    assert main(["precheck", path, "--policy", str(profile), "--format", "json"], {}) == 0
    assert capsys.readouterr().out == ""
    assert main(["precheck", path, "--policy", "nowhere"], {}) == 2
    assert "找不到策略" in capsys.readouterr().err


def test_bad_input_gets_one_clear_line(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["precheck", str(tmp_path / "missing.txt")], {}) == 2
    assert capsys.readouterr().err.strip() == f"找不到文件：{tmp_path / 'missing.txt'}"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("身份证号".encode("gbk"))
    assert main(["precheck", str(gbk)], {}) == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err
    assert main(["precheck", str(tmp_path)], {}) == 2
    assert "是目录" in capsys.readouterr().err
