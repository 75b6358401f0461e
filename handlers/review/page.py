"""The whole draft behind the card (R-REV-1: a reviewer approves what they have read):
who may see a draft, what its page shows, and `全文 #N` for a fresh link.

The page itself is served by bot/web (HTTP); this module only reads the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.datefmt import local_minute
from bot.dispatcher import HandlerContext, Router
from bot.docx_draft import PICTURE_LINE
from bot.events import IncomingEvent
from bot.policy import Policy
from bot.precheck import ERROR
from bot.precheck.findings import TITLE_SPAN
from bot.rendering import msg
from bot.textdiff import Change, DiffLine, changed_lines
from handlers.common import authz
from handlers.common.lookup import account_label, load_draft, numbered_ref
from handlers.precheck.review import finding_view, findings_of
from handlers.review.cards import StepView, history, holder_text, move_lines
from handlers.review.content import changes, draft_link, files_of, map_note, source_file
from handlers.review.routing import final_route, level_label, route_note
from models.files import DraftFile
from models.org import Person
from models.precheck import PrecheckFinding
from models.review import Draft, DraftState, ReviewStep

router = Router("draft_page")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


async def may_see(person: Person | None, draft: Draft) -> bool:
    """The author, everyone who reviews or reviewed it, the account's admins, the unit's
    chief and the supervisors of the units above (R-REV-1, R-REV-5)."""
    if person is None or not person.active:
        return False
    return await authz.permits_draft(person, "全文", draft)


@router.command("全文")
async def on_full_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`全文 #N`: a fresh signed link to the whole draft, for those who may see it."""
    person = ctx.require_person()
    draft_id, _ = numbered_ref(ctx, "draft.full_text_usage", following_lines=False)
    draft = await load_draft(draft_id)
    await authz.check_draft(ctx, "全文", draft)
    link = await draft_link(ctx.settings, person.id, draft.id)
    await ctx.reply(ctx.text("draft.full_text_link", id=draft.id, title=draft.title, link=link,
                             hours=round(ctx.settings.link_ttl_hours)))


# --- the page's content -------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    text: str
    seq: int = 0  # the finding marked here (its 编号), 0 for plain text
    severity: str = ""


@dataclass(frozen=True)
class Line:
    segments: tuple[Segment, ...] = ()
    picture: int = 0  # a "［图N］" line: the picture's number


@dataclass(frozen=True)
class PictureView:
    seq: int
    file_id: int
    size: int
    name: str


@dataclass
class DraftView:
    """Everything the draft page shows, already worded (Chinese labels from templates)."""

    draft: Draft
    account: str
    author: str
    state: str
    chars: int
    title: tuple[Segment, ...]
    lines: list[Line]
    pictures: list[PictureView]
    placed: set[int]  # pictures shown in the text where they stood
    findings: list[dict[str, object]]
    history: list[StepView]
    checklist: tuple[str, ...]
    route: str  # who gives the final review and why, when not the usual role
    map_note: str
    source: dict[str, object] | None
    diff: list[DiffLine] = field(default_factory=list)
    change: Change | None = None
    expires: str = ""
    holder: str = ""  # issue 20: the open step's level, who holds it since when, for whom
    moves: list[str] = field(default_factory=list)  # its 转交 / 改派 / 代理 / 催办 lines


async def _holder(draft: Draft, tz: ZoneInfo) -> tuple[str, list[str]]:
    """The step waiting now: '二审二校 · 张明 · 自 … · 代 …' and its moves; ('', [])."""
    if draft.state != DraftState.REVIEWING:
        return "", []
    step = await ReviewStep.get_or_none(draft_id=draft.id, version=draft.version,
                                        level=draft.level, decision__isnull=True)
    if step is None:
        return "", []
    return f"{level_label(step.level)} · {await holder_text(step, tz)}", \
        await move_lines(step, tz)


def _segments(text: str, findings: list[PrecheckFinding]) -> list[Segment]:
    """The text cut at the findings' offsets; overlapping findings mark the first one."""
    segments: list[Segment] = []
    at = 0
    for f in sorted((f for f in findings if f.start >= 0 and f.end <= len(text)),
                    key=lambda f: (f.start, f.end)):
        if f.start < at or f.end <= f.start:
            continue
        if f.start > at:
            segments.append(Segment(text[at:f.start]))
        segments.append(Segment(text[f.start:f.end], f.seq, f.severity))
        at = f.end
    if at < len(text):
        segments.append(Segment(text[at:]))
    return segments


def _in_title(title: str, findings: list[PrecheckFinding]) -> list[PrecheckFinding]:
    """Findings in the title carry no offsets (TITLE_SPAN): place each at its text."""
    placed = []
    for f in findings:
        at = title.find(f.text) if f.start == TITLE_SPAN and f.text else -1
        if at >= 0:
            placed.append(PrecheckFinding(seq=f.seq, severity=f.severity, start=at,
                                          end=at + len(f.text)))
    return placed


def _lines(segments: list[Segment]) -> list[tuple[Segment, ...]]:
    """Split segments at line breaks (a finding never spans one in practice; if it does,
    each part keeps its mark)."""
    lines: list[list[Segment]] = [[]]
    for seg in segments:
        parts = seg.text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append(Segment(_CONTROL.sub("", part), seg.seq, seg.severity))
    return [tuple(line) for line in lines]


def _line(segments: tuple[Segment, ...], pictures: set[int]) -> Line:
    text = "".join(s.text for s in segments).strip()
    match = PICTURE_LINE.match(text)
    if match and int(match[1]) in pictures:
        return Line(picture=int(match[1]))
    return Line(segments)


async def _source(draft: Draft) -> dict[str, object] | None:
    found: DraftFile | None = await source_file(draft.id, draft.version)
    if found is None:
        return None
    return {"file_id": found.file.id, "name": found.file.name, "sha256": found.file.sha256,
            "size": found.file.size}


async def draft_view(draft: Draft, policy: Policy, tz: ZoneInfo,
                     expires_at: datetime) -> DraftView:
    """The page of the draft's current version: text with its findings marked in place,
    pictures, what changed since the returned version, history and checklist."""
    findings = await findings_of(draft)
    open_findings = [f for f in findings if f.false_positive_by_id is None]
    pictures = [PictureView(f.seq, f.file.id, f.file.size, f.file.name)
                for f in await files_of(draft.id, draft.version)]
    numbers = {p.seq for p in pictures}
    lines = [_line(segments, numbers)
             for segments in _lines(_segments(draft.body, open_findings))]
    placed = {line.picture for line in lines if line.picture}
    account = await draft.account
    author: Person = await draft.author
    changed = await changes(draft)
    holder, moves = await _holder(draft, tz)
    return DraftView(
        draft=draft, account=account_label(account), author=author.name,
        state=msg(f"state.{draft.state}"), chars=len(draft.body),
        title=tuple(_segments(draft.title, _in_title(draft.title, open_findings))),
        lines=lines, pictures=pictures, placed=placed,
        findings=[{**vars(finding_view(f)), "error": f.severity == ERROR} for f in findings],
        history=await history(draft, tz),
        checklist=policy.review.checklist, route=route_note(await final_route(policy, draft)),
        map_note=await map_note(draft.id, draft.version), source=await _source(draft),
        diff=changed_lines(changed[0]) if changed else [],
        change=changed[1] if changed else None,
        expires=local_minute(expires_at, tz), holder=holder, moves=moves,
    )


async def may_open(person_id: str, draft_id: int) -> Draft | None:
    """The draft, if the person a link was issued to may (still) see it."""
    draft = await Draft.get_or_none(id=draft_id)
    person = await Person.get_or_none(id=person_id)
    if draft is None or not await may_see(person, draft):
        return None
    return draft


async def picture_file(draft: Draft, file_id: int) -> DraftFile | None:
    """A file of the draft (any version): a picture or its source .docx."""
    return await DraftFile.filter(draft_id=draft.id, file_id=file_id).prefetch_related("file") \
        .first()
