"""The review card (R-REV-6 checklist on it) and its decided form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.datefmt import local_minute
from bot.events import CARD_MAX_BUTTONS, Button, OutgoingCard, button_key
from bot.policy import Policy
from bot.rendering import msg, render
from handlers.common.lookup import account_label
from handlers.precheck.review import card_summary
from handlers.review.content import (
    changes,
    draft_link,
    excerpt,
    map_note,
    picture_count,
)
from handlers.review.routing import (
    decided_steps,
    final_route,
    level_label,
    role_label,
    route_note,
)
from models.org import Account, Person, people_by_id, person_by_id
from models.review import Decision, Draft, ReviewStep

APPROVE = "approve"
REJECT = "reject"
REJECT_WITH = "rejectwith"  # a common reason tapped on the reason card: draft, level, version, i
# issue 20, the moves on cards: 转交 on the review card (draft, level, version) offers the
# people who may take the step, one button each (HAND_OVER_TO: …, person id); the
# author's receipt (draft, version) carries 催办 and 撤回 (同意撤回 on the request card too)
HAND_OVER = "handover"
HAND_OVER_TO = "handoverto"
NUDGE = "nudge"
WITHDRAW = "withdraw"


def common_reasons() -> list[str]:
    """The return reasons offered on the reason card (templates: review.reject_reasons)."""
    reasons = [r.strip() for r in msg("review.reject_reasons").split("；") if r.strip()]
    return reasons[:CARD_MAX_BUTTONS]


def reason_card(draft: Draft, step: ReviewStep, level: str) -> OutgoingCard:
    """Asked after a tap on 退回: a common reason is one more tap; another one is typed."""
    args = (draft.id, step.level, step.version)
    return OutgoingCard(
        title=msg("review.reason_card_title", id=draft.id),
        body_md=msg("review.reason_card_body", id=draft.id, title=draft.title, level=level),
        card_ref=f"reason-{draft.id}-{step.level}-{step.version}",
        buttons=tuple(Button(button_key(REJECT_WITH, *args, i), reason, "default",
                             msg("card.command_reject_with", id=draft.id, reason=reason))
                      for i, reason in enumerate(common_reasons())))


def reason_card_done(draft: Draft, step: ReviewStep) -> OutgoingCard:
    """The reason card once the step is decided (by it or otherwise): no live buttons."""
    return OutgoingCard(
        title=msg("review.reason_card_done_title", id=draft.id), body_md="",
        card_ref=f"reason-{draft.id}-{step.level}-{step.version}",
        status=msg("review.reason_card_done", reason=step.comment))


@dataclass(frozen=True)
class StepView:
    level: str
    name: str
    role: str
    decision: str
    comment: str
    at: str
    version: int = 1
    decision_key: str = ""  # approve | reject


def card_ref(draft_id: int, level: int, version: int) -> str:
    return f"review-{draft_id}-{level}-{version}"


async def history(draft: Draft, tz: ZoneInfo) -> list[StepView]:
    """Every decided step of every version (an earlier 退回 and its reason stay on the
    card of the next version), oldest version first, in level order."""
    steps = await decided_steps(draft)
    # the author with the deciders: the card names them too (one query)
    people = await people_by_id([draft.author_id, *(s.assignee_id for s in steps)])
    return [StepView(level_label(s.level), people[s.assignee_id].name, role_label(s.role),
                     msg(f"decision.{s.decision}"), s.comment, local_minute(s.decided_at, tz),
                     s.version, str(s.decision))
            for s in steps]


async def _card(policy: Policy, settings: Settings, draft: Draft, step: ReviewStep,
                *, decided: bool) -> OutgoingCard:
    tz = settings.tz
    account: Account = await draft.account
    steps = await history(draft, tz)
    author = await _person(draft.author_id)
    link = await draft_link(settings, step.assignee_id, draft.id)
    changed = await changes(draft)
    precheck = await card_summary(draft)
    notes = [step.escalation_note, *await move_lines(step, tz)]
    body = render("cards/review_request.md.j2", draft=draft, author=author.name,
                  note=[n for n in notes if n], history=steps,
                  route=route_note(await final_route(policy, draft)),
                  checklist=policy.review.checklist,
                  show_checklist=not decided, precheck=precheck,
                  excerpt=excerpt(draft.body), link=link,
                  pictures=await picture_count(draft.id, draft.version),
                  change=changed[1] if changed else None,
                  map_note=await map_note(draft.id, draft.version))
    fields = (
        (msg("card.field_account"), account_label(account)),
        (msg("card.field_author"), author.name),
        (msg("card.field_level"), f"{level_label(step.level)}·{role_label(step.role)}"),
        (msg("card.field_version"), f"v{draft.version}"),
        precheck["field"],  # 机审: 错误 N · 提醒 M, where the reviewer taps
        (msg("card.field_holder"), await holder_text(step, tz)),  # issue 20: who, since when
    )
    return OutgoingCard(
        title=msg("card.review_title", id=draft.id, title=draft.title),
        body_md=body,
        card_ref=card_ref(draft.id, step.level, step.version),
        fields=fields,
        url=link,
    )


async def review_card(policy: Policy, settings: Settings, draft: Draft,
                      step: ReviewStep) -> OutgoingCard:
    """The live card with 通过 / 退回 buttons; keys trace draft, level and version."""
    card = await _card(policy, settings, draft, step, decided=False)
    args = (draft.id, step.level, step.version)
    buttons = (
        Button(button_key(APPROVE, *args), msg("card.button_approve"), "primary",
               msg("card.command_approve", id=draft.id)),
        Button(button_key(REJECT, *args), msg("card.button_reject"), "danger",
               msg("card.command_reject", id=draft.id)),
        Button(button_key(HAND_OVER, *args), msg("moves.button_handover"), "default",
               msg("moves.command_handover", id=draft.id), secondary=True),
    )
    return replace(card, buttons=buttons)


def handover_ref(draft_id: int, level: int, version: int) -> str:
    return f"handover-{draft_id}-{level}-{version}"


def handover_card(draft: Draft, step: ReviewStep, people: list[Person]) -> OutgoingCard:
    """Asked after a tap on 转交: who may take the step (R-REV-3), one tap each; anyone
    else is typed as `转交 #N 人员 理由`."""
    args = (draft.id, step.level, step.version)
    return OutgoingCard(
        title=msg("moves.handover_card_title", id=draft.id),
        body_md=msg("moves.handover_card_body", id=draft.id, title=draft.title,
                    level=level_label(step.level), more=max(0, len(people) - CARD_MAX_BUTTONS)),
        card_ref=handover_ref(*args),
        buttons=tuple(Button(button_key(HAND_OVER_TO, *args, p.id), p.name, "default",
                             msg("moves.command_handover_to", id=draft.id, name=p.name))
                      for p in people[:CARD_MAX_BUTTONS]))


def handover_card_done(draft: Draft, step: ReviewStep, status: str) -> OutgoingCard:
    """The 转交 card once the step has moved (by it or otherwise): no live buttons."""
    return OutgoingCard(title=msg("moves.handover_card_title", id=draft.id), body_md="",
                        card_ref=handover_ref(draft.id, step.level, step.version),
                        status=status)


def receipt_ref(draft_id: int, version: int) -> str:
    return f"receipt-{draft_id}-{version}"


def receipt_card(draft: Draft, text: str) -> OutgoingCard:
    """The author's receipt of a version sent to review, with 催办 and 撤回 on it (the
    same as `催办 #N`, `撤回 #N`). It names no current holder: the step may move while the
    receipt stays; 催办, 待办 and the draft's page say who holds it now."""
    args = (draft.id, draft.version)
    return OutgoingCard(
        title=msg("review.receipt_title", id=draft.id, title=draft.title,
                  version=draft.version),
        body_md=text, card_ref=receipt_ref(*args),
        buttons=(Button(button_key(NUDGE, *args), msg("moves.button_nudge"), "default",
                        msg("moves.command_nudge", id=draft.id)),
                 Button(button_key(WITHDRAW, *args), msg("moves.button_withdraw"), "danger",
                        msg("moves.command_withdraw", id=draft.id))))


def receipt_done(draft: Draft, status: str) -> OutgoingCard:
    """The receipt once the version left review by the author's hand (撤回)."""
    return OutgoingCard(title=msg("review.receipt_title", id=draft.id, title=draft.title,
                                  version=draft.version),
                        body_md="", card_ref=receipt_ref(draft.id, draft.version),
                        status=status)


async def closed_card(policy: Policy, settings: Settings, draft: Draft, step: ReviewStep,
                      status: str) -> OutgoingCard:
    """The card of a step that left this holder undecided (转交 / 改派 / 代理 / 撤回): no
    buttons, what happened as its status."""
    card = await _card(policy, settings, draft, step, decided=True)
    return replace(card, title=msg("card.closed_title", id=draft.id, title=draft.title),
                   buttons=(), status=status)


async def holder_text(step: ReviewStep, tz: ZoneInfo) -> str:
    """'张明 · 自 2026-12-01 09:00 · 代 王五': who holds the step, since when, for whom."""
    names = await _names([step.assignee_id, step.on_behalf_of])
    return msg("card.holder", name=names.get(step.assignee_id, ""),
               since=local_minute(step.held_since(), tz),
               behalf=names.get(step.on_behalf_of or "", ""))


async def move_lines(step: ReviewStep, tz: ZoneInfo) -> list[str]:
    """Each move of the step as a line (转交 / 改派 / 代理 / 催办 / 请求撤回)."""
    moves = step.moves or []
    names = await _names([p for m in moves for p in (m.get("from"), m.get("to"), m.get("by"))])
    return [msg(f"move.{m['kind']}", by=names.get(m.get("by") or "", m.get("by") or ""),
                frm=names.get(m.get("from") or "", ""), to=names.get(m.get("to") or "", ""),
                reason=m.get("reason") or "",
                at=local_minute(datetime.fromisoformat(m["at"]), tz))
            for m in moves]


async def _names(ids: list[str | None]) -> dict[str, str]:
    return {i: p.name for i, p in (await people_by_id(ids)).items()}


async def _person(person_id: str) -> Person:
    person = await person_by_id(person_id)
    if person is None:
        raise LookupError(f"person {person_id!r}")  # a foreign key: the row exists
    return person


async def decided_card(policy: Policy, settings: Settings, draft: Draft,
                       step: ReviewStep) -> OutgoingCard:
    """The same card after the decision: no buttons, the outcome as its status."""
    card = await _card(policy, settings, draft, step, decided=True)
    assignee = await _person(step.assignee_id)
    status = msg("card.status_approved" if step.decision == Decision.APPROVE
                 else "card.status_rejected", name=assignee.name,
                 at=local_minute(step.decided_at, settings.tz), comment=step.comment)
    title = msg("card.decided_title", id=draft.id, title=draft.title,
                approved=step.decision == Decision.APPROVE)
    return replace(card, title=title, buttons=(), status=status)
