"""帮助: the list of chat commands."""

from __future__ import annotations

from bot.dispatcher import HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText

router = Router("help")


@router.command("帮助")
async def on_help(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`帮助`: every command with an example."""
    await ctx.reply(OutgoingText(ctx.render("text/help.md.j2", person=ctx.person),
                                 markdown=True))
