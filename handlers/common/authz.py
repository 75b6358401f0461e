"""Authorization as one table: who may do what (role × action × where), read from authz.toml.

Every chat command and card action has a row; handlers ask `check` (which raises the row's
refusal, so nothing changes) or `permits` (a yes/no for what a command shows). `decide` is
the pure rule both use, and tests/test_authz.py drives the chat interface from the table.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.dispatcher import HandlerContext
from bot.errors import DomainError
from handlers.common.lookup import account_label
from models.org import ROLES, Account, OrgTree, Person, event_org
from models.review import AUTHOR_LEVEL, Draft, DraftState, ReviewStep

log = logging.getLogger(__name__)
TABLE = Path(__file__).with_name("authz.toml")
WHERE = ("own", "below", "elsewhere", "any")
RELATIONS = ("author", "assignee", "reviewed", "admin", "filer", "opener", "reporter",
             "creator", "self", "asked")


@dataclass(frozen=True)
class Row:
    action: str
    rule: str
    grants: tuple[str, ...] | Mapping[str, tuple[str, ...]]
    deny: tuple[str, ...]
    refusal: str

    def grants_at(self, stage: str | None) -> tuple[str, ...]:
        if isinstance(self.grants, Mapping):
            if stage is None:
                return tuple(g for gs in self.grants.values() for g in gs)
            return self.grants.get(stage, ())
        return self.grants


def _check_grant(action: str, grant: str) -> None:
    role, at, where = grant.partition("@")
    ok = (role in (*ROLES, "anyone") and where in WHERE) if at else grant in RELATIONS
    if not ok:
        raise ValueError(f"authz.toml: row {action!r} has an unknown grant {grant!r}")


@cache
def table() -> dict[str, Row]:
    with open(TABLE, "rb") as fh:
        raw = tomllib.load(fh)["rows"]
    rows: dict[str, Row] = {}
    for action, spec in raw.items():
        grants = spec["grants"]
        if isinstance(grants, dict):
            grants = {stage: tuple(g) for stage, g in grants.items()}
            flat = tuple(g for gs in grants.values() for g in gs)
        else:
            grants = flat = tuple(grants)
        for grant in [*flat, *spec.get("deny", ())]:
            _check_grant(action, grant)
        rows[action] = Row(action, spec["rule"], grants, tuple(spec.get("deny", ())),
                           spec["refusal"])
    return rows


def decide(row: Row, roles: Iterable[str], where: str, relations: Iterable[str],
           stage: str | None = None) -> bool:
    """The table's answer for a person with these roles, the subject `where` from them and
    these ties to it (R-REV-3: a denied relation refuses whatever else matches)."""
    ties, held = set(relations), set(roles)
    if ties & set(row.deny):
        return False
    for grant in row.grants_at(stage):
        role, at, scope = grant.partition("@")
        if not at:
            if role in ties:
                return True
        elif (role == "anyone" or role in held) and scope in ("any", where):
            return True
    return False


async def where_of(person: Person, unit_id: str | None, org: OrgTree | None = None) -> str:
    """own, below (the subject's unit is under the person's) or elsewhere."""
    own = person.unit_id
    if unit_id is None or unit_id == own:
        return "own"
    above = await (org or OrgTree()).ancestors(unit_id)
    return "below" if any(u.id == own for u in above) else "elsewhere"


async def permits(person: Person, action: str, unit_id: str | None, *,
                  relations: Iterable[str] = (), stage: str | None = None,
                  org: OrgTree | None = None) -> bool:
    """Whether the table lets this person do `action` on a subject in unit_id."""
    row = table()[action]
    if not person.active:
        return False
    return decide(row, person.roles, await where_of(person, unit_id, org), relations, stage)


async def check(ctx: HandlerContext, action: str, unit_id: str | None, *,
                relations: Iterable[str] = (), stage: str | None = None,
                **args: object) -> Person:
    """The sender, if the table lets them do `action` on a subject in unit_id (None: their
    own unit); otherwise the row's refusal (a DomainError: nothing changes)."""
    person = ctx.require_person()
    ties = tuple(relations)
    if await permits(person, action, unit_id, relations=ties, stage=stage):
        return person
    log.info("authz refused %s to %s", action, person.id,
             extra={"authz_action": action, "person": person.id})
    raise DomainError(table()[action].refusal, action=action, **args)


async def account_ties(person: Person, account: Account) -> set[str]:
    """admin: the person administers the account."""
    return {"admin"} if await account.admins.filter(id=person.id).exists() else set()


async def _ties_that_count(person: Person, action: str, account: Account) -> set[str]:
    """account_ties, read only when they can change the table's answer: not when the
    person's roles grant the row already and it denies no relation (a tie then only adds
    a grant; an editor's 投稿 to their unit's account reads nothing more)."""
    row = table()[action]
    if not row.deny and person.active and decide(
            row, person.roles, await where_of(person, account.unit_id, event_org()), ()):
        return set()
    return await account_ties(person, account)


async def permits_account(person: Person, action: str, account: Account) -> bool:
    """`permits` on an account: the subject is its unit, the tie whether the person is an
    admin of it."""
    return await permits(person, action, account.unit_id,
                         relations=await _ties_that_count(person, action, account))


async def check_account(ctx: HandlerContext, action: str, account: Account) -> Person:
    """`check` on an account: its unit, the sender's admin tie; the refusal names it."""
    person = ctx.require_person()
    return await check(ctx, action, account.unit_id,
                       relations=await _ties_that_count(person, action, account),
                       account=account_label(account))


async def draft_ties(person: Person, draft: Draft, account: Account | None = None) -> set[str]:
    """The person's ties to a draft: author, assignee (of its open step now), reviewed (holds
    or held a review step of any version), admin (of its account)."""
    ties = {"author"} if person.id == draft.author_id else set()
    steps = await ReviewStep.filter(draft_id=draft.id, assignee_id=person.id,
                                    level__gt=AUTHOR_LEVEL).values("version", "level",
                                                                   "decision")
    if steps:
        ties.add("reviewed")
    if draft.state == DraftState.REVIEWING and any(
            (s["version"], s["level"]) == (draft.version, draft.level) and s["decision"] is None
            for s in steps):
        ties.add("assignee")
    return ties | await account_ties(person, account or await draft.account)


async def permits_draft(person: Person, action: str, draft: Draft,
                        account: Account | None = None) -> bool:
    """`permits` on a draft: the subject is its account's unit, the ties the person's own."""
    account = account or await draft.account
    return await permits(person, action, account.unit_id,
                         relations=await draft_ties(person, draft, account))


async def check_draft(ctx: HandlerContext, action: str, draft: Draft,
                      account: Account | None = None, *,
                      ties: Iterable[str] | None = None) -> Person:
    """`check` on a draft: the subject is its account's unit, the ties the sender's own
    (`draft_ties`, or `ties` where a move knows them from the step it acts on); the refusal
    names the draft."""
    person = ctx.require_person()
    account = account or await draft.account
    if ties is None:
        ties = await draft_ties(person, draft, account)
    return await check(ctx, action, account.unit_id, relations=ties, id=draft.id)
