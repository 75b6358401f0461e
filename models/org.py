"""The organisation: units, people and their roles, accounts (loaded from the org file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from bot.fixed import Fixed

ROLES = ("editor", "reviewer", "approver", "chief", "supervisor")
SUPERVISOR = "supervisor"  # held for a unit by the units above it (OrgTree.supervisors)
PLATFORMS = (
    "wechat_service", "wechat_subscription", "wechat_miniprogram", "wechat_channels", "weibo",
    "douyin",
    "kuaishou", "toutiao", "xigua", "app", "website", "other",
)
CONTENT_KINDS = ("text", "video")
ACCOUNT_STATUSES = ("normal", "suspended", "closed", "cancelled")  # 正常/暂停/关停/注销 (R-ACC-8)
# a person's id is their user id on every channel unless the org file gives another
CHANNEL_ID_FIELDS = {"wecom": "wecom_id", "dingtalk": "dingtalk_id"}
ID_CHARS = 64  # person.id and the channel ids


class Unit(Model):
    """A supervising office or a host unit (主办单位), units nest by parent."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=128)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: str | None
    active = fields.BooleanField(default=True)
    # the unit's WeCom group robot (群机器人) for group digests and escalations
    wecom_webhook_key = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "unit"

    async def ancestors(self) -> list[Unit]:
        """The units above this one, nearest first (OrgTree.ancestors)."""
        return await OrgTree(self).ancestors(self.id)

    async def descendants(self, *, active: bool | None = True) -> list[Unit]:
        """The units below this one, nearest first (OrgTree.descendants)."""
        return await OrgTree(self).descendants(self.id, active=active)

    async def supervisors(self) -> list[Person]:
        """Who supervises this unit: the nearest unit above with any (OrgTree.supervisors)."""
        return await OrgTree(self).supervisors(self.id)

    async def overseers(self) -> list[Person]:
        """Every supervisor of every unit above this one (OrgTree.overseers)."""
        return await OrgTree(self).overseers(self.id)


class Person(Model):
    """A member of staff, id is their user id in the messaging app."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=64)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="people", on_delete=fields.RESTRICT
    )
    unit_id: str
    admin_of: fields.ManyToManyRelation[Account]  # Account.admins, seen from the person
    roles: list[str] = fields.JSONField(default=list)
    wecom_id = fields.CharField(max_length=64, null=True, unique=True)
    dingtalk_id = fields.CharField(max_length=64, null=True, unique=True)
    active = fields.BooleanField(default=True)
    # rule R-SEC-6: passed the confidentiality check (保密审查) and the pre-post training
    # (岗前培训) on these dates; from the org file or `保密审查` / `培训` in chat
    vetted_on = fields.DateField(null=True)
    trained_on = fields.DateField(null=True)

    class Meta:
        table = "person"

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and forget what the current event read about people (event_rows)."""
        await super().save(*args, **kwargs)
        rows = _event_rows.get()
        if rows is not None:
            rows.forget()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    async def holders(cls, unit: Unit | str, role: str) -> list[Person]:
        """The active people of exactly this unit who have the role (OrgTree.holders)."""
        return await OrgTree().holders(unit if isinstance(unit, str) else unit.id, role)

    async def oversees(self, unit: Unit | str) -> bool:
        """A supervisor oversees every unit below their own (OrgTree.oversees)."""
        return await OrgTree().oversees(self, unit if isinstance(unit, str) else unit.id)

    def address(self, channel: str) -> str:
        """This person's user id on a channel."""
        field = CHANNEL_ID_FIELDS.get(channel)
        return (getattr(self, field) if field else None) or self.id

    @classmethod
    async def by_address(cls, channel: str, user_id: str) -> Person | None:
        """The active person a channel's user id belongs to.

        A person with an id on this channel is reachable only by it; the org id is a
        fallback only for people who have none there (issue 13: a member whose channel
        userid equals someone else's org id must not act as them)."""
        if not 0 < len(user_id) <= ID_CHARS:  # nobody's (and too long to query for)
            return None
        field = CHANNEL_ID_FIELDS.get(channel)
        person = await _ACTIVE_BY[field or "id"](user_id)
        if person is not None or not field:
            return person
        # as in address(): an empty channel id is no id
        empty: list[dict[str, Any]] = [{f"{field}__isnull": True}, {field: ""}]
        unset = Q(**empty[0]) | Q(**empty[1])
        return await cls.filter(unset, id=user_id, active=True).first()


def _active_by(field: str) -> Fixed[Person | None]:
    # every event reads its sender by one of these (issue 19: fixed SQL)
    return Fixed(lambda user_id: Person.get_or_none(**{field: user_id, "active": True}),
                 lambda user_id: [user_id, True, 2])


_ACTIVE_BY = {field: _active_by(field) for field in ("id", *CHANNEL_ID_FIELDS.values())}
_ACTIVE_IN_UNITS: Fixed[list[Person]] = Fixed(
    lambda units: Person.filter(unit_id__in=units, active=True).order_by("id"),
    lambda units: [*units, True])
_ACTIVE_IN_UNIT: Fixed[list[Person]] = Fixed(
    lambda unit: Person.filter(unit_id=unit, active=True).order_by("id"),
    lambda unit: [unit, True])
_UNIT_AND_ABOVE: Fixed[Unit] = Fixed(
    lambda unit: Unit.filter(id=unit).select_related(_ABOVE).get(), lambda unit: [unit, 2])
_PEOPLE: Fixed[list[Person]] = Fixed(lambda ids: Person.filter(id__in=ids), lambda ids: [*ids])


class Absence(Model):
    """请假: a person is away from starts_at to ends_at (UTC, local midnights, end excluded).

    New review steps skip them, their open steps go to the deputy, reminders chase the deputy
    or the chief (issue 20). From `请假` in chat or the org file (people.away)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="absences", on_delete=fields.CASCADE
    )
    person_id: str
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    deputy: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="deputy_for", null=True, on_delete=fields.SET_NULL
    )
    deputy_id: str | None
    set_by = fields.CharField(max_length=64)  # a person id, FROM_FILE or CALLED_OFF
    created_at = fields.DatetimeField(auto_now_add=True)
    # CALLED_OFF: the end the file's entry had, so that only that entry stays called off
    # (null on rows called off before migration 0019: those hold their start alone)
    file_ends_at = fields.DatetimeField(null=True)

    FROM_FILE = "org"  # people.away in the org file
    # one from the file that 销假 ended or called off: kept so that the file, loaded again,
    # does not bring it back (a zero-length span when it had not begun)
    CALLED_OFF = "org:called-off"

    class Meta:
        table = "absence"
        indexes = (("person_id", "ends_at"),)


class Account(Model):
    """A 政务新媒体 account on the registry (R-ACC-8), name+platform is its natural key."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    platform = fields.CharField(max_length=32)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="accounts", on_delete=fields.RESTRICT
    )
    unit_id: str
    content = fields.CharField(max_length=8, default="text")
    # R-UPD-3 (003 Art.12 "如开设平台有更新次数和时间限制的"): the platform itself limits how
    # often this account can post (a 微信服务号's monthly pushes), so the gap rule applies
    # instead of the weekly count. Nullable so a migration can add it, never NULL
    limited_posting = fields.BooleanField(null=True, default=False)
    admins: fields.ManyToManyRelation[Person] = fields.ManyToManyField(
        "models.Person", related_name="admin_of", through="account_admin"
    )
    status = fields.CharField(max_length=16, default="normal")
    last_update_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    # the rest of the filing form (R-ACC-8, 002 appendix 1, 004 appendix); set by filings
    # and `accounts import`, not by the org file; the team is models.registry.TeamMember.
    # The text columns came after the first release: nullable in the database so that a
    # migration can add them to a full table, but never NULL (default here, backfilled there).
    platform_id = fields.CharField(null=True, max_length=128, default="")  # 账号ID
    # e.g. which 其他 platform
    platform_note = fields.CharField(null=True, max_length=64, default="")
    organizer = fields.CharField(null=True, max_length=128, default="")  # 承办单位
    opened_on = fields.DateField(null=True)
    certified = fields.BooleanField(null=True)
    news_licence = fields.BooleanField(null=True)
    intro = fields.TextField(null=True, default="")
    url = fields.CharField(null=True, max_length=1024, default="")
    vendor = fields.CharField(null=True, max_length=128, default="")  # 服务外包单位 (R-ACC-13)
    vendor_qualification = fields.CharField(null=True, max_length=256, default="")
    vendor_agreement_on = fields.DateField(null=True)  # 保密协议签订日期 (R-ACC-13)
    menus = fields.CharField(null=True, max_length=256, default="")  # 主菜单 (R-ACC-11)
    ipv6 = fields.BooleanField(null=True)  # apps (R-ACC-12)
    elderly_friendly = fields.BooleanField(null=True)  # 适老化 (R-ACC-12)
    accessible = fields.BooleanField(null=True)  # 无障碍 (R-ACC-12)
    followers = fields.IntField(null=True)
    # when it came onto the registry: the reminders count from it until a first update
    created_at = fields.DatetimeField(auto_now_add=True, null=True)  # backfilled, never NULL

    class Meta:
        table = "account"
        unique_together = (("name", "platform"),)
        # the reminder scan's range queries (stale accounts, password rotation)
        indexes = (("status", "content", "last_update_at", "created_at"),
                   ("status", "password_changed_at", "created_at"))


CHUNK = 500  # ids per IN (…) list: SQLite allows a limited number of bound variables
MEMBER_UNITS = 50  # units whose people OrgTree.prepare reads per query
ANCESTORS_AT_ONCE = 3  # units above a unit OrgTree.unit reads with it
_ABOVE: str = "__".join(["parent"] * ANCESTORS_AT_ONCE)
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class OrgTree:
    """The organisation tree and who holds which role in it: the one meaning every caller uses.

    - ancestors(u): the units above u, nearest first, never u itself. An inactive unit keeps
      its place (it has no active people, so it adds nobody).
    - descendants(u, active=True): the units below u, nearest first and by id within a
      depth, never u itself; inactive units (and what hangs below them) only with
      active=None.
    - holders(u, role): the active people of exactly unit u with the role, by id.
    - supervisors(u): the holders of "supervisor" in the nearest unit above u that has any;
      empty at the top. A unit's own supervisors supervise the units below, not it.
    - overseers(u): every supervisor of every unit above u, nearest unit first.
    - holders_for(u, role): who holds the role *for* u: supervisors(u) for "supervisor",
      holders(u, role) for every other role (the review ladder and reminder audiences).
    - oversees(p, u): p is one of overseers(u).

    Inactive people never count. Units and people are loaded on demand and kept, so one tree
    serves one request or one reminder scan (prepare() loads many units in a few queries).
    """

    def __init__(self, *known: Unit) -> None:
        self._units: dict[str, Unit] = {u.id: u for u in known}
        self._members: dict[str, list[Person]] = {}

    async def prepare(self, unit_ids: Iterable[str]) -> None:
        """Load these units, every unit above them and their people in a few queries."""
        wanted = set(unit_ids) - self._units.keys()
        while wanted:
            for chunk in chunks(sorted(wanted)):
                self._units.update({u.id: u for u in await Unit.filter(id__in=chunk)})
            wanted = {p for p in (_parent(u) for u in self._units.values())
                      if p and p not in self._units}
        missing = sorted(self._units.keys() - self._members.keys())
        # a few units' people per query: a province's 100,000 people read in one go would
        # hold the event loop (and the callbacks it acknowledges) for seconds
        for chunk in chunks(missing, MEMBER_UNITS):
            self._members.update({u: [] for u in chunk})
            found = await _ACTIVE_IN_UNITS(chunk)
            for person in found:
                self._members[person.unit_id].append(person)
            remember(*found)

    async def unit(self, unit_id: str) -> Unit:
        """The unit, read with the few units above it (one query for a county's chain)."""
        if unit_id not in self._units:
            unit = await _UNIT_AND_ABOVE(unit_id)
            self._units[unit_id] = above = unit
            for _ in range(ANCESTORS_AT_ONCE):
                if above.parent_id is None:
                    break
                above = cast(Unit, above.parent)  # read with it (select_related)
                self._units.setdefault(above.id, above)
        return self._units[unit_id]

    async def ancestors(self, unit_id: str) -> list[Unit]:
        chain: list[Unit] = []
        parent = _parent(await self.unit(unit_id))
        while parent and parent != unit_id and all(u.id != parent for u in chain):
            unit = await self.unit(parent)
            chain.append(unit)
            parent = _parent(unit)
        return chain

    async def descendants(self, unit_id: str, *, active: bool | None = True) -> list[Unit]:
        found: list[Unit] = []
        seen, frontier = {unit_id}, [unit_id]
        while frontier:
            query = Unit.filter(parent_id__in=frontier)
            if active is not None:
                query = query.filter(active=active)
            children = [u for u in await query.order_by("id") if u.id not in seen]
            self._units.update({u.id: u for u in children})
            seen.update(u.id for u in children)
            found += children
            frontier = [u.id for u in children]
        return found

    async def members(self, unit_id: str) -> list[Person]:
        """The active people of the unit, by id."""
        if unit_id not in self._members:
            self._members[unit_id] = await _ACTIVE_IN_UNIT(unit_id)
            remember(*self._members[unit_id])
        return self._members[unit_id]

    async def holders(self, unit_id: str, role: str) -> list[Person]:
        return [p for p in await self.members(unit_id) if p.has_role(role)]

    async def supervisors(self, unit_id: str) -> list[Person]:
        for unit in await self.ancestors(unit_id):
            found = await self.holders(unit.id, SUPERVISOR)
            if found:
                return found
        return []

    async def overseers(self, unit_id: str) -> list[Person]:
        return [p for unit in await self.ancestors(unit_id)
                for p in await self.holders(unit.id, SUPERVISOR)]

    async def holders_for(self, unit_id: str, role: str) -> list[Person]:
        if role == SUPERVISOR:
            return await self.supervisors(unit_id)
        return await self.holders(unit_id, role)

    async def oversees(self, person: Person, unit_id: str) -> bool:
        if not person.active or not person.has_role(SUPERVISOR):
            return False
        own = person.unit_id
        return any(u.id == own for u in await self.ancestors(unit_id))


def _parent(unit: Unit) -> str | None:
    return unit.parent_id


class EventRows:
    """People and the org tree as one event reads them: each row once (issue 19: a decision
    asked for its reviewer, the author and the unit's members several times over)."""

    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self.org = OrgTree()
        self.memo: dict[tuple[Any, ...], Any] = {}  # event_memo

    def forget(self) -> None:
        self.people.clear()
        self.org = OrgTree()


_event_rows: ContextVar[EventRows | None] = ContextVar("event_rows", default=None)


@contextmanager
def event_rows() -> Iterator[EventRows]:
    """Within the block (one event's handler) people and units are read once and kept; a
    person saved meanwhile makes it forget them all."""
    rows = EventRows()
    token = _event_rows.set(rows)
    try:
        yield rows
    finally:
        _event_rows.reset(token)


async def event_memo(key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
    """load(), once per event for this key (every time outside an event). Whoever writes
    what it read calls event_forget(key); callers never change what it returns."""
    rows = _event_rows.get()
    if rows is None:
        return await load()
    if key not in rows.memo:
        rows.memo[key] = await load()
    return cast(T, rows.memo[key])


def event_keep(key: tuple[Any, ...], value: Any) -> None:
    """What event_memo(key, …) would load, known already (read another way)."""
    rows = _event_rows.get()
    if rows is not None:
        rows.memo[key] = value


def event_update(key: tuple[Any, ...], change: Callable[[Any], Any]) -> None:
    """A writer that knows how its write changes what event_memo(key, …) holds: the new
    value (change(old)), if it holds one (else the next event_memo reads it)."""
    rows = _event_rows.get()
    if rows is not None and key in rows.memo:
        rows.memo[key] = change(rows.memo[key])


def event_forget(key: tuple[Any, ...]) -> None:
    rows = _event_rows.get()
    if rows is not None:
        rows.memo.pop(key, None)


def event_org() -> OrgTree:
    """The current event's org tree, or a new one outside an event."""
    rows = _event_rows.get()
    return rows.org if rows is not None else OrgTree()


def remember(*people: Person) -> None:
    """Keep people just read (e.g. the sender) for the rest of the event."""
    rows = _event_rows.get()
    if rows is not None:
        rows.people.update((p.id, p) for p in people)


async def people_by_id(ids: Iterable[str | None]) -> dict[str, Person]:
    """The people with these ids (active or not; unknown ids left out), read once per event."""
    wanted = {i for i in ids if i}
    rows = _event_rows.get()
    known = rows.people if rows is not None else {}
    # not `wanted - known.keys()`: that walks every person the event has read, on each call
    missing = sorted(i for i in wanted if i not in known)
    found = {i: known[i] for i in wanted if i in known}
    for chunk in chunks(missing):
        for person in await _PEOPLE(chunk):
            found[person.id] = person
    if rows is not None:
        rows.people.update(found)
    return found


async def person_by_id(person_id: str) -> Person | None:
    """One person by id, active or not (people_by_id)."""
    return (await people_by_id([person_id])).get(person_id)
