"""帮助: the list of chat commands, with the review ladder and limits of the profile."""

from __future__ import annotations

from bot.dispatcher import HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText
from handlers.review.routing import ladder, role_label

router = Router("help")


ALL_WORDS = ("全部", "所有", "all")
REVIEW_ROLES = ("reviewer", "approver", "chief", "supervisor")
LEADER_ROLES = ("chief", "supervisor")


@router.command("帮助")
async def on_help(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`帮助`: the commands the person's roles allow, with examples; `帮助 全部`: all."""
    policy = ctx.policy
    person = ctx.person
    args = ctx.command.args.strip() if ctx.command else ""
    everything = person is None or args.lower() in ALL_WORDS

    def allowed(roles: tuple[str, ...]) -> bool:
        return everything or any(person.has_role(r) for r in roles)  # type: ignore[union-attr]

    show = {"review": allowed(REVIEW_ROLES), "leader": allowed(LEADER_ROLES),
            "supervisor": allowed(("supervisor",))}
    await ctx.reply(OutgoingText(ctx.render(
        "text/help.md.j2", person=person, ladder=ladder(policy),
        important=role_label(policy.review.final_role_important),
        major=role_label(policy.review.final_role_major),
        relay_hours=policy.relay.deadline_hours, policy=policy, show=show,
        filtered=not everything and not all(show.values())), markdown=True))
