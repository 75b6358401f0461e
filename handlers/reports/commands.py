"""登记表 #N (the review form of a post, R-REV-5) and 季度报告 [YYYYQn] (the quarterly
inspection report, R-INS-1), answered with the file itself."""

from __future__ import annotations

from bot.clock import utcnow
from bot.datefmt import local_minute
from bot.dispatcher import HandlerContext, Router, normalize
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingFile
from bot.media import keep
from bot.reports.common import PDF, XLSX
from handlers.common import authz
from handlers.common.lookup import load_draft, numbered_ref
from handlers.reports import files
from handlers.reports.board import board_link
from handlers.reports.scope import quarter_name

router = Router("reports")
# what people write after the command to ask for a spreadsheet instead of a PDF
_FORMAT_WORDS = {"": PDF, "pdf": PDF, "xlsx": XLSX, "excel": XLSX, "表格": XLSX}


def _format(word: str, usage: str) -> str:
    fmt = _FORMAT_WORDS.get(normalize(word).lower())
    if fmt is None:
        raise DomainError(usage)
    return fmt


async def send_file(ctx: HandlerContext, out: files.ReportOutput, caption: str) -> None:
    """Keep the file for delivery (the file store: every replica's sender reads it there)
    and answer with a line saying what it is, then the file."""
    stored = await keep(ctx.settings, out.name, out.data, out.content_type)
    await ctx.reply(ctx.text("reports.sending", caption=caption, name=out.name,
                             size=max(1, len(out.data) // 1024), seq=out.head.count,
                             hash=out.head.hash[:16]))
    await ctx.reply(OutgoingFile(stored.id, out.name, len(out.data), out.content_type))


@router.command("登记表")
async def on_record(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`登记表 #N [表格]`: the draft's review form and record as a PDF (or a spreadsheet)."""
    ctx.require_person()
    draft_id, rest = numbered_ref(ctx, "records.usage", following_lines=False)
    fmt = _format(rest, "records.usage")
    draft = await load_draft(draft_id)
    await authz.check_draft(ctx, "登记表", draft)
    out = await files.record_file(draft_id, fmt, ctx.policy, ctx.settings.tz)
    await send_file(ctx, out, ctx.text("records.caption", id=draft_id,
                                               title=draft.title).text)


@router.command("季度报告")
async def on_inspection(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`季度报告 [2026Q4] [表格]` (supervisors): the units below, this quarter by default."""
    person = await authz.check(ctx, "季度报告", None)
    assert ctx.command is not None
    words = ctx.command.args.split()
    if len(words) > 2:
        raise DomainError("inspection.usage")
    quarter = next((w for w in words if w[:1].isdigit()), "") or \
        quarter_name(utcnow().astimezone(ctx.settings.tz).date())
    fmt = _format(next((w for w in words if not w[:1].isdigit()), ""), "inspection.usage")
    out = await files.inspection_file(quarter, person.unit_id,
                                      fmt, ctx.policy, ctx.settings.tz)
    await send_file(ctx, out, ctx.text("inspection.caption", quarter=quarter.upper())
                    .text)


@router.command("看板")
async def on_board(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`看板` (supervisors): a signed, short-lived link to their own read-only board."""
    person = await authz.check(ctx, "看板", None)
    url, expires = await board_link(ctx.settings, person.id)
    await ctx.reply(ctx.text("board.link", url=url, expires=local_minute(expires, ctx.settings.tz)))
