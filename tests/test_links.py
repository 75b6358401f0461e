"""Signed, short-lived links (bot/links.py) and the public_url setting (issue 12)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot import links
from bot.app import create_app
from bot.config import Settings, load_settings, public_url_warning
from bot.errors import ConfigError
from models.secrets import AppSecret
from tests.fakes.wecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_a_link_opens_its_target_for_its_person_until_it_expires() -> None:
    token = links.sign(KEY, "zhangming", "draft:12", NOW + timedelta(hours=1))
    grant = links.verify(KEY, token, NOW)
    assert (grant.person, grant.target) == ("zhangming", "draft:12")
    with pytest.raises(links.LinkError) as err:
        links.verify(KEY, token, NOW + timedelta(hours=1))
    assert err.value.reason == "expired" and err.value.grant == grant


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
    lambda t: links.sign(KEY, "liufang", "draft:12", NOW + timedelta(hours=1)).split(".")[0]
    + "." + t.split(".")[1],  # another person under this signature
])
def test_a_changed_link_does_not_open(tamper) -> None:  # type: ignore[no-untyped-def]
    token = links.sign(KEY, "zhangming", "draft:12", NOW + timedelta(hours=1))
    with pytest.raises(links.LinkError) as err:
        links.verify(KEY, tamper(token), NOW)
    assert err.value.reason == "signature"
    with pytest.raises(links.LinkError):
        links.verify(b"another key", token, NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", "eA.x"])
def test_garbage_is_malformed(token: str) -> None:
    with pytest.raises(links.LinkError) as err:
        links.verify(KEY, token, NOW)
    assert err.value.reason == "malformed"


def test_url_uses_public_url_or_the_servers_own_address() -> None:
    assert links.url(Settings(), "/drafts/1", "T") == "http://127.0.0.1:8080/drafts/1?t=T"
    public = Settings(public_url="https://xmt.example.gov.cn/")
    assert links.url(public, "/drafts/1", "T") == "https://xmt.example.gov.cn/drafts/1?t=T"


async def test_the_key_is_made_once_and_kept_in_the_database(db: None,
                                                               settings: Settings) -> None:
    links.forget_cached_secret()
    first = await links.secret_for(settings)
    links.forget_cached_secret()
    assert await links.secret_for(settings) == first
    assert await AppSecret.all().count() == 1
    configured = Settings(link_secret="from-the-environment")
    assert await links.secret_for(configured) == b"from-the-environment"


@pytest.mark.parametrize("value", ["xmt.example.gov.cn", "ftp://x", "https://x/?a=1"])
def test_a_bad_public_url_names_the_key(value: str) -> None:
    with pytest.raises(ConfigError, match="public_url"):
        load_settings(None, {"GOVMEDIA_PUBLIC_URL": value})


def _wecom(**extra: str) -> Settings:
    return Settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                    wecom_token=TOKEN, wecom_aes_key=AES_KEY, **extra)  # type: ignore[arg-type]


def test_start_up_warns_when_a_real_channel_has_no_public_url(
        caplog: pytest.LogCaptureFixture) -> None:
    assert public_url_warning(Settings()) is None  # the simulator on this machine is fine
    assert public_url_warning(_wecom(public_url="https://xmt.example.gov.cn")) is None
    with caplog.at_level(logging.WARNING):
        create_app(_wecom())
    assert any("public_url" in r.getMessage() and "手机打不开" in r.getMessage()
               for r in caplog.records)
