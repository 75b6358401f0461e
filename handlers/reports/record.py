"""The review record of one post (R-REV-5): what the seed form asks, and everything behind it.

The form itself follows the active profile's seed appendix (`records.review_form`):
000 信息发布审核登记表 (一审一校 / 二审二校 / 三审三校, each signed and dated) or
002 信息发布审批表 (科室信息员 / 科室审核人 / 分管领导 opinions). The pages after it carry
every version, every decision with its comment and time, the checklist each approval
confirmed (R-REV-6), the pre-review findings reviewers handled, the publication and the
draft's audit events up to the chain head the record was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.datefmt import local_minute
from bot.errors import DomainError
from bot.policy import Policy
from bot.rendering import msg
from bot.reports.common import (
    PUBLISH_CATEGORIES,
    Head,
    audit_head,
    default_category,
    hours,
    local_date_cn,
)
from handlers.review.routing import final_level, level_label
from models.org import Account, Person, Unit
from models.precheck import PrecheckFinding, ReviewCheck
from models.review import AUTHOR_LEVEL, Decision, Draft, DraftVersion, ReviewStep
from models.system import AuditEvent

FORM_BODY_CHARS = 600  # the form's 信息内容 cell; the whole text is on the version pages


@dataclass(frozen=True)
class Signature:
    """One level's row on the form: opinion, signer and date (blank while it waits)."""

    level: int
    label: str  # 一审一校 / 科室信息员意见 …
    name: str
    opinion: str
    date: str
    waiting: str = ""  # who it waits for


@dataclass(frozen=True)
class StepRow:
    version: int
    level: str
    role: str
    name: str
    decision: str
    comment: str
    assigned: str
    decided: str
    waited_hours: float | None
    note: str


@dataclass(frozen=True)
class VersionText:
    version: int
    title: str
    body: str
    at: str


@dataclass(frozen=True)
class ChecklistAnswer:
    version: int
    level: str
    name: str
    at: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class FindingRow:
    version: int
    seq: int
    severity: str
    kind: str
    snippet: str
    advice: str
    handled: str


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    actor: str
    action: str
    hash: str


@dataclass(frozen=True)
class Record:
    form: str
    form_title: str
    draft_id: int
    title: str
    unit: str
    account: str
    platform: str
    author: str
    state: str
    origin: str
    repost_url: str
    important: bool
    category: str
    requested: str
    submitted: str
    published: str
    published_date: str
    published_url: str
    body: str
    body_cut: bool
    signatures: tuple[Signature, ...]
    text_accurate: str
    political_ok: str
    secret: str
    remarks: tuple[str, ...]
    steps: tuple[StepRow, ...]
    versions: tuple[VersionText, ...]
    checklists: tuple[ChecklistAnswer, ...]
    findings: tuple[FindingRow, ...]
    audit: tuple[AuditRow, ...]
    head: Head
    generated: str
    policy: str


async def load_record(draft_id: int, policy: Policy, tz: ZoneInfo) -> Record:
    """Everything the printed record shows; DomainError for an unknown draft."""
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None:
        raise DomainError("review.no_such_draft", id=draft_id)
    account: Account = await draft.account
    unit = await Unit.get(id=account.unit_id)
    author: Person = await draft.author
    steps = await ReviewStep.filter(draft_id=draft.id).order_by("version", "level") \
        .prefetch_related("assignee")
    checks = {c.step_id: c for c in await ReviewCheck.filter(
        step_id__in=[s.id for s in steps], confirmed_at__isnull=False)}
    versions = await DraftVersion.filter(draft_id=draft.id).order_by("version")
    findings = await PrecheckFinding.filter(draft_id=draft.id).order_by("version", "seq") \
        .prefetch_related("false_positive_by")
    # the head last: every decision read above is already in the chain up to it
    head = await audit_head()
    events = await AuditEvent.filter(subject=f"draft:{draft.id}", seq__lte=head.count) \
        .order_by("seq")
    names = dict(await Person.filter(id__in={e.actor for e in events}).values_list("id", "name"))
    form = policy.records.review_form  # rule R-REV-5
    current = [s for s in steps if s.version == draft.version]
    last = final_level(policy)  # rule R-REV-1: the form has a row per level
    approved = _approved_with_checklist(current, checks, last)
    body = draft.body
    return Record(
        form=form,
        form_title=msg(f"records.form_title_{form}", unit=unit.name),
        draft_id=draft.id, title=draft.title, unit=unit.name,
        account=msg("account.label", name=account.name,
                    platform=msg(f"platform.{account.platform}")),
        platform=msg(f"platform.{account.platform}"),
        author=author.name, state=msg(f"state.{draft.state}"),
        origin=msg("records.origin_repost" if draft.repost_url else "records.origin_original"),
        repost_url=draft.repost_url or "", important=draft.important,
        category=draft.category or default_category(account.platform),
        requested=local_minute(draft.requested_at, tz) or msg("records.requested_asap"),
        submitted=local_minute(draft.created_at, tz),
        published=local_minute(draft.published_at, tz),
        published_date=local_date_cn(draft.published_at, tz),
        published_url=draft.published_url or "",
        body=body[:FORM_BODY_CHARS], body_cut=len(body) > FORM_BODY_CHARS,
        signatures=tuple(_signature(form, level, last, current, tz)
                         for level in range(AUTHOR_LEVEL, last + 1)),
        text_accurate=msg("records.yes_checked") if approved else msg("records.pending"),
        political_ok=msg("records.yes_checked") if approved else msg("records.pending"),
        secret=msg("records.not_secret"),
        remarks=tuple(_remarks(draft, steps)),
        steps=tuple(_step_row(s, tz) for s in steps),
        versions=tuple(VersionText(v.version, v.title, v.body, local_minute(v.created_at, tz))
                       for v in versions),
        checklists=tuple(_checklist(s, checks[s.id], tz) for s in steps if s.id in checks),
        findings=tuple(_finding_row(f, steps, checks, tz) for f in findings
                       if _handled(f, steps, checks)),
        audit=tuple(AuditRow(e.seq, _event_time(e.at, tz),
                             names.get(e.actor) or actor_label(e.actor), e.action, e.hash)
                    for e in events),
        head=head, generated=local_minute(utcnow(), tz), policy=policy.title,
    )


def _approved_with_checklist(current: list[ReviewStep], checks: dict[int, ReviewCheck],
                             last: int) -> bool:
    """R-REV-6: every review level of the current version approved with the checklist."""
    reviews = [s for s in current if s.level > AUTHOR_LEVEL]
    return len(reviews) == last - AUTHOR_LEVEL and all(
        s.decision == Decision.APPROVE and s.id in checks and checks[s.id].checklist
        for s in reviews)


def _row(level: int, last: int) -> int:
    """Which of the seed form's three rows a level is: the author's, the middle, the final."""
    return 1 if level == AUTHOR_LEVEL else 3 if level == last else 2


def _signature(form: str, level: int, last: int, current: list[ReviewStep],
               tz: ZoneInfo) -> Signature:
    row = _row(level, last)
    label = msg(f"records.form_{form}_level_{row}") if last == 3 or row != 2 \
        else level_label(level)
    step = next((s for s in current if s.level == level), None)
    if step is None:
        return Signature(level, label, "", "", "")
    if step.decision is None:
        return Signature(level, label, "", "", "", waiting=step.assignee.name)
    if step.decision == Decision.REJECT:
        opinion = msg("records.opinion_returned", reason=step.comment)
    else:
        opinion = step.comment or msg(f"records.opinion_default_{row}")
    return Signature(level, label, step.assignee.name, opinion,
                     local_date_cn(step.decided_at, tz))


def _remarks(draft: Draft, steps: list[ReviewStep]) -> list[str]:
    lines = []
    if draft.important:
        lines.append(msg("records.remark_important"))
    lines += [msg("records.remark_escalation", version=s.version, level=level_label(s.level),
                  note=s.escalation_note) for s in steps if s.escalation_note]
    returns = sum(s.decision == Decision.REJECT for s in steps)
    if draft.relay_task_id:
        lines.append(msg("records.remark_relay", task=draft.relay_task_id))
    lines.append(msg("records.remark_history", versions=draft.version, returns=returns))
    return lines


def _step_row(step: ReviewStep, tz: ZoneInfo) -> StepRow:
    decided = step.decided_at
    waited = hours((decided - step.created_at).total_seconds()) \
        if decided is not None and step.level > AUTHOR_LEVEL else None
    decision = msg(f"decision.{step.decision}") if step.decision else msg("records.waiting")
    if step.level == AUTHOR_LEVEL:
        decision = msg("records.submitted")
    return StepRow(step.version, level_label(step.level), msg(f"role.{step.role}"),
                   step.assignee.name, decision, step.comment, local_minute(step.created_at, tz),
                   local_minute(decided, tz), waited, step.escalation_note)


def _checklist(step: ReviewStep, check: ReviewCheck, tz: ZoneInfo) -> ChecklistAnswer:
    return ChecklistAnswer(step.version, level_label(step.level), step.assignee.name,
                           local_minute(check.confirmed_at, tz), tuple(check.checklist))


def _confirmers(finding: PrecheckFinding, steps: list[ReviewStep],
                checks: dict[int, ReviewCheck]) -> list[ReviewStep]:
    return [s for s in steps if s.version == finding.version and s.id in checks
            and finding.seq in checks[s.id].confirmed_findings]


def _handled(finding: PrecheckFinding, steps: list[ReviewStep],
             checks: dict[int, ReviewCheck]) -> bool:
    """Findings a reviewer confirmed with an approval or marked as a false positive."""
    return bool(_confirmers(finding, steps, checks)) or finding.false_positive_at is not None


def _finding_row(finding: PrecheckFinding, steps: list[ReviewStep],
                 checks: dict[int, ReviewCheck], tz: ZoneInfo) -> FindingRow:
    handled = [msg("records.finding_confirmed", level=level_label(s.level),
                   name=s.assignee.name, at=local_minute(checks[s.id].confirmed_at, tz))
               for s in _confirmers(finding, steps, checks)]
    if finding.false_positive_at is not None:
        marker = finding.false_positive_by
        handled.append(msg("records.finding_false_positive",
                           name=marker.name if marker else "",
                           at=local_minute(finding.false_positive_at, tz)))
    return FindingRow(finding.version, finding.seq, msg(f"precheck.severity.{finding.severity}"),
                      msg(f"precheck.kind.{finding.kind}"), finding.snippet,
                      msg(f"precheck.advice.{finding.kind}", suggestion=finding.suggestion,
                          rule=finding.rule), msg("records.finding_handled", lines=handled))


def _event_time(at: str, tz: ZoneInfo) -> str:
    return local_minute(datetime.fromisoformat(at), tz)


def category_boxes(category: str) -> str:
    """002's 发布类别 row: every category with a box, the draft's one ticked."""
    return msg("records.category_boxes", chosen=category, categories=[
        {"key": key, "label": msg(f"records.category.{key}")} for key in PUBLISH_CATEGORIES])


def label(name: str) -> str:
    """A label of the record's forms and tables (records.label.*), shared by PDF and xlsx."""
    return msg(f"records.label.{name}")


def labels(*names: str) -> tuple[str, ...]:
    """A table's column heads, by label name."""
    return tuple(label(name) for name in names)


def actor_label(actor: str) -> str:
    """Who acted, when it is the bot itself (the scheduler, the audit seal) and not a
    person: in words where the record knows it, else as stored."""
    try:
        return msg(f"records.actor.{actor}")
    except KeyError:
        return actor


def action_label(action: str) -> str:
    """An audit action in words where the record knows it, else as stored."""
    try:
        return msg(f"records.action.{action}")
    except KeyError:
        return action
