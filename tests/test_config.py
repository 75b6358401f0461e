"""Configuration: defaults, file, environment, and one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.policy import BUILTIN, load_policy


def test_defaults_need_nothing() -> None:
    s = load_settings(None, {})
    assert (s.database_url, s.host, s.port, s.timezone, s.policy) == (
        "sqlite://govmedia.db", "127.0.0.1", 8080, "Asia/Shanghai", "default")


def test_file_then_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text('port = 9000\npolicy = "qianjiang"\nsim_enabled = false\n', encoding="utf-8")
    s = load_settings(None, {"GOVMEDIA_CONFIG": str(cfg), "GOVMEDIA_PORT": "9100"})
    assert (s.port, s.policy, s.sim_enabled) == (9100, "qianjiang", False)


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"GOVMEDIA_PORT": "abc"}, "GOVMEDIA_PORT"),
        ({"GOVMEDIA_PORT": "70000"}, "port"),
        ({"GOVMEDIA_TIMEZONE": "Mars/Olympus"}, "timezone"),
        ({"GOVMEDIA_DATABASE_URL": "oracle://x"}, "database_url"),
        ({"GOVMEDIA_SIM_ENABLED": "maybe"}, "GOVMEDIA_SIM_ENABLED"),
        ({"GOVMEDIA_CONFIG": "/nonexistent.toml"}, "/nonexistent.toml"),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, env)
    assert key in str(err.value) and "\n" not in str(err.value)


def test_unknown_key_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(str(cfg), {})


def test_cli_prints_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"], {"GOVMEDIA_PORT": "x"}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GOVMEDIA_PORT" in err and "Traceback" not in err
    assert main(["db", "upgrade"], {"GOVMEDIA_POLICY": "nowhere"}) == 2
    assert "policy" in capsys.readouterr().err


@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_profile_loads(name: str) -> None:
    policy = load_policy(name)
    assert policy.review.levels == ("reviewer", "approver")  # rule R-REV-1
    assert len(policy.review.checklist) == 12  # rule R-REV-6


def test_profiles_differ_where_regulations_do() -> None:
    qianjiang = load_policy("qianjiang").updates  # rule R-UPD-3 (003 Art.12)
    assert (qianjiang.min_updates_per_week, qianjiang.count_per_week,
            qianjiang.limited_max_gap_days) == (3, True, 10)
    assert load_policy("jingyuan").updates.video_max_gap_days == 7  # rule R-UPD-1 (001 Art.20)
    assert load_policy("jingyuan").review.final_role_important == "approver"  # R-REV-2
    assert load_policy("luan").filings.announcement_unit == "workdays"  # rule R-ACC-2
    assert load_policy("default").relay.deadline_hours == 12  # rule R-RLY-1


def test_profile_file_extends_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('extends = "default"\nname = "mine"\n[relay]\ndeadline_hours = 6\n',
                    encoding="utf-8")
    policy = load_policy(str(path))
    assert (policy.name, policy.relay.deadline_hours) == ("mine", 6)
    path.write_text('extends = "default"\n[relay]\ndeadline = 6\n', encoding="utf-8")
    load_policy.cache_clear()
    with pytest.raises(ConfigError, match="deadline"):
        load_policy(str(path))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.gov.cn/zhengce/1.htm", True),
        ("http://cq.gov.cn/a", True),
        ("https://www.news.cn/x", True),
        ("https://gov.cn.evil.com/x", False),
        ("https://mp.weixin.qq.com/s/abc", False),
        ("https://notgov.cn/x", False),
    ],
)
def test_repost_allow_list_by_host_boundary(url: str, allowed: bool) -> None:
    """rule R-REV-4."""
    assert load_policy("default").is_allowed_source(url) is allowed


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().port = 1  # type: ignore[misc]
