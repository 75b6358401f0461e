"""待办: what waits for me — steps to decide, drafts to revise, drafts to publish."""

from __future__ import annotations

from typing import cast

from bot.dispatcher import HandlerContext, Router
from bot.events import IncomingEvent, OutgoingText
from handlers.common import authz
from handlers.common.lookup import account_label
from handlers.followups.common import clock
from handlers.followups.todo import Section
from handlers.followups.todo import sections as followup_sections
from handlers.registry.followups import open_for
from handlers.review.cards import holder_text
from handlers.review.routing import level_label
from models.org import Person
from models.review import Draft, DraftState, ReviewStep

router = Router("todo")
LIMIT = 30


@router.command("待办")
async def on_todo(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`待办`: open review steps assigned to me, my returned drafts, drafts I may publish."""
    person = await authz.check(ctx, "待办", None)
    steps = await ReviewStep.filter(assignee_id=person.id, decision__isnull=True) \
        .order_by("created_at").limit(LIMIT).prefetch_related("draft__account", "draft__author")
    returned = await Draft.filter(author_id=person.id,
                                  state__in=(DraftState.RETURNED, DraftState.WITHDRAWN)) \
        .order_by("id").limit(LIMIT).prefetch_related("account")
    # issue 20: my drafts under review, who holds each now and since when
    reviewing = await Draft.filter(author_id=person.id, state=DraftState.REVIEWING) \
        .order_by("id").limit(LIMIT).prefetch_related("account")
    tz = ctx.settings.tz
    waiting = []
    for d in reviewing:
        step = await ReviewStep.get_or_none(draft_id=d.id, version=d.version, level=d.level,
                                            decision__isnull=True)
        if step is not None:
            waiting.append({"id": d.id, "title": d.title, "account": account_label(d.account),
                            "level": level_label(step.level),
                            "holder": await holder_text(step, tz)})
    # issue 20: my steps a deputy holds on my behalf (请假), who and since when
    covered = await ReviewStep.filter(on_behalf_of=person.id, decision__isnull=True) \
        .exclude(assignee_id=person.id).order_by("id").limit(LIMIT) \
        .prefetch_related("draft__account")
    deputised = [{"id": s.draft.id, "title": s.draft.title,
                  "account": account_label(s.draft.account), "level": level_label(s.level),
                  "holder": await holder_text(s, tz)}
                 for s in covered
                 if (s.draft.version, s.draft.level) == (s.version, s.level)]
    # R-REV-9: waiting for the author's word on the maps in its pictures
    held = await Draft.filter(author_id=person.id, state=DraftState.HELD) \
        .order_by("id").limit(LIMIT).prefetch_related("account")
    admin_of = cast(list[int], await person.admin_of.all().values_list("id", flat=True))
    publishable = await _publishable(person.id, admin_of)
    text = ctx.render(
        "text/todo.md.j2",
        steps=[{"id": s.draft.id, "title": s.draft.title, "author": s.draft.author.name,
                "account": account_label(s.draft.account), "level": level_label(s.level),
                "holder": await holder_text(s, tz)}
               for s in steps],
        returned=[{"id": d.id, "title": d.title, "account": account_label(d.account),
                   "withdrawn": d.state == DraftState.WITHDRAWN} for d in returned],
        waiting=waiting,
        deputised=deputised,
        held=[{"id": d.id, "title": d.title, "account": account_label(d.account)}
              for d in held],
        publishable=[{"id": d.id, "title": d.title, "account": account_label(d.account)}
                     for d in publishable],
        more=[*await followup_sections(ctx.policy, person, event.received_at, clock(ctx)),
              *await _filing_followups(ctx, person)],
    )
    await ctx.reply(OutgoingText(text, markdown=True))


async def _filing_followups(ctx: HandlerContext, person: Person) -> list[Section]:
    """R-ACC-2..4, R-SEC-3: open follow-ups of approved filings, each with its command."""
    items = await open_for(ctx.policy, person, ctx.settings.tz)
    return [Section("filing", items)] if items else []


async def _publishable(person_id: str, admin_of: list[int]) -> list[Draft]:
    mine = Draft.filter(state=DraftState.APPROVED, author_id=person_id)
    theirs = Draft.filter(state=DraftState.APPROVED, account_id__in=admin_of)
    drafts = {d.id: d for d in [*await mine.prefetch_related("account"),
                                *await theirs.prefetch_related("account")]}
    return [drafts[k] for k in sorted(drafts)][:LIMIT]
