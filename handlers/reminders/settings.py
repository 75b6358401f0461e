"""提醒设置: what reminders this person gets, and why. Escalations cannot be turned off."""

from __future__ import annotations

from bot.dispatcher import HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText
from bot.policy import Policy
from handlers.common import authz
from handlers.common.lookup import account_label
from handlers.reminders.updates import rule_of
from models.org import Account, Unit

router = Router("reminders")
WEEKDAYS = "一二三四五六日"


def _hears(policy: Policy, roles: list[str]) -> dict[str, bool]:
    """Which reminder audiences of the profile these roles are in."""
    rem = policy.reminders

    def any_of(wanted: tuple[str, ...]) -> bool:
        return any(role in wanted for role in roles)

    return {"unit": any_of(rem.doer_roles) or any_of(policy.relay.notify_roles),
            "reviews": any_of(policy.review.escalation), "leader": any_of(rem.leader_roles),
            "daily": any_of(rem.daily_digest_roles),
            "escalations": any_of(rem.escalation_roles),
            "weekly": any_of(rem.weekly_digest_roles)}


@router.command("提醒设置")
async def on_settings(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`提醒设置`: the reminders I receive, with the rule and the timing of each."""
    person = await authz.check(ctx, "提醒设置", None)
    accounts = await Account.filter(admins__id=person.id).order_by("id")
    unit = await Unit.get(id=person.unit_id)
    text = ctx.render(
        "text/reminder_settings.md.j2", name=person.name, unit=unit.name, roles=person.roles,
        accounts=[{"label": account_label(a), "limit": rule_of(ctx.policy, a).gap_days,
                   "per_week": rule_of(ctx.policy, a).per_week,  # rule R-UPD-3
                   "active": a.status == "normal"} for a in accounts],
        policy=ctx.policy, weekday=WEEKDAYS[ctx.policy.reminders.weekly_digest_weekday - 1],
        hears=_hears(ctx.policy, person.roles),
    )
    await ctx.reply(OutgoingText(text, markdown=True))
