"""Who hears about a due item: audience tokens → person ids, cached for one scan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from bot.policy import Policy
from handlers.reminders.kinds import DOERS, LEADERS, NEXT_UP, SUPERVISOR, Due
from handlers.review.routing import holders, next_up
from models.org import Account, Person, Unit

LEADER_ROLES = ("reviewer", "chief")
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class People:
    """Answers each question (a unit's editors, an account's admins …) once per scan."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._units: dict[str, Unit] = {}
        self._holders: dict[tuple[str, str], list[str]] = {}
        self._admins: dict[int, list[str]] = {}
        self._members: dict[str, list[Person]] = {}

    async def prepare(self, unit_ids: Iterable[str]) -> None:
        """Load these units, the units above them and their people in a few queries,
        so that a scan touching a thousand units does not ask a thousand times."""
        wanted = set(unit_ids) - self._units.keys()
        loaded: list[str] = []
        while wanted:
            for chunk in chunks(sorted(wanted)):
                for unit in await Unit.filter(id__in=chunk):
                    self._units[unit.id] = unit
                    loaded.append(unit.id)
            wanted = {u.parent_id for u in self._units.values()  # type: ignore[attr-defined]
                      if u.parent_id and u.parent_id not in self._units}  # type: ignore[attr-defined]
        for chunk in chunks(loaded):
            for person in await Person.filter(unit_id__in=chunk, active=True).order_by("id"):
                self._members.setdefault(person.unit_id, []).append(person)  # type: ignore[attr-defined]
        for unit_id in loaded:
            self._members.setdefault(unit_id, [])

    async def unit(self, unit_id: str) -> Unit:
        if unit_id not in self._units:
            self._units[unit_id] = await Unit.get(id=unit_id)
        return self._units[unit_id]

    async def holders(self, role: str, unit_id: str) -> list[str]:
        """As review_routing.holders (supervisors from the units above), from what
        prepare() loaded when it can."""
        key = (role, unit_id)
        if key not in self._holders:
            self._holders[key] = [p.id for p in await self._find(role, unit_id)]
        return self._holders[key]

    async def _find(self, role: str, unit_id: str) -> list[Person]:
        if unit_id not in self._members:
            return await holders(role, await self.unit(unit_id))
        if role != "supervisor":
            return [p for p in self._members[unit_id] if p.has_role(role)]
        parent = self._units[unit_id].parent_id  # type: ignore[attr-defined]
        while parent:
            found = [p for p in self._members.get(parent, []) if p.has_role(role)]
            if found:
                return found
            parent = self._units[parent].parent_id  # type: ignore[attr-defined]
        return []

    async def load_admins(self, account_ids: Iterable[int | None]) -> None:
        """Fetch the admins of many accounts in one query."""
        wanted = {a for a in account_ids if a is not None and a not in self._admins}
        found: dict[int, list[str]] = defaultdict(list)
        for acc_id, person_id in await Account.filter(id__in=wanted) \
                .values_list("id", "admins__id"):
            if person_id:
                found[acc_id].append(person_id)
        self._admins.update({a: sorted(found.get(a, [])) for a in wanted})

    async def doers(self, due: Due) -> list[str]:
        """The named people, else the account's admins, else the unit's editors."""
        if due.people:
            return list(due.people)
        if due.account_id is not None and self._admins.get(due.account_id):
            return self._admins[due.account_id]
        return await self.holders("editor", due.unit_id)

    async def resolve(self, due: Due) -> tuple[list[str], list[str]]:
        """(recipients, doers). Nobody to tell at a stage means the supervisor is told."""
        doers = await self.doers(due)
        found: list[str] = list(doers) if DOERS in due.audience else []
        if LEADERS in due.audience:
            for role in LEADER_ROLES:
                found += await self.holders(role, due.unit_id)
        if SUPERVISOR in due.audience:
            found += [*await self.holders("supervisor", due.unit_id), *due.extra]
        if NEXT_UP in due.audience:
            up = await next_up(self.policy, due.role, await self.unit(due.unit_id),
                               set(due.excluded))
            found += [p.id for p in up]
        if not found:
            found = await self.holders("supervisor", due.unit_id)
        return list(dict.fromkeys(p for p in found if p)), doers
