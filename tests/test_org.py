"""The org-tree queries (models/org.py OrgTree): one meaning for every caller, on every backend.

    top ── supervisor s_top
     ├── mid ── supervisor s_mid (and s_gone, who left)
     │    ├── leaf ── editors e1, e2 (e2 also reviewer), chief c1, e_gone (left)
     │    └── shut (inactive unit) ── shut_child (inactive)
     └── plain (no supervisor)
          └── low
"""

from __future__ import annotations

import pytest

from models.org import OrgTree, Person, Unit

UNITS = (("t-top", None, True), ("t-mid", "t-top", True), ("t-plain", "t-top", True),
         ("t-leaf", "t-mid", True), ("t-shut", "t-mid", False), ("t-low", "t-plain", True),
         ("t-shut-child", "t-shut", False))
PEOPLE = (("s_top", "t-top", ["supervisor"], True), ("s_mid", "t-mid", ["supervisor"], True),
          ("s_gone", "t-mid", ["supervisor"], False), ("e1", "t-leaf", ["editor"], True),
          ("e2", "t-leaf", ["reviewer", "editor"], True), ("c1", "t-leaf", ["chief"], True),
          ("e_gone", "t-leaf", ["editor"], False))


@pytest.fixture
async def tree(db: None) -> None:
    for unit_id, parent, active in UNITS:
        await Unit.create(id=unit_id, name=unit_id, parent_id=parent, active=active)
    for person_id, unit_id, roles, active in PEOPLE:
        await Person.create(id=person_id, name=person_id, unit_id=unit_id, roles=roles,
                            active=active)


def ids(rows: list[Unit] | list[Person]) -> list[str]:
    return [r.id for r in rows]


async def unit(unit_id: str) -> Unit:
    return await Unit.get(id=unit_id)


async def test_ancestors_are_above_nearest_first_never_the_unit(tree: None) -> None:
    assert ids(await (await unit("t-leaf")).ancestors()) == ["t-mid", "t-top"]
    assert ids(await (await unit("t-shut-child")).ancestors()) == ["t-shut", "t-mid", "t-top"]
    assert await (await unit("t-top")).ancestors() == []


async def test_descendants_are_below_nearest_first_active_unless_asked(tree: None) -> None:
    top = await unit("t-top")
    assert ids(await top.descendants()) == ["t-mid", "t-plain", "t-leaf", "t-low"]
    assert ids(await top.descendants(active=None)) == [
        "t-mid", "t-plain", "t-leaf", "t-low", "t-shut", "t-shut-child"]
    assert await (await unit("t-low")).descendants() == []


async def test_holders_are_the_active_people_of_exactly_that_unit(tree: None) -> None:
    assert ids(await Person.holders("t-leaf", "editor")) == ["e1", "e2"]
    assert ids(await Person.holders(await unit("t-mid"), "supervisor")) == ["s_mid"]
    assert await Person.holders("t-leaf", "supervisor") == []  # none in the unit itself


async def test_supervisors_come_from_the_nearest_unit_above_that_has_any(tree: None) -> None:
    assert ids(await (await unit("t-leaf")).supervisors()) == ["s_mid"]
    assert ids(await (await unit("t-mid")).supervisors()) == ["s_top"]  # not its own
    assert ids(await (await unit("t-low")).supervisors()) == ["s_top"]  # plain has none
    assert await (await unit("t-top")).supervisors() == []


async def test_overseers_are_every_supervisor_above(tree: None) -> None:
    assert ids(await (await unit("t-leaf")).overseers()) == ["s_mid", "s_top"]
    s_mid, s_top, s_gone, e1 = [await Person.get(id=i) for i in ("s_mid", "s_top", "s_gone", "e1")]
    assert await s_mid.oversees("t-leaf") and await s_top.oversees(await unit("t-low"))
    assert not await s_mid.oversees("t-mid")  # not their own unit
    assert not await s_mid.oversees("t-low")  # not a unit beside theirs
    assert not await s_gone.oversees("t-leaf")  # left
    assert not await e1.oversees("t-leaf")  # not a supervisor


async def test_holders_for_takes_supervisors_from_above(tree: None) -> None:
    org = OrgTree()
    assert ids(await org.holders_for("t-leaf", "supervisor")) == ["s_mid"]
    assert ids(await org.holders_for("t-leaf", "chief")) == ["c1"]


async def test_a_prepared_tree_answers_the_same_without_asking_again(
        tree: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reminder scan's batched variant: prepare() loads it all, then nothing is queried."""
    org = OrgTree()
    await org.prepare(["t-leaf", "t-low"])

    def no_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("queried after prepare()")

    monkeypatch.setattr(Unit, "get", no_query)
    monkeypatch.setattr(Person, "filter", no_query)
    assert ids(await org.ancestors("t-leaf")) == ["t-mid", "t-top"]
    assert ids(await org.supervisors("t-low")) == ["s_top"]
    assert ids(await org.overseers("t-leaf")) == ["s_mid", "s_top"]
    assert ids(await org.holders("t-leaf", "editor")) == ["e1", "e2"]
