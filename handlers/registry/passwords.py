"""已改密 <账号名>: record that an account's password was changed (R-SEC-1, R-SEC-3).

Only the date and who did it are kept. The bot never asks for, stores or logs a
password (R-SEC-4): a message that looks like it carries one is refused and nothing
of it is kept — not even in the error reply.
"""

from __future__ import annotations

import re

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent
from bot.reminders.hours import WorkingHours
from bot.workdays import add_months
from handlers.common import authz
from handlers.common.lookup import account_label, find_account
from handlers.reminders.kinds import local_date, local_text
from models.deadlines import Deadline
from models.org import Account

router = Router("passwords")
SECRET_WORDS = ("密码", "口令", "密碼", "password", "passwd", "pwd", "pass")
# a run of 6+ ASCII characters outside a "(platform)" hint: account names have none
# (R-ACC-6), passwords always do
_PLATFORM_HINT = re.compile(r"\([^()]*\)")
_SECRETISH = re.compile(r"[!-~]{6,}")


def looks_like_password(args: str, lines: tuple[str, ...]) -> bool:
    """Extra lines or the word 密码/password: more than an account name (rule R-SEC-4)."""
    if any(line.strip() for line in lines):
        return True
    lowered = args.lower()
    return any(word in lowered for word in SECRET_WORDS)


def has_secretish_token(args: str) -> bool:
    return bool(_SECRETISH.search(_PLATFORM_HINT.sub(" ", args)))


async def _account(args: str) -> Account:
    """The named account; text that is not a name but looks like a secret is refused."""
    try:
        return await find_account(args)
    except DomainError:
        if has_secretish_token(args):
            raise DomainError("password.refused") from None  # rule R-SEC-4: never echo it
        raise


@router.command("已改密")
async def on_password_changed(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`已改密 <账号名>`: the password was changed today, by me (never the password itself)."""
    person = ctx.require_person()
    assert ctx.command is not None
    if looks_like_password(ctx.command.args, ctx.command.lines):
        raise DomainError("password.refused")  # rule R-SEC-4
    if not ctx.command.args:
        raise DomainError("password.usage")
    account = await _account(ctx.command.args)
    await authz.check_account(ctx, "已改密", account)
    now = utcnow()
    await Account.filter(id=account.id).update(password_changed_at=now)  # rule R-SEC-1
    # rule R-SEC-3: a change after a staff change closes that obligation too
    await Deadline.filter(account_id=account.id, kind="password_change",
                          done_at__isnull=True).update(done_at=now, done_by=person.id)
    await ctx.audit("account.password_changed", f"account:{account.id}", by=person.id)
    rem = ctx.policy.reminders
    clock = WorkingHours.of(rem.work_start, rem.work_end, ctx.settings.tz)
    next_due = add_months(now, ctx.policy.security.password_max_age_months)
    await ctx.reply(ctx.text("password.recorded", account=account_label(account),
                             at=local_text(now, clock), name=person.name,
                             next=local_date(next_due, clock),
                             classes=ctx.policy.security.password_min_classes))  # rule R-SEC-2
