"""The simulator and the demo organisation are a demo: off next to a real channel unless
asked for, the simulator then only behind a login, and the start-up line says which is on."""

from __future__ import annotations

import pytest

from bot.cli.serve import startup_line
from bot.config import load_settings
from bot.errors import ConfigError
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

WECOM = {"GOVMEDIA_WECOM_CORP_ID": CORP_ID, "GOVMEDIA_WECOM_AGENT_ID": str(AGENT_ID),
         "GOVMEDIA_WECOM_SECRET": SECRET, "GOVMEDIA_WECOM_TOKEN": TOKEN,
         "GOVMEDIA_WECOM_AES_KEY": AES_KEY}
DINGTALK = {"GOVMEDIA_DINGTALK_APP_KEY": "k", "GOVMEDIA_DINGTALK_APP_SECRET": "s",
            "GOVMEDIA_DINGTALK_ROBOT_CODE": "k"}
SIM_TOKEN = "demo-login-token-123"


def test_demo_parts_are_on_without_a_real_channel() -> None:
    settings = load_settings(None, {})
    assert settings.sim_enabled and settings.seed_demo and not settings.real_channel
    line = startup_line(settings)
    assert "/sim/" in line and "模拟器：开（无需登录" in line and "演示组织：开" in line


@pytest.mark.parametrize("channel", [WECOM, DINGTALK], ids=["wecom", "dingtalk"])
def test_a_real_channel_turns_the_demo_off(channel: dict[str, str]) -> None:
    settings = load_settings(None, channel)
    assert settings.real_channel and not settings.sim_enabled and not settings.seed_demo
    line = startup_line(settings)
    assert "模拟器：关" in line and "演示组织：关" in line and "/sim/" not in line


def test_never_seed_the_demo_next_to_a_real_channel() -> None:
    with pytest.raises(ConfigError, match="seed_demo"):
        load_settings(None, {**WECOM, "GOVMEDIA_SEED_DEMO": "true"})


def test_the_simulator_next_to_a_real_channel_needs_a_login_token() -> None:
    with pytest.raises(ConfigError, match="GOVMEDIA_SIM_TOKEN"):
        load_settings(None, {**WECOM, "GOVMEDIA_SIM_ENABLED": "true"})
    with pytest.raises(ConfigError, match="GOVMEDIA_SIM_TOKEN"):
        load_settings(None, {**WECOM, "GOVMEDIA_SIM_ENABLED": "true",
                             "GOVMEDIA_SIM_TOKEN": "short"})
    settings = load_settings(None, {**WECOM, "GOVMEDIA_SIM_ENABLED": "true",
                                    "GOVMEDIA_SIM_TOKEN": SIM_TOKEN})
    assert settings.sim_enabled and not settings.seed_demo
    assert "模拟器：开（须用 GOVMEDIA_SIM_TOKEN 登录）" in startup_line(settings)
