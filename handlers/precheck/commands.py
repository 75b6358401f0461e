"""机审 #N (all findings), 误报 #N <编号…> (a reviewer's false-positive marks) and
词库 … (supervisors edit their unit's word lists; no restart needed)."""

from __future__ import annotations

import re
from collections import Counter
from typing import cast

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingText
from bot.precheck.findings import (
    AD_ABSOLUTE,
    MAP_NO_APPROVAL,
    NORM,
    OUTDATED_NAME,
    SENSITIVE_EVENT,
)
from handlers.common import authz
from handlers.common.lookup import load_draft, numbered_ref
from handlers.precheck.review import finding_view, findings_of, forget_findings, unit_chain
from models.org import OrgTree, Person, Unit
from models.precheck import WORD_LISTS, PrecheckFinding, PrecheckWord
from models.review import AUTHOR_LEVEL, DraftState, ReviewStep

router = Router("precheck")
_SPLIT = re.compile(r"[\s,，、;；]+")
WORD_MIN, WORD_MAX = 2, 64
# 词库 list names in chat → stored kind
LIST_NAMES = {"敏感": "sensitive", "敏感词": "sensitive", "广告": "ad", "广告词": "ad"}
# kinds whose 误报 marks may become 放行词 (never personal data or links)
WORD_KINDS = (AD_ABSOLUTE, NORM, OUTDATED_NAME, MAP_NO_APPROVAL, SENSITIVE_EVENT)
SUGGEST_LIMIT = 10


@router.command("机审")
async def on_show(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`机审 #N`: every pre-review finding of the draft's current version."""
    ctx.require_person()
    draft_id, _ = numbered_ref(ctx, "precheck.show_usage", following_lines=False)
    draft = await load_draft(draft_id)
    await authz.check_draft(ctx, "机审", draft)
    views = [finding_view(f) for f in await findings_of(draft)]
    await ctx.reply(OutgoingText(ctx.render("text/precheck.md.j2", draft=draft, findings=views),
                                 markdown=True))


def _seqs(rest: str) -> list[int]:
    parts = [p for p in _SPLIT.split(rest) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise DomainError("precheck.mark_usage")
    return sorted({int(p) for p in parts})


@router.command("误报")
async def on_false_positive(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`误报 #N 编号 [编号…]`: a reviewer of the draft marks findings as false positives."""
    person = ctx.require_person()
    draft_id, rest = numbered_ref(ctx, "precheck.mark_usage", following_lines=False)
    seqs = _seqs(rest)
    draft = await load_draft(draft_id)
    reviews = ReviewStep.filter(draft_id=draft.id, version=draft.version, assignee_id=person.id,
                                level__gt=AUTHOR_LEVEL)
    # rule R-REV-6: a reviewer of this version marks, never its author (R-REV-3)
    ties = {"reviewed"} if await reviews.exists() else set()
    if draft.author_id == person.id:
        ties.add("author")
    await authz.check(ctx, "误报", None, relations=ties, id=draft.id)
    if draft.state != DraftState.REVIEWING:
        raise DomainError("precheck.not_reviewer", id=draft.id)
    findings = {f.seq: f for f in await findings_of(draft)}
    unknown = [s for s in seqs if s not in findings]
    if unknown:
        raise DomainError("precheck.no_such_finding", id=draft.id, seqs=unknown,
                          total=len(findings))
    marked = [s for s in seqs if findings[s].false_positive_by_id is None]
    await PrecheckFinding.filter(id__in=[findings[s].id for s in marked]).update(
        false_positive_by_id=person.id, false_positive_at=utcnow())
    forget_findings(draft)
    await ctx.audit("precheck.false_positive", f"draft:{draft.id}", version=draft.version,
                    seqs=marked, texts=[findings[s].text for s in marked])
    await ctx.reply(ctx.text("precheck.marked", id=draft.id, seqs=marked,
                             already=[s for s in seqs if s not in marked]))


async def _supervisor(ctx: HandlerContext) -> Person:
    return await authz.check(ctx, "词库", None)


def _words(text: str) -> list[str]:
    words = list(dict.fromkeys(w for w in _SPLIT.split(text) if w))
    bad = [w for w in words if not WORD_MIN <= len(w) <= WORD_MAX]
    if not words or bad:
        raise DomainError("precheck.words_usage")
    return words


@router.command("词库")
async def on_words(event: IncomingEvent, ctx: HandlerContext) -> None:
    """`词库`: the unit's lists; `词库 添加 敏感|广告 词…`, `词库 放行 词…`, `词库 删除 词…`."""
    person = await _supervisor(ctx)
    assert ctx.command is not None
    verb, _, rest = ctx.command.args.partition(" ")
    if not verb:
        await _show_words(ctx, person)
    elif verb == "添加":
        name, _, words = rest.strip().partition(" ")
        if name not in LIST_NAMES:
            raise DomainError("precheck.words_usage")
        await _add(ctx, person, LIST_NAMES[name], _words(words))
    elif verb == "放行":
        await _add(ctx, person, "allow", _words(rest))
    elif verb == "删除":
        await _remove(ctx, person, _words(rest))
    else:
        raise DomainError("precheck.words_usage")


async def _add(ctx: HandlerContext, person: Person, kind: str, words: list[str]) -> None:
    unit_id: str = person.unit_id
    have = set(cast(list[str], await PrecheckWord.filter(unit_id=unit_id, kind=kind,
                                                         word__in=words)
                    .values_list("word", flat=True)))
    added = [w for w in words if w not in have]
    for word in added:
        await PrecheckWord.create(unit_id=unit_id, kind=kind, word=word, added_by=person)
    await ctx.audit("precheck.words_added", f"unit:{unit_id}", list=kind, words=added)
    await ctx.reply(ctx.text("precheck.words_added", list=ctx.text(f"precheck.list.{kind}").text,
                             added=added, already=[w for w in words if w in have]))


async def _remove(ctx: HandlerContext, person: Person, words: list[str]) -> None:
    unit_id: str = person.unit_id
    rows = PrecheckWord.filter(unit_id=unit_id, word__in=words)
    removed = sorted(set(cast(list[str], await rows.values_list("word", flat=True))))
    await rows.delete()
    await ctx.audit("precheck.words_removed", f"unit:{unit_id}", words=removed)
    await ctx.reply(ctx.text("precheck.words_removed", removed=removed,
                             missing=[w for w in words if w not in removed]))


async def allow_suggestions(unit_id: str) -> list[tuple[str, int]]:
    """Words reviewers marked 误报 in this unit and below, not yet allowed, most marked first."""
    allowed = set(cast(list[str], await PrecheckWord.filter(
        unit_id__in=await unit_chain(unit_id), kind="allow").values_list("word", flat=True)))
    texts = cast(list[str], await PrecheckFinding.filter(
        false_positive_by_id__isnull=False, kind__in=WORD_KINDS,
        draft__account__unit_id__in=[unit_id, *(u.id for u in await OrgTree().descendants(
            unit_id, active=None))]).values_list("text", flat=True))
    counts = Counter(t for t in texts if t not in allowed)
    return counts.most_common(SUGGEST_LIMIT)


async def _show_words(ctx: HandlerContext, person: Person) -> None:
    unit: Unit = await person.unit
    rows = await PrecheckWord.filter(unit_id=unit.id).order_by("kind", "id")
    lists = {kind: [r.word for r in rows if r.kind == kind] for kind in WORD_LISTS}
    text = ctx.render("text/precheck_words.md.j2", unit=unit.name, lists=lists,
                      suggestions=await allow_suggestions(unit.id))
    await ctx.reply(OutgoingText(text, markdown=True))
