from tests.conftest import Harness

DRAFT = "投稿 黔江文旅\n秋季旅游节开幕\n10月1日，黔江秋季旅游节在濯水古镇开幕。"


async def test_full_flow(bot: Harness) -> None:
    reply = await bot.say("wangwu", DRAFT)
    assert "#1" in reply and "张明" in reply
    card = await bot.live_card("zhangming")
    await bot.tap("zhangming", bot.key(card, "通过"))
    card2 = await bot.live_card("liufang")
    print(card2)
    await bot.tap("liufang", bot.key(card2, "通过"))
    print(await bot.texts("wangwu"))
    print(await bot.say("wangwu", "已发布 #1 https://mp.weixin.qq.com/s/abc"))
    print(await bot.say("wangwu", "待办"))
    print(await bot.say("wangwu", "帮助"))
