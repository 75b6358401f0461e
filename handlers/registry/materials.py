"""The opening materials of a filing, recorded item by item as they arrive (R-ACC-10).

The profile lists what its seed asks for (accounts.opening_materials), stored on the filing
when it is made; the filer, the unit's
chief and the supervisors record received items with `材料 #N 1 2 …`; the card of every
later stage and `材料 #N` show each item as received or missing. Approvers decide.
"""

from __future__ import annotations

import re

from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from handlers.common import authz
from handlers.common.lookup import numbered_ref
from handlers.registry.filing_cards import checklist, filing_label
from models.registry import Filing, FilingKind

router = Router("materials")
_NUMBERS = re.compile(r"\d+")


def _numbers(filing: Filing, rest: str) -> set[int]:
    numbers = {int(n) for n in _NUMBERS.findall(rest)}
    known = range(1, len(filing.payload.get("materials_asked") or []) + 1)
    unknown = sorted(n for n in numbers if n not in known)
    if unknown or _NUMBERS.sub("", rest).strip(" ,，、;；"):
        raise DomainError("materials.bad_numbers", count=len(known), given=rest)
    return numbers


@router.command("材料")
async def on_materials(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`材料 #N [序号…]`: record received opening materials, or show the checklist."""
    filing_id, rest = numbered_ref(ctx, "materials.usage", following_lines=False)
    filing = await Filing.get_or_none(id=filing_id)
    if filing is None:
        raise DomainError("filing.no_such_filing", id=filing_id)
    if filing.kind != FilingKind.OPEN or not filing.payload.get("materials_asked"):
        raise DomainError("materials.not_opening", label=filing_label(filing))
    person = ctx.require_person()
    ties = {"filer"} if filing.filer_id == person.id else set()
    await authz.check(ctx, "材料", filing.unit_id, relations=ties)
    added = _numbers(filing, rest) if rest else set()
    if added:
        before = set(filing.payload.get("materials") or [])
        filing.payload = {**filing.payload, "materials": sorted(before | added)}
        await filing.save(update_fields=["payload"])
        await ctx.audit("filing.materials", f"filing:{filing.id}", received=sorted(added))
    await ctx.reply(OutgoingText(ctx.render("text/filing_materials.md.j2",
                                            label=filing_label(filing), added=sorted(added),
                                            items=checklist(filing)),
                                 markdown=True))
