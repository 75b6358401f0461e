"""机审 inside the review flow: run it on each submitted version, summarise it on the card,
and ask the reviewer to confirm error findings before 通过 (never a silent block)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import utcnow
from bot.dispatcher import HandlerContext
from bot.fixed import Fixed
from bot.precheck import ERROR, Report, WordLists, default_lists, lexicon_for, precheck, snippet
from bot.precheck.findings import CHIEF_KINDS, SOURCE_SPAN, Finding
from bot.rendering import msg
from models.org import event_forget, event_keep, event_memo, event_org
from models.precheck import PrecheckFinding, PrecheckWord, ReviewCheck
from models.relay import RelayTask
from models.review import Draft, ReviewStep

CARD_FIRST = 3  # findings shown on the card (errors first); 机审 #N shows all
CONFIRM_WORD = "已核"


@dataclass(frozen=True)
class FindingView:
    seq: int
    severity: str
    label: str
    snippet: str
    advice: str
    false_positive: bool
    rule: str


async def unit_chain(unit_id: str) -> list[str]:
    """The unit and every unit above it: a supervisor's words apply to the units below."""
    return [unit_id, *(u.id for u in await event_org().ancestors(unit_id))]


async def unit_lists(unit_id: str) -> WordLists:
    """The shipped lists plus the words added or allowed for this unit and those above it."""
    rows = await _WORDS(await unit_chain(unit_id))
    words: dict[str, tuple[str, ...]] = {"sensitive": (), "ad": (), "allow": ()}
    for kind, word in rows:
        words[kind] += (word,)
    return default_lists().with_unit(sensitive=words["sensitive"], ad=words["ad"],
                                     allow=words["allow"])


def _snippet(report: Report, finding: Finding) -> str:
    if finding.start == SOURCE_SPAN:
        return msg("precheck.source_line", url=finding.text)
    return snippet(report.text, finding.start, finding.end)


async def run_precheck(ctx: HandlerContext, draft: Draft) -> Report:
    """Pre-review the current version and store its findings (R-REV-5: part of the record),
    numbered errors first. Stored spans index draft.body as stored (a finding in the title
    has TITLE_SPAN, one on the `转载：` line SOURCE_SPAN)."""
    account = await draft.account
    lists = await unit_lists(account.unit_id)
    task = await RelayTask.get_or_none(id=draft.relay_task_id) if draft.relay_task_id else None
    report = precheck(draft.body, lexicon_for(lists), title=draft.title,
                      is_allowed_source=ctx.policy.is_allowed_source,
                      repost_url=draft.repost_url, relay_title=task.title if task else None)
    for seq, f in enumerate(report.by_severity(), start=1):
        start, end = report.body_span(f)
        await PrecheckFinding.create(
            draft=draft, version=draft.version, seq=seq, kind=f.kind, severity=f.severity,
            rule=f.rule, start=start, end=end, text=f.text[:200],
            suggestion=f.suggestion[:200], snippet=_snippet(report, f)[:300])
    if report.findings:
        forget_findings(draft)  # read before (the route's check) without these
    counts = report.counts()
    await ctx.audit("precheck.run", f"draft:{draft.id}", version=draft.version,
                    errors=counts.get(ERROR, 0), findings=len(report.findings))
    return report


def finding_view(f: PrecheckFinding) -> FindingView:
    return FindingView(f.seq, msg(f"precheck.severity.{f.severity}"),
                       msg(f"precheck.kind.{f.kind}"), f.snippet,
                       msg(f"precheck.advice.{f.kind}", suggestion=f.suggestion, rule=f.rule),
                       f.false_positive_by_id is not None,
                       f.rule)


async def findings_of(draft: Draft) -> list[PrecheckFinding]:
    """The current version's findings by number (read once per event: the card, the route
    and the approval gate all ask; whoever changes them calls forget_findings)."""
    return await event_memo(
        ("findings", draft.id, draft.version),
        lambda: _FINDINGS(draft.id, draft.version))


# the card, the route and the gate of every event (fixed SQL, issue 19)
_FINDINGS: Fixed[list[PrecheckFinding]] = Fixed(
    lambda draft_id, version: PrecheckFinding.filter(draft_id=draft_id, version=version)
    .order_by("seq"),
    lambda draft_id, version: [draft_id, version])
_WORDS: Fixed[list[tuple[str, str]]] = Fixed(
    lambda units: PrecheckWord.filter(unit_id__in=units).order_by("id")
    .values_list("kind", "word"),
    lambda units: [*units])


def forget_findings(draft: Draft) -> None:
    event_forget(("findings", draft.id, draft.version))


def new_version(draft: Draft) -> None:
    """The draft's current version has just been made: it has no findings until its 机审
    (run_precheck), so findings_of need not ask."""
    event_keep(("findings", draft.id, draft.version), [])


async def chief_findings(draft: Draft) -> list[PrecheckFinding]:
    """Open findings of the current version that make the draft major (重大): a local
    sensitive event (R-REV-7) or a commercial or self-media source (R-REV-4). Any of them
    sends the final review to the chief (bot.precheck.findings.CHIEF_KINDS)."""
    return [f for f in await findings_of(draft)
            if f.kind in CHIEF_KINDS and f.false_positive_by_id is None]


def _errors_first(findings: list[PrecheckFinding]) -> list[PrecheckFinding]:
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.seq))


async def card_summary(draft: Draft) -> dict[str, Any]:
    """Counts by severity and the first few open findings, errors first, for the card."""
    findings = await findings_of(draft)
    open_ = _errors_first([f for f in findings
                           if f.false_positive_by_id is None])
    errors = sum(f.severity == ERROR for f in open_)
    warnings = len(open_) - errors
    return {
        "total": len(findings),
        "errors": errors,
        "warnings": warnings,
        "marked": len(findings) - len(open_),
        "first": [finding_view(f) for f in open_[:CARD_FIRST]],
        "more": max(0, len(open_) - CARD_FIRST),
        "field": (msg("precheck.card_field"),
                  msg("precheck.card_count", errors=errors, warnings=warnings)),
    }


def split_confirmed(comment: str) -> tuple[bool, str]:
    """`通过 #N 已核 [意见]` → (True, '意见')."""
    if comment.startswith(CONFIRM_WORD):
        return True, comment[len(CONFIRM_WORD):].lstrip(" ,，;；:：").strip()
    return False, comment


async def approval_gate(ctx: HandlerContext, draft: Draft, step: ReviewStep, *,
                        confirmed: bool) -> dict[str, Any] | None:
    """Before 通过: open error findings need a confirmation (`已核` or a second 通过).

    Returns what the approval confirms, for the audit record (R-REV-6), or None after
    asking the reviewer to confirm.
    """
    findings = await findings_of(draft)
    errors = [f.seq for f in findings if f.severity == ERROR and f.false_positive_by_id is None]
    # one row per step, written as it ends up (a step is decided under its draft's lock).
    # Only an ask writes one before the approval, and only an error finding of the
    # version asks (findings are never deleted, a 误报 mark keeps them): without one there
    # is no row to read
    may_exist = any(f.severity == ERROR for f in findings)
    check = (await ReviewCheck.get_or_none(step_id=step.id) if may_exist else None) \
        or ReviewCheck(step_id=step.id)
    now = utcnow()
    if errors and not confirmed and check.asked_at is None:
        check.asked_at = now
        await check.save()
        await ctx.audit("precheck.confirm_asked", f"draft:{draft.id}", version=draft.version,
                        level=step.level, seqs=errors)
        await ctx.reply(ctx.text("precheck.confirm_needed", id=draft.id, seqs=errors))
        return None
    check.confirmed_at, check.confirmed_findings = now, errors
    check.checklist = list(ctx.policy.review.checklist)
    await check.save()
    return {"checklist": check.checklist, "precheck_confirmed": errors}
