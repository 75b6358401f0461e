"""Who sees and approves what on the registry: the unit chain, chiefs and supervisors."""

from __future__ import annotations

import difflib

from bot.dispatcher import normalize
from bot.errors import DomainError
from models.org import Person, Unit

MAX_SUGGESTIONS = 3


async def ancestors(unit_id: str) -> list[Unit]:
    """The units above unit_id, nearest first."""
    chain: list[Unit] = []
    unit = await Unit.get(id=unit_id)
    while unit.parent_id:  # type: ignore[attr-defined]
        unit = await Unit.get(id=unit.parent_id)  # type: ignore[attr-defined]
        chain.append(unit)
    return chain


async def descendants(unit_id: str) -> list[str]:
    """unit_id and every unit below it."""
    found, frontier = [unit_id], [unit_id]
    while frontier:
        frontier = list(await Unit.filter(parent_id__in=frontier).values_list("id", flat=True))
        found.extend(frontier)
    return found


async def holders(unit_id: str, role: str) -> list[Person]:
    people = await Person.filter(unit_id=unit_id, active=True).order_by("id")
    return [p for p in people if p.has_role(role)]


async def supervisors_above(unit_id: str) -> list[Person]:
    """The supervisors of the nearest unit above that has any (R-ACC-1's second approval)."""
    for unit in await ancestors(unit_id):
        found = await holders(unit.id, "supervisor")
        if found:
            return found
    return []


async def oversees(person: Person, unit_id: str) -> bool:
    """A supervisor oversees every unit below their own."""
    if not person.has_role("supervisor"):
        return False
    return any(u.id == person.unit_id for u in await ancestors(unit_id))  # type: ignore[attr-defined]


async def sees_phones(person: Person, unit_id: str) -> bool:
    """Phone numbers are personal data: the unit's own staff and its supervisors only."""
    return person.unit_id == unit_id or await oversees(person, unit_id)  # type: ignore[attr-defined]


async def find_unit(text: str) -> Unit:
    """A unit by id, exact name or a unique part of its name; suggestions otherwise."""
    wanted = normalize(text)
    units = await Unit.filter(active=True).order_by("id")
    exact = [u for u in units if wanted in (u.id, u.name)]
    partial = exact or [u for u in units if wanted in u.name]
    if len(partial) == 1:
        return partial[0]
    names = [u.name for u in units]
    close = partial and [u.name for u in partial] or difflib.get_close_matches(
        wanted, names, n=MAX_SUGGESTIONS, cutoff=0.3)
    raise DomainError("registry.unknown_unit", unit=wanted, suggestions=close[:MAX_SUGGESTIONS])
