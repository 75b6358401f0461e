"""Who may use the follow-up, duty and staff commands (stand-in for the authorization table).

Each row lists grants in the table's form: "role@own" (the subject is in the person's own
unit), "role@below" (in a unit below theirs), "anyone@…", or a relation the handler reports
(opener, reporter, admin). `allow` raises the row's refusal; nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.dispatcher import HandlerContext
from bot.errors import DomainError
from models.org import OrgTree, Person

ROWS: dict[str, tuple[tuple[str, ...], str]] = {
    # rule R-FIX-1: a supervisor above, or the unit's chief, opens; the unit records the fix
    "整改": (("supervisor@below", "chief@own"), "fix.not_allowed"),
    "已整改": (("anyone@own", "admin"), "fix.not_your_unit"),
    "确认整改": (("opener",), "fix.not_opener"),
    "退回整改": (("opener",), "fix.not_opener"),
    # rule R-MSG-1, R-INT-1: the unit itself, or a supervisor who found it
    "留言": (("anyone@own", "admin", "supervisor@below"), "message.not_your_unit"),
    "已受理": (("anyone@own", "admin"), "message.not_your_unit"),
    "已答复": (("anyone@own", "admin"), "message.not_your_unit"),
    "解读": (("anyone@own", "supervisor@below"), "interpretation.not_your_unit"),
    "已解读": (("anyone@own",), "interpretation.not_your_unit"),
    # rule R-ACC-14: anyone reports; the unit's leaders and supervisors above record steps
    "仿冒": (("anyone@any",), "common.denied"),
    "仿冒处置": (("chief@own", "approver@own", "reviewer@own", "reporter", "supervisor@below"),
                 "counterfeit.not_allowed"),
    # rule R-DUT-1
    "值班": (("chief@own", "approver@own", "reviewer@own", "supervisor@own"), "duty.not_keeper"),
    "值班表": (("anyone@own", "supervisor@below"), "duty.not_allowed"),
    # rule R-UPD-4: the website's unit keeps its columns
    "栏目": (("anyone@own", "admin", "supervisor@below"), "website.not_allowed"),
    "栏目更新": (("anyone@own", "admin"), "website.not_allowed"),
    # rule R-SEC-5, R-SEC-6
    "权限": (("chief@own", "approver@own", "admin", "supervisor@below"), "staff.not_allowed"),
    "收回权限": (("chief@own", "approver@own", "admin", "supervisor@below"), "staff.not_allowed"),
    "保密审查": (("chief@own", "approver@own", "supervisor@below"), "staff.not_allowed_checks"),
    "培训": (("chief@own", "approver@own", "supervisor@below"), "staff.not_allowed_checks"),
}


async def _scope(person: Person, unit_id: str | None) -> str:
    own = person.unit_id  # type: ignore[attr-defined]
    if unit_id is None or unit_id == own:
        return "own"
    above = await OrgTree().ancestors(unit_id)
    return "below" if any(u.id == own for u in above) else "elsewhere"


async def allow(ctx: HandlerContext, row: str, unit_id: str | None, *,
                relations: Iterable[str] = (), **args: object) -> Person:
    """The sender, if the row lets them act on a subject in unit_id; else its refusal."""
    person = ctx.require_person()
    grants, denied = ROWS[row]
    scope, ties = await _scope(person, unit_id), set(relations)
    for grant in grants:
        role, at, where = grant.partition("@")
        if not at and role in ties:
            return person
        if at and (role == "anyone" or person.has_role(role)) and where in ("any", scope):
            return person
    raise DomainError(denied, action=row, **args)
