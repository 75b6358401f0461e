"""Who hears about a due item: audience tokens → person ids, cached for one scan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.policy import Policy
from handlers.reminders.kinds import DOERS, LEADERS, NEXT_UP, SUPERVISOR, Due
from handlers.review.routing import next_up
from models.org import Account, OrgTree, Unit


class People:
    """Answers each question (a unit's editors, an account's admins …) once per scan."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.org = OrgTree()
        self._holders: dict[tuple[str, str], list[str]] = {}
        self._admins: dict[int, list[str]] = {}
        self.duty: dict[str, list[str]] = {}  # unit → on duty now (R-DUT-1), set by the scan

    async def prepare(self, unit_ids: Iterable[str]) -> None:
        """Load these units, the units above them and their people in a few queries,
        so that a scan touching a thousand units does not ask a thousand times."""
        await self.org.prepare(unit_ids)

    async def unit(self, unit_id: str) -> Unit:
        return await self.org.unit(unit_id)

    async def holders(self, role: str, unit_id: str) -> list[str]:
        """OrgTree.holders_for (supervisors from the units above), by id."""
        key = (role, unit_id)
        if key not in self._holders:
            self._holders[key] = [p.id for p in await self.org.holders_for(unit_id, role)]
        return self._holders[key]

    async def with_roles(self, roles: Iterable[str], unit_id: str) -> list[str]:
        """The holders of each role for the unit, in the profile's order, each once."""
        return list(dict.fromkeys([p for role in roles for p in await self.holders(role,
                                                                                   unit_id)]))

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
        """The named people, else the account's admins, else the unit's doer roles; for an
        urgent item outside working hours, whoever is on duty (rule R-DUT-1)."""
        if due.urgent and self.duty.get(due.unit_id):
            return self.duty[due.unit_id]
        if due.people:
            return list(due.people)
        if due.account_id is not None and self._admins.get(due.account_id):
            return self._admins[due.account_id]
        return await self.with_roles(self.policy.reminders.doer_roles, due.unit_id)

    async def resolve(self, due: Due) -> tuple[list[str], list[str]]:
        """(recipients, doers). Nobody to tell at a stage means the escalation roles are."""
        rem = self.policy.reminders
        doers = await self.doers(due)
        found: list[str] = list(doers) if DOERS in due.audience else []
        if LEADERS in due.audience:
            found += await self.with_roles(rem.leader_roles, due.unit_id)
        if SUPERVISOR in due.audience:
            found += [*await self.with_roles(rem.escalation_roles, due.unit_id), *due.extra]
        if NEXT_UP in due.audience:
            up = await next_up(self.policy, due.role, due.unit_id, set(due.excluded),
                               self.org)
            found += [p.id for p in up]
        if not found:
            found = await self.with_roles(rem.escalation_roles, due.unit_id)
        return list(dict.fromkeys(p for p in found if p)), doers
