"""The everyday approval moves (issue 20): 撤回, 催办, 转交, 改派, each under R-REV-3.

A move changes who holds the open step of a draft (or takes the draft back); the step row
keeps the level, so the review record has one row per level, and `moves` lists every move
with who, to whom, why and when. Every change is conditional on the step still being open
with the holder the handler saw, so of two racing moves or a move and a decision one wins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot import clock
from bot.datefmt import local_minute
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import Button, CardUpdate, IncomingEvent, OutgoingCard, button_key
from bot.rendering import msg
from handlers.common import authz
from handlers.common.absence import away_at
from handlers.common.lookup import find_person, load_draft, numbered_ref
from handlers.review.cards import NUDGE as NUDGE_TAP
from handlers.review.cards import (
    HAND_OVER,
    HAND_OVER_TO,
    WITHDRAW,
    closed_card,
    handover_card,
    handover_card_done,
    receipt_done,
    review_card,
)
from handlers.review.routing import excluded_for, level_label, may_hold, role_label
from models.org import OrgTree, Person
from models.review import AUTHOR_LEVEL, Draft, DraftState, ReviewStep

router = Router("moves")
# the kinds of moves a step records (ReviewStep.moves); AWAY: the holder's absence began and
# the deputy may not hold the step, so it went where routing sends a new one (issue 20)
HANDOVER, REASSIGN, DEPUTY, AWAY, NUDGE, WITHDRAW_REQUEST = (
    "handover", "reassign", "deputy", "away", "nudge", "withdraw_request")


def request_card(draft: Draft, author: Person, reason: str) -> OutgoingCard:
    """The current reviewer's card for the author's request to withdraw: 同意撤回."""
    return OutgoingCard(
        title=msg("moves.request_title", id=draft.id, title=draft.title),
        body_md=msg("moves.withdraw_asked", id=draft.id, title=draft.title, name=author.name,
                    reason=reason),
        card_ref=f"withdraw-{draft.id}-{draft.version}",
        buttons=(Button(button_key(WITHDRAW, draft.id, draft.version),
                        msg("moves.button_agree"), "danger",
                        msg("moves.command_withdraw", id=draft.id)),))


async def open_step_of(draft: Draft) -> ReviewStep:
    """The step waiting for a decision now; DomainError if the draft is not under review."""
    step = None
    if draft.state == DraftState.REVIEWING:
        step = await ReviewStep.get_or_none(draft_id=draft.id, version=draft.version,
                                            level=draft.level, decision__isnull=True)
    if step is None:
        raise DomainError("moves.not_in_review", id=draft.id,
                          state=HandlerContext.text(f"state.{draft.state}").text)
    return step


def move(kind: str, *, by: str, frm: str | None = None, to: str | None = None,
         reason: str = "", absence: int | None = None) -> dict[str, Any]:
    """A move as the step records it; `absence`: the absence (请假) that caused it."""
    entry: dict[str, Any] = {"kind": kind, "by": by, "from": frm, "to": to, "reason": reason,
             "at": clock.utcnow().isoformat()}
    if absence is not None:
        entry["absence"] = absence
    return entry


async def _record(step: ReviewStep, entry: dict[str, Any], **changes: Any) -> None:
    """Append a move (and change the holder) if the step is still open with its holder."""
    won = await ReviewStep.filter(id=step.id, decision__isnull=True,
                                  assignee_id=step.assignee_id).update(
        moves=[*(step.moves or []), entry], **changes)
    if won != 1:
        raise DomainError("review.stale_card")
    await step.refresh_from_db()


async def check_eligible(ctx: HandlerContext, draft: Draft, step: ReviewStep, person: Person,
                         roles: list[str]) -> None:
    """R-REV-3 and the level's roles: the person may hold this step; DomainError saying why
    not. Never the draft's author or whoever decided another level of it; not someone away."""
    name = {"name": person.name, "id": draft.id, "level": level_label(step.level)}
    if person.id == step.assignee_id:
        raise DomainError("moves.already_holder", **name)
    if person.id in await excluded_for(draft, step.level):
        raise DomainError("moves.excluded", **name)
    account = await draft.account
    if not await may_hold(OrgTree(), account.unit_id, person, roles):
        raise DomainError("moves.wrong_role", roles=[role_label(r) for r in roles], **name)
    if await away_at([person.id]):
        raise DomainError("moves.target_away", **name)


async def hand_to(ctx: HandlerContext, draft: Draft, step: ReviewStep, person: Person,
                  entry: dict[str, Any], *, on_behalf_of: str | None = None) -> None:
    """Give the open step to `person`: the old holder's card closes, the new one gets it."""
    old: Person = await step.assignee
    await _record(step, entry, assignee_id=person.id, assigned_at=clock.utcnow(),
                  on_behalf_of=on_behalf_of)
    status = ctx.text(f"moves.closed_{entry['kind']}", name=person.name,
                      at=local_minute(clock.utcnow(), ctx.settings.tz), reason=entry["reason"]).text
    await ctx.notify(old.id, CardUpdate(await closed_card(ctx.policy, ctx.settings, draft,
                                                          step, status)))
    await ctx.notify(person.id, await review_card(ctx.policy, ctx.settings, draft, step))
    cause = {"absence": entry["absence"]} if "absence" in entry else {}
    await ctx.audit(f"review.{entry['kind']}", f"draft:{draft.id}", version=draft.version,
                    level=step.level, frm=old.id, to=person.id, reason=entry["reason"],
                    on_behalf_of=on_behalf_of, **cause)


async def take_as_deputy(ctx: HandlerContext, draft: Draft, step: ReviewStep,
                         person: Person) -> bool:
    """请假: the named deputy of an absent holder takes the step when they act on it (its
    steps are offered to them), if R-REV-3 and the level's roles let them hold it."""
    holder = step.assignee_id
    away = (await away_at([holder])).get(holder)
    if away is None or away.deputy_id != person.id or step.decision is not None:
        return False
    account = await draft.account
    if person.id in await excluded_for(draft, step.level) or not await may_hold(
            OrgTree(), account.unit_id, person, ladder_from(ctx, step.role)):
        return False
    await hand_to(ctx, draft, step, person,
                  move(DEPUTY, by=person.id, frm=holder, to=person.id, absence=away.id),
                  on_behalf_of=holder)
    return True


def ladder_from(ctx: HandlerContext, role: str) -> list[str]:
    """The role and those above it on the escalation ladder: who may hold a step of it."""
    ladder = list(ctx.policy.review.escalation)
    return ladder[ladder.index(role):] if role in ladder else [role]


# --- 撤回 --------------------------------------------------------------------------------

async def _withdraw(ctx: HandlerContext, draft: Draft, step: ReviewStep, reason: str,
                    agreed_by: Person | None) -> None:
    """Take the draft back: the open step goes (its card says 已撤回), the author may
    revise it as a new version with 修改 #N."""
    holder: Person = await step.assignee
    author: Person = await draft.author
    now = clock.utcnow()
    status = ctx.text("moves.closed_withdrawn", name=author.name,
                      at=local_minute(now, ctx.settings.tz), reason=reason).text
    card = await closed_card(ctx.policy, ctx.settings, draft, step, status)
    gone = await ReviewStep.filter(id=step.id, decision__isnull=True).delete()
    if gone != 1:
        raise DomainError("review.stale_card")
    draft.state = DraftState.WITHDRAWN
    await draft.save(update_fields=["state", "updated_at"])
    await ctx.audit("review.withdrawn", f"draft:{draft.id}", version=draft.version,
                    level=step.level, holder=holder.id, reason=reason,
                    agreed_by=agreed_by.id if agreed_by else None, moves=step.moves or [])
    await ctx.notify(holder.id, CardUpdate(card))
    await ctx.notify(author.id, CardUpdate(receipt_done(draft, status)))  # its 撤回 / 催办
    if any(m["kind"] == WITHDRAW_REQUEST for m in step.moves or []):
        request = replace(request_card(draft, author, ""), buttons=(), status=status)
        await ctx.notify(holder.id, CardUpdate(request))
    await ctx.say(holder.id, ctx.text("moves.withdrawn_told", id=draft.id, title=draft.title,
                                      name=author.name, reason=reason))
    await ctx.say(author.id, ctx.text("moves.withdrawn", id=draft.id, title=draft.title,
                                      by=agreed_by.name if agreed_by else ""))


@router.command("撤回")
async def on_withdraw(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`撤回 #N [理由]`: the author takes a draft under review back (R-REV-1, R-REV-3)."""
    draft_id, reason = numbered_ref(ctx, "moves.withdraw_usage", as_written=True)
    await _withdraw_cmd(ctx, "撤回", await load_draft(draft_id, lock=True), reason)


def _tapped(ctx: HandlerContext) -> tuple[int, int]:
    try:
        draft_id, version = (int(a) for a in ctx.args)
    except ValueError:
        raise DomainError("review.stale_card") from None
    return draft_id, version


async def _tapped_draft(ctx: HandlerContext) -> Draft:
    draft_id, version = _tapped(ctx)
    draft = await load_draft(draft_id, lock=True)
    if draft.version != version:
        raise DomainError("review.stale_card")
    return draft


@router.action(WITHDRAW)
async def on_withdraw_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 撤回 on the author's receipt, or on 同意撤回 on the reviewer's card for the
    author's request: the same as `撤回 #N` (a reason typed on the card goes with it)."""
    await _withdraw_cmd(ctx, f"card:{WITHDRAW}", await _tapped_draft(ctx),
                        (event.payload.get("reason") or "").strip())


async def _withdraw_cmd(ctx: HandlerContext, action: str, draft: Draft, reason: str) -> None:
    person = ctx.require_person()
    step = await ReviewStep.get_or_none(draft_id=draft.id, version=draft.version,
                                        level=draft.level, decision__isnull=True)
    asked = step is not None and step.assignee_id == person.id and any(
        m["kind"] == WITHDRAW_REQUEST for m in step.moves or [])
    ties = {"author"} if draft.author_id == person.id else set()
    if asked:
        ties.add("asked")
    await authz.check_draft(ctx, action, draft, ties=ties)
    step = await open_step_of(draft)
    if "author" not in ties:  # the current reviewer agrees to the author's request
        request = next(m for m in reversed(step.moves or []) if m["kind"] == WITHDRAW_REQUEST)
        await _withdraw(ctx, draft, step, reason or request["reason"], person)
        return
    decided = await ReviewStep.filter(draft_id=draft.id, version=draft.version,
                                      level__gt=AUTHOR_LEVEL, decision__isnull=False).exists()
    if not decided:
        await _withdraw(ctx, draft, step, reason, None)
        return
    holder: Person = await step.assignee
    rule = ctx.policy.moves.withdraw_after_decision  # R-REV-1, R-REV-3
    if rule == "never":
        raise DomainError("moves.withdraw_never", id=draft.id, name=holder.name)
    await _record(step, move(WITHDRAW_REQUEST, by=person.id, reason=reason))
    await ctx.audit("review.withdraw_requested", f"draft:{draft.id}", version=draft.version,
                    level=step.level, holder=holder.id, reason=reason)
    await ctx.notify(holder.id, request_card(draft, person, reason))
    await ctx.reply(ctx.text("moves.withdraw_requested", id=draft.id, name=holder.name))


# --- 催办 --------------------------------------------------------------------------------

@router.command("催办")
async def on_nudge(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`催办 #N`: the author reminds the current reviewer (once per moves.nudge_every_hours)."""
    draft_id, rest = numbered_ref(ctx, "moves.nudge_usage", following_lines=False)
    if rest:
        raise DomainError("moves.nudge_usage")
    await _nudge(ctx, "催办", await load_draft(draft_id, lock=True))


@router.action(NUDGE_TAP)
async def on_nudge_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 催办 on the author's receipt: the same as `催办 #N`."""
    await _nudge(ctx, f"card:{NUDGE_TAP}", await _tapped_draft(ctx))


async def _nudge(ctx: HandlerContext, action: str, draft: Draft) -> None:
    person = ctx.require_person()
    ties = {"author"} if draft.author_id == person.id else set()
    await authz.check_draft(ctx, action, draft, ties=ties)
    step = await open_step_of(draft)
    tz, now = ctx.settings.tz, clock.utcnow()
    every = timedelta(hours=ctx.policy.moves.nudge_every_hours)  # R-REV-1
    last = max((m["at"] for m in step.moves or [] if m["kind"] == NUDGE), default=None)
    holder: Person = await step.assignee
    behalf = await Person.get_or_none(id=step.on_behalf_of) if step.on_behalf_of else None
    since = local_minute(step.held_since(), tz)
    if last is not None:
        again = datetime.fromisoformat(last) + every
        if again > now:
            raise DomainError("moves.nudge_too_soon", id=draft.id, name=holder.name,
                              since=since, again=local_minute(again, tz),
                              hours=ctx.policy.moves.nudge_every_hours)
    await _record(step, move(NUDGE, by=person.id))
    await ctx.audit("review.nudged", f"draft:{draft.id}", version=draft.version,
                    level=step.level, holder=holder.id)
    await ctx.notify(holder.id, ctx.text("moves.nudged_told", id=draft.id, title=draft.title,
                                         name=person.name, since=since,
                                         level=level_label(step.level)))
    await ctx.reply(ctx.text("moves.nudged", id=draft.id, name=holder.name, since=since,
                             level=level_label(step.level),
                             behalf=behalf.name if behalf else ""))


# --- 转交 / 改派 ---------------------------------------------------------------------------

async def _target(ctx: HandlerContext, usage: str) -> tuple[Draft, Person, str]:
    """'#N 人员 [理由]' → the locked draft, the person, the reason."""
    draft_id, rest = numbered_ref(ctx, usage, as_written=True)
    name, _, reason = rest.strip().partition(" ")
    if not name.strip():
        raise DomainError(usage)
    draft = await load_draft(draft_id, lock=True)
    return draft, await find_person(name.split("\n")[0]), reason.strip()


async def _check_handover(ctx: HandlerContext, action: str, draft: Draft) -> ReviewStep:
    """The 转交 row (or its card's): the open step's holder, never the author (R-REV-3);
    the open step."""
    person = ctx.require_person()
    step = await ReviewStep.get_or_none(draft_id=draft.id, version=draft.version,
                                        level=draft.level, decision__isnull=True)
    ties = {"assignee"} if step and step.assignee_id == person.id else set()
    if draft.author_id == person.id:
        ties.add("author")
    await authz.check_draft(ctx, action, draft, ties=ties)
    return await open_step_of(draft)


async def _handover(ctx: HandlerContext, draft: Draft, step: ReviewStep, target: Person,
                    reason: str) -> None:
    """转交 from the text command and from the card: checked, moved, both cards closed."""
    person = ctx.require_person()
    await check_eligible(ctx, draft, step, target, [step.role])
    await hand_to(ctx, draft, step, target,
                  move(HANDOVER, by=person.id, frm=person.id, to=target.id, reason=reason))
    status = ctx.text("moves.closed_handover", name=target.name,
                      at=local_minute(clock.utcnow(), ctx.settings.tz), reason=reason).text
    # the 转交 card this reviewer may hold goes grey too (nothing to update if none)
    await ctx.notify(person.id, CardUpdate(handover_card_done(draft, step, status)))
    await ctx.reply(ctx.text("moves.handed_over", id=draft.id, name=target.name,
                             level=level_label(step.level)))


@router.command("转交")
async def on_handover(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`转交 #N <人员> [理由]`: the current reviewer passes the step to another holder of the
    same role (R-REV-3: never the author or a reviewer of another level)."""
    draft, target, reason = await _target(ctx, "moves.handover_usage")
    step = await _check_handover(ctx, "转交", draft)
    await _handover(ctx, draft, step, target, reason)


async def _tapped_step(ctx: HandlerContext, action: str) -> tuple[Draft, ReviewStep, list[str]]:
    """A 转交 button (draft, level, version, …): the locked draft and its open step, if the
    card's step is still the one waiting (else the card is stale: nothing changes), after
    the row's check; the key's remaining parts."""
    try:
        draft_id, level, version = (int(a) for a in ctx.args[:3])
    except ValueError:
        raise DomainError("review.stale_card") from None
    draft = await load_draft(draft_id, lock=True)
    if draft.state != DraftState.REVIEWING or (draft.level, draft.version) != (level, version):
        raise DomainError("review.stale_card")  # decided, withdrawn or revised since
    step = await ReviewStep.get_or_none(draft_id=draft.id, version=version, level=level,
                                        decision__isnull=True)
    person = ctx.require_person()
    if step is not None and step.assignee_id != person.id and any(
            m.get("from") == person.id for m in step.moves or []):
        raise DomainError("review.stale_card")  # it left this person's hands since
    return draft, await _check_handover(ctx, action, draft), ctx.args[3:]


async def candidates(draft: Draft, step: ReviewStep) -> list[Person]:
    """Who may take the step by 转交: the holders of its role for the account's unit, less
    the holder, the author and other levels' deciders (R-REV-3) and whoever is away."""
    account = await draft.account
    people = await OrgTree().holders_for(account.unit_id, step.role)
    excluded = await excluded_for(draft, step.level) | {step.assignee_id}
    away = await away_at(p.id for p in people)
    return [p for p in people if p.id not in excluded and p.id not in away]


@router.action(HAND_OVER)
async def on_handover_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Tap on 转交 on the review card: the people who may take the step, one tap each."""
    draft, step, _ = await _tapped_step(ctx, f"card:{HAND_OVER}")
    people = await candidates(draft, step)
    if not people:
        raise DomainError("moves.nobody_to_hand_to", id=draft.id,
                          level=level_label(step.level))
    await ctx.reply(handover_card(draft, step, people))


@router.action(HAND_OVER_TO)
async def on_handover_to_tap(event: IncomingEvent, ctx: HandlerContext) -> None:
    """A person tapped on the 转交 card: the same as `转交 #N <人员>` (a reason typed on the
    card goes with it)."""
    draft, step, rest = await _tapped_step(ctx, f"card:{HAND_OVER_TO}")
    target = await Person.get_or_none(id=":".join(rest), active=True) if rest else None
    if target is None:
        raise DomainError("review.stale_card")
    await _handover(ctx, draft, step, target, (event.payload.get("reason") or "").strip())


@router.command("改派")
async def on_reassign(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`改派 #N <人员> [理由]`: the unit's chief or a supervisor above moves a stuck step to
    someone who may hold it (its role or one above on the ladder; R-REV-3)."""
    person = ctx.require_person()
    draft, target, reason = await _target(ctx, "moves.reassign_usage")
    ties = {"author"} if draft.author_id == person.id else set()
    await authz.check_draft(ctx, "改派", draft, ties=ties)
    step = await open_step_of(draft)
    await check_eligible(ctx, draft, step, target, ladder_from(ctx, step.role))
    old = step.assignee_id
    await hand_to(ctx, draft, step, target,
                  move(REASSIGN, by=person.id, frm=old, to=target.id, reason=reason))
    await ctx.reply(ctx.text("moves.reassigned", id=draft.id, name=target.name,
                             level=level_label(step.level)))
