"""The filing approval card (same machinery as review cards) and its decided form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.datefmt import local_minute
from bot.events import Button, OutgoingCard, button_key
from bot.rendering import msg, render
from handlers.registry.filing_form import FilingForm
from models.org import Person, Unit
from models.registry import Filing

APPROVE = "filing_approve"
REJECT = "filing_reject"


def card_ref(filing_id: int, stage: str, step: int = 1) -> str:
    return f"filing-{filing_id}-{stage}" + (f"-{step}" if step > 1 else "")


def stage_title(stage: str, title: str = "") -> str:
    """The stage's name: the profile's title of a stage above the unit (R-ACC-1), else the
    generic name of the unit chief's / the supervisor's stage."""
    return title or msg(f"filing.stage_{stage}")


def filing_label(filing: Filing) -> str:
    return msg("filing.label", id=filing.id, kind=msg(f"filing.kind_{filing.kind}"),
               account=msg("account.label", name=filing.account_name,
                           platform=msg(f"platform.{filing.platform}")))


def history(filing: Filing, tz: ZoneInfo) -> list[dict[str, str]]:
    return [{"stage": stage_title(a["stage"], a.get("title", "")), "name": a["name"],
             "decision": msg(f"filing.decision_{a['decision']}"), "comment": a["comment"],
             "at": local_minute(datetime.fromisoformat(a["at"]), tz)} for a in filing.approvals]


def checklist(filing: Filing) -> list[dict[str, object]]:
    """Each item asked for, numbered from 1, and whether it was received."""
    received = set(filing.payload.get("materials") or [])
    return [{"n": n, "item": item, "received": n in received}
            for n, item in enumerate(filing.payload.get("materials_asked") or [], start=1)]



async def _card(filing: Filing, stage: str, tz: ZoneInfo, *, live: bool, step: int = 1,
                title: str = "") -> OutgoingCard:
    filer: Person | None = await filing.filer
    unit: Unit = await filing.unit
    form = FilingForm.from_payload(filing.payload)
    body = render("cards/filing_request.md.j2", form=form, flags=filing.flags,
                  history=history(filing, tz), materials=checklist(filing) if live else [],
                  filing_id=filing.id)
    fields = (
        (msg("filing.field_kind"), msg(f"filing.kind_{filing.kind}")),
        (msg("filing.field_account"), msg("account.label", name=filing.account_name,
                                          platform=msg(f"platform.{filing.platform}"))),
        (msg("filing.field_unit"), unit.name),
        (msg("filing.field_filer"), filer.name if filer else msg("filing.filer_command")),
        (msg("filing.field_stage"), stage_title(stage, title)),
    )
    return OutgoingCard(title=msg("filing.card_title", label=filing_label(filing)),
                        body_md=body, card_ref=card_ref(filing.id, stage, step), fields=fields)


async def request_card(filing: Filing, stage: str, tz: ZoneInfo, step: int = 1,
                       title: str = "") -> OutgoingCard:
    """The live card with 同意 / 退回; the keys carry the filing, the stage and, above the
    first stage of the chain, its step (R-ACC-1)."""
    card = await _card(filing, stage, tz, live=True, step=step, title=title)
    at = (stage, step) if step > 1 else (stage,)
    buttons = (
        Button(button_key(APPROVE, filing.id, *at), msg("filing.button_approve"), "primary"),
        Button(button_key(REJECT, filing.id, *at), msg("filing.button_reject"), "danger"),
    )
    return OutgoingCard(card.title, card.body_md, card.card_ref, card.fields, buttons)


async def decided_card(filing: Filing, stage: str, tz: ZoneInfo, step: int = 1,
                       title: str = "") -> OutgoingCard:
    """The same card once its stage is decided: no buttons, the decision as its status."""
    card = await _card(filing, stage, tz, live=False, step=step, title=title)
    decision = next(a for a in filing.approvals
                    if a["stage"] == stage and a.get("step", 1) == step)
    status = msg(f"filing.status_{decision['decision']}", name=decision["name"],
                 at=local_minute(datetime.fromisoformat(decision["at"]), tz),
                 comment=decision["comment"])
    return OutgoingCard(card.title, card.body_md, card.card_ref, card.fields, (), status)
