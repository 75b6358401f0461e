"""帮助: the list of chat commands, with the review ladder and limits of the profile."""

from __future__ import annotations

from bot.dispatcher import HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText
from handlers.review.routing import ladder, role_label

router = Router("help")


@router.command("帮助")
async def on_help(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`帮助`: every command with an example."""
    policy = ctx.policy
    await ctx.reply(OutgoingText(ctx.render(
        "text/help.md.j2", person=ctx.person, ladder=ladder(policy),
        important=role_label(policy.review.final_role_important),
        major=role_label(policy.review.final_role_major),
        relay_hours=policy.relay.deadline_hours, policy=policy), markdown=True))
