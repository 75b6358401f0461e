"""Who sees what on the registry, and finding a unit by what people type."""

from __future__ import annotations

import difflib

from bot.dispatcher import normalize
from bot.errors import DomainError
from models.org import Person, Unit

MAX_SUGGESTIONS = 3


async def sees_phones(person: Person, unit_id: str) -> bool:
    """Phone numbers are personal data: the unit's own staff and its supervisors only."""
    return person.unit_id == unit_id or await person.oversees(unit_id)


async def find_unit(text: str) -> Unit:
    """A unit by id, exact name or a unique part of its name; suggestions otherwise."""
    wanted = normalize(text)
    units = await Unit.filter(active=True).order_by("id")
    exact = [u for u in units if wanted in (u.id, u.name)]
    partial = exact or [u for u in units if wanted in u.name]
    if len(partial) == 1:
        return partial[0]
    names = [u.name for u in units]
    close = [u.name for u in partial] if partial else difflib.get_close_matches(
        wanted, names, n=MAX_SUGGESTIONS, cutoff=0.3)
    raise DomainError("registry.unknown_unit", unit=wanted, suggestions=close[:MAX_SUGGESTIONS])
