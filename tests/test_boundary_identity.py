"""Identity by channel id only (issue 13 item 2): a person with an id on a channel is reachable
only by that id; the org id is a fallback only for people with no id on that channel."""

from __future__ import annotations

from models.org import Person
from models.review import ReviewStep
from tests.wecom_office import DRAFT, Office


async def test_org_id_collision_cannot_act_as_the_person(office: Office) -> None:
    # 张明's WeCom userid is zm_0042; his org id is zhangming
    await Person.filter(id="zhangming").update(wecom_id="zm_0042")
    await office.say("wangwu", DRAFT)
    card = office.live_card("zm_0042")
    assert office.fake.cards("zhangming") == []

    # another WeCom member whose userid happens to be "zhangming"
    await office.click("zhangming", card, "通过")
    await office.say("zhangming", "通过 #1 冒名")
    assert await ReviewStep.filter(level=2, decision__isnull=True).count() == 1
    assert office.fake.updates() == []
    assert all("已通过" not in t for t in office.fake.texts("zhangming"))
    assert await Person.by_address("wecom", "zhangming") is None

    # the real 张明 still can
    await office.click("zm_0042", card, "通过")
    assert await ReviewStep.filter(level=2, decision="approve").count() == 1


async def test_org_id_is_the_fallback_without_a_channel_id(office: Office) -> None:
    person = await Person.by_address("wecom", "zhangming")
    assert person is not None and person.id == "zhangming"
    # an id on another channel does not take the fallback away on this one
    await Person.filter(id="zhangming").update(dingtalk_id="dt_zm")
    assert (await Person.by_address("wecom", "zhangming")) is not None
    assert await Person.by_address("dingtalk", "zhangming") is None
    assert (await Person.by_address("dingtalk", "dt_zm")) is not None


async def test_by_address_on_every_backend(db: None) -> None:
    await Person.filter(id="zhangming").update(wecom_id="zm_0042")
    await Person.filter(id="wangwu").update(wecom_id="")  # an empty id is no id
    assert await Person.by_address("wecom", "zhangming") is None
    assert (await Person.by_address("wecom", "zm_0042")).id == "zhangming"  # type: ignore[union-attr]
    assert (await Person.by_address("wecom", "wangwu")).id == "wangwu"  # type: ignore[union-attr]
    assert await Person.by_address("wecom", "u" * 65) is None
    assert await Person.by_address("wecom", "") is None
