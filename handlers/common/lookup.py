"""Finding accounts and people by what users type."""

from __future__ import annotations

import difflib
import re
from typing import cast

from tortoise.expressions import Q

from bot.dispatcher import HandlerContext, normalize
from bot.errors import DomainError
from bot.fixed import Fixed
from bot.rendering import msg
from handlers.review.content import PICTURES_OF_VERSION, pictures_known
from models.org import Account, Person
from models.review import Draft

_NUMBERED = re.compile(r"^#\s*(?P<id>\d+)\s*(?P<rest>.*)$", re.S)
_NUMBERED_RAW = re.compile(r"^[#＃]\s*\d+\s*(?P<rest>.*)$", re.S)  # \d, \s: any width
_NAME_AND_PLATFORM = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<platform>[^()]+)\))?$")
MAX_SUGGESTIONS = 3
# how like a unit's name the words must be for its accounts to be suggested
UNIT_CUTOFF = 0.6


def numbered_ref(ctx: HandlerContext, usage: str, *, following_lines: bool = True,
                 as_written: bool = False) -> tuple[int, str]:
    """'#12 意见…' → (12, '意见…'), with the command's following lines unless told not to;
    DomainError(usage) when the number is missing. as_written: the rest keeps the sender's
    punctuation (comments and reasons), otherwise it is normalized for parsing."""
    assert ctx.command is not None
    match = _NUMBERED.match(ctx.command.args)
    if not match:
        raise DomainError(usage)
    rest = match["rest"]
    if as_written:
        raw = _NUMBERED_RAW.match(ctx.command.raw_args)
        rest = raw["rest"] if raw else rest
    lines = ctx.command.lines if following_lines else ()
    return int(match["id"]), "\n".join([rest, *lines]).strip()


def name_and_text(ctx: HandlerContext, usage: str) -> tuple[str, str]:
    """'黔江文旅 原因…' → ('黔江文旅', '原因…'), with the command's following lines;
    DomainError(usage) unless both are given."""
    assert ctx.command is not None
    name, _, text = ctx.command.args.partition(" ")
    text = "\n".join([text, *ctx.command.lines]).strip()
    if not name or not text:
        raise DomainError(usage)
    return name, text


async def load_draft(draft_id: int, *, lock: bool = False) -> Draft:
    """The draft #N, locked for update when a decision follows; DomainError if unknown."""
    if not 0 < draft_id <= MAX_ROW_ID:  # `#99999999999999999999` is no draft (not a 500)
        raise DomainError("review.no_such_draft", id=draft_id)
    draft = await (_LOCKED_DRAFT if lock else _DRAFT)(draft_id)
    if draft is None:
        raise DomainError("review.no_such_draft", id=draft_id)
    pictures_known(draft.id, draft.version, int(getattr(draft, "pictures")))  # noqa: B009
    # its account is read once, here: `await draft.account` is then free for the event
    draft.account = await _ACCOUNT(draft.account_id)
    return draft


def _draft_by_id(lock: bool) -> Fixed[Draft | None]:
    # every decision reads its draft so (fixed SQL, issue 19)
    return Fixed(lambda draft_id: (Draft.select_for_update() if lock else Draft.all())
                 .annotate(pictures=PICTURES_OF_VERSION).get_or_none(id=draft_id),
                 lambda draft_id: [draft_id, 2])


_DRAFT, _LOCKED_DRAFT = _draft_by_id(False), _draft_by_id(True)
_ACCOUNT: Fixed[Account] = Fixed(lambda account_id: Account.get(id=account_id),
                                 lambda account_id: [account_id, 2])
_ACCOUNTS_NAMED: Fixed[list[Account]] = Fixed(
    lambda name: Account.filter(name=name).order_by("id"), lambda name: [name])


# the largest id a row has: ids are 32-bit INT on PostgreSQL and MySQL (a larger number
# in a query is a database error there, not a miss)
MAX_ROW_ID = 2**31 - 1


def platform_label(platform: str) -> str:
    return msg(f"platform.{platform}")


def account_label(account: Account) -> str:
    return account_text(account.name, account.platform)


def account_text(name: str, platform: str) -> str:
    """An account as people read it, “平安黔江（新浪微博）”, from its name and platform key."""
    return msg("account.label", name=name, platform=platform_label(platform))


def _platform_matches(account: Account, wanted: str) -> bool:
    label = platform_label(account.platform)
    return wanted in (account.platform, label) or wanted in label


async def find_account(text: str) -> Account:
    """Resolve '黔江文旅' or '平安黔江（新浪微博）'; DomainError with suggestions otherwise."""
    match = _NAME_AND_PLATFORM.match(normalize(text))
    name = match["name"].strip() if match else ""
    wanted = (match["platform"] or "").strip() if match else ""
    if not name:
        raise DomainError("account.name_missing")
    accounts = [a for a in await _ACCOUNTS_NAMED(name)
                if not wanted or _platform_matches(a, wanted)]
    if len(accounts) == 1:
        return accounts[0]
    if accounts:
        raise DomainError("account.ambiguous", name=name,
                          choices=[account_label(a) for a in accounts])
    raise DomainError("account.unknown", name=name, suggestions=await suggest(name))


async def suggest(name: str) -> list[str]:
    """Account names like the one asked for. People often name the host unit instead
    ("黔江公安" for 平安黔江 of 黔江区公安局): that unit's accounts come first."""
    rows = cast(list[tuple[str, str | None]],
                await Account.all().values_list("name", "unit__name"))
    names = sorted({n for n, _ in rows})
    by_unit: dict[str, float] = {}
    for account, unit in rows:
        score = difflib.SequenceMatcher(None, name, unit or "").ratio()
        if score >= UNIT_CUTOFF and score > by_unit.get(account, 0.0):
            by_unit[account] = score
    hosted = sorted(by_unit, key=lambda n: (-by_unit[n], n))
    close = difflib.get_close_matches(name, names, n=MAX_SUGGESTIONS, cutoff=0.3)
    partial = [n for n in names if name in n or n in name]
    return list(dict.fromkeys(hosted + close + partial))[:MAX_SUGGESTIONS]


NAME_SEPARATORS = re.compile(r"[、,，;；/\s]+")


async def find_person(text: str, unit_ids: list[str] | None = None) -> Person:
    """An active person by org id or name, within these units when given; DomainError
    naming the candidates when the name is ambiguous or unknown."""
    wanted = normalize(text)
    query = Person.filter(active=True)
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    found = await query.filter(Q(id=wanted) | Q(name=wanted)).order_by("id") \
        .prefetch_related("unit")
    if len(found) == 1:
        return found[0]
    if found:
        raise DomainError("person.ambiguous", name=wanted,
                          choices=[{"name": p.name, "unit": p.unit.name, "id": p.id}
                                   for p in found])
    raise DomainError("person.unknown", name=wanted)


async def find_people(text: str, unit_ids: list[str] | None = None) -> list[Person]:
    """Several people, separated by 、 , ； / or spaces, each once."""
    names = [n for n in NAME_SEPARATORS.split(normalize(text)) if n]
    people = [await find_person(name, unit_ids) for name in names]
    return list({p.id: p for p in people}.values())
