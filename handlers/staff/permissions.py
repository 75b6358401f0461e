"""Who holds an account's permissions (rule R-SEC-5) and the staff checks before anyone is
given an account (rule R-SEC-6).

`权限 <账号名>` lists the holders: the admins on the org file and those recorded here;
`权限 <账号名> <持有人> [外包|软件]` records one (a name on the org file is staff, anyone
else must be marked 外包 or 软件, and is flagged to the unit's chief: permissions are never
handed wholly to non-staff or to software); `收回权限 <账号名> <持有人>` takes them back.
`保密审查 <人员> [日期]` and `培训 <人员> [日期]` record the confidentiality check and the
pre-post training; giving permissions to staff without them is flagged too.
"""

from __future__ import annotations

from datetime import date

from bot.datefmt import date_cn
from bot.dispatcher import HandlerContext, Router, normalize
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.rendering import msg
from handlers.common.days import parse_day
from handlers.common.lookup import account_label, find_account, find_person
from handlers.followups.access import allow
from handlers.followups.common import clock, is_admin, tell, today
from models.org import Account, OrgTree, Person
from models.staff import HolderKind, PermissionHolder

router = Router("staff")
KIND_WORDS = {"外包": HolderKind.VENDOR, "第三方": HolderKind.VENDOR, "服务商": HolderKind.VENDOR,
              "软件": HolderKind.SOFTWARE, "智能客服": HolderKind.SOFTWARE,
              "在编": HolderKind.STAFF, "本单位": HolderKind.STAFF}
CHIEF = "chief"  # rule R-SEC-5: a holder who is not staff is flagged to the unit's chief


def missing_checks(person: Person) -> list[str]:
    """rule R-SEC-6: what the person has not passed yet, as people read it."""
    return [msg(key) for key, done in (("staff.check_vetting", person.vetted_on),
                                       ("staff.check_training", person.trained_on)) if not done]


async def chiefs(unit_id: str) -> list[Person]:
    return await OrgTree().holders(unit_id, CHIEF)


async def _account(ctx: HandlerContext, row: str) -> tuple[Account, str]:
    assert ctx.command is not None
    name, _, rest = ctx.command.args.partition(" ")
    if not name:
        raise DomainError("staff.usage")
    account = await find_account(name)
    person = ctx.require_person()
    relations = {"admin"} if await is_admin(person, account) else set()
    await allow(ctx, row, account.unit_id, relations=relations,
                account=account_label(account))
    return account, rest.strip()


async def holders_of(account: Account) -> list[dict[str, object]]:
    """Everyone holding the account's permissions: org-file admins first, then the rest."""
    rows: list[dict[str, object]] = [
        {"name": p.name, "kind": msg("staff.kind_admin"), "staff": True,
         "missing": missing_checks(p)}
        for p in await account.admins.filter(active=True).order_by("id")]
    for holder in await PermissionHolder.filter(account_id=account.id, revoked_at__isnull=True) \
            .order_by("id").prefetch_related("person"):
        rows.append({"name": holder.name, "kind": msg(f"staff.kind_{holder.kind}"),
                     "staff": holder.kind == HolderKind.STAFF,
                     "missing": missing_checks(holder.person) if holder.person else []})
    return rows


@router.command("权限")
async def on_holders(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`权限 <账号名> [持有人 [外包|软件]]`: list or record who holds it (rule R-SEC-5)."""
    account, rest = await _account(ctx, "权限")
    if not rest:
        rows = await holders_of(account)
        await ctx.reply(OutgoingText(ctx.render(
            "text/permission_holders.md.j2", account=account_label(account), rows=rows,
            wholly=bool(rows) and not any(r["staff"] for r in rows)), markdown=True))
        return
    words = rest.split(" ")
    kind = KIND_WORDS.get(normalize(words[-1])) if len(words) > 1 else None
    name = " ".join(words[:-1] if kind else words)
    await _grant(ctx, event, account, name, kind)


async def _grant(ctx: HandlerContext, event: IncomingEvent, account: Account, name: str,
                 kind: HolderKind | None) -> None:
    staff = None
    if kind in (None, HolderKind.STAFF):
        try:
            staff = await find_person(name)
        except DomainError:
            if kind is HolderKind.STAFF:
                raise
            raise DomainError("staff.not_on_file", name=name) from None
        name, kind = staff.name, HolderKind.STAFF
    assert kind is not None
    if await PermissionHolder.exists(account_id=account.id, name=name, revoked_at__isnull=True):
        raise DomainError("staff.already_holds", name=name, account=account_label(account))
    recorder = ctx.require_person()
    await PermissionHolder.create(account=account, name=name, kind=kind, person=staff,
                                  recorded_by=recorder.id, recorded_at=event.received_at)
    await ctx.audit("staff.permission_granted", f"account:{account.id}", holder=name,
                    kind=str(kind))
    label, unit_id = account_label(account), account.unit_id
    lacking = missing_checks(staff) if staff else []
    flags = []
    if kind is not HolderKind.STAFF:  # rule R-SEC-5
        wholly = not any(r["staff"] for r in await holders_of(account))
        flags.append(ctx.text("staff.flag_non_staff", account=label, name=name,
                              kind=msg(f"staff.kind_{kind}"), wholly=wholly))
    if lacking:  # rule R-SEC-6
        flags.append(ctx.text("staff.flag_unchecked", account=label, name=name,
                              missing=lacking))
    for flag in flags:
        await tell(ctx, await chiefs(unit_id), flag)
    await ctx.reply(ctx.text("staff.granted", account=label, name=name,
                             kind=msg(f"staff.kind_{kind}"),
                             flags=[f.text for f in flags]))


@router.command("收回权限")
async def on_revoke(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`收回权限 <账号名> <持有人>`: permissions taken back (rule R-SEC-5, R-SEC-3)."""
    account, name = await _account(ctx, "收回权限")
    if not name:
        raise DomainError("staff.revoke_usage")
    person = ctx.require_person()
    revoked = await PermissionHolder.filter(
        account_id=account.id, revoked_at__isnull=True, name=normalize(name)).update(
        revoked_at=event.received_at, revoked_by=person.id)
    if not revoked:
        raise DomainError("staff.not_holder", name=name, account=account_label(account))
    await ctx.audit("staff.permission_revoked", f"account:{account.id}", holder=name)
    await ctx.reply(ctx.text("staff.revoked", account=account_label(account), name=name))


async def _check(ctx: HandlerContext, event: IncomingEvent, row: str, column: str) -> None:
    """`保密审查 <人员> [日期]` / `培训 <人员> [日期]` (rule R-SEC-6)."""
    assert ctx.command is not None
    words = ctx.command.args.split(" ")
    day = today(event.received_at, clock(ctx))
    when: date | None = parse_day(words[-1], day, future=False) if len(words) > 1 else None
    name = " ".join(words[:-1] if when else words)
    if not name:
        raise DomainError("staff.check_usage", command=row)
    when = when or day
    if when > day:
        raise DomainError("staff.check_future", command=row)
    person = await find_person(name)
    await allow(ctx, row, person.unit_id, name=person.name)
    setattr(person, column, when)
    await person.save(update_fields=[column])
    await ctx.audit(f"staff.{column}", f"person:{person.id}", on=when.isoformat())
    await ctx.reply(ctx.text("staff.check_recorded", name=person.name, command=row,
                             on=date_cn(when),
                             missing=missing_checks(person)))


@router.command("保密审查")
async def on_vetted(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`保密审查 <人员> [日期]`: passed the confidentiality check (rule R-SEC-6)."""
    await _check(ctx, event, "保密审查", "vetted_on")


@router.command("培训")
async def on_trained(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`培训 <人员> [日期]`: completed the pre-post training (rule R-SEC-6)."""
    await _check(ctx, event, "培训", "trained_on")
