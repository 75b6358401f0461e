"""Fixed statements (bot/fixed.py): the SQL Tortoise built once per dialect and shape, sent
again with new values, returns what the Tortoise query itself returns, on every backend.

Each statement is called at least twice with different values, so that the later calls
send the SQL planned by the first one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from tortoise.exceptions import DoesNotExist, MultipleObjectsReturned
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bot import demo
from bot.db import close_db
from bot.fixed import Fixed, FixedStatementError
from models.org import Account, Person, Unit
from tests import databases

WLW = ["chenwei", "lisi", "liufang", "wangwu", "zhangming"]  # the demo's qj-wlw, by id


def typed(value: Any, *custom: str) -> Any:
    """The value with each leaf's type, a model as its fields and the named annotations:
    so that True and 1, or a date and its text, are not equal."""
    if isinstance(value, Model):
        names = (*value._meta.fields_db_projection, *custom)
        return type(value), {name: typed(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value), [typed(item, *custom) for item in value]
    return type(value), value


def counted(build: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Callable[..., Any]:
    """`build` that notes the arguments of every call in `calls`."""
    def counting(*args: Any) -> Any:
        calls.append(args)
        return build(*args)
    return counting


async def names_by_id() -> dict[str, str]:
    return dict(await Person.all().values_list("id", "name"))


def people_of(unit: str) -> Any:
    return Person.filter(unit_id=unit).order_by("id")


def renamed(unit: str, name: str) -> Any:
    return Person.filter(unit_id=unit).update(name=name)


async def test_a_model_query_gives_the_orm_rows_and_annotation(db: None) -> None:
    def build(unit: str) -> Any:
        return people_of(unit).annotate(admin_count=Count("admin_of"))

    stmt: Fixed[list[Person]] = Fixed(build, lambda unit: [unit])
    for unit in ("qj-gaj", "qj-wlw"):
        assert typed(await stmt(unit), "admin_count") == \
            typed(await build(unit), "admin_count")
    # the annotation is read per row, not a constant: sunli administers four accounts
    assert {p.id: p.admin_count for p in await stmt("qj-gaj")}["sunli"] == 4


async def test_get_or_none_gives_the_row_or_none(db: None) -> None:
    def build(person: str) -> Any:
        return Person.get_or_none(id=person, active=True)

    stmt: Fixed[Person | None] = Fixed(build, lambda person: [person, True, 2])
    assert typed(await stmt("lisi")) == typed(await build("lisi"))
    assert (await stmt("wangwu")).name == "王五"  # type: ignore[union-attr]
    assert await stmt("nobody") is None


async def test_get_raises_does_not_exist_when_missing(db: None) -> None:
    def build(person: str) -> Any:
        return Person.get(id=person)

    stmt: Fixed[Person] = Fixed(build, lambda person: [person, 2])
    assert typed(await stmt("lisi")) == typed(await build("lisi"))
    with pytest.raises(DoesNotExist):
        await stmt("nobody")


async def test_one_row_asked_and_two_found_raises_multiple(db: None) -> None:
    stmt: Fixed[Person] = Fixed(lambda unit: Person.get(unit_id=unit), lambda unit: [unit, 2])
    assert (await stmt("qj-gov")).id == "zhaoqiang"  # the unit's only person
    with pytest.raises(MultipleObjectsReturned):
        await stmt("qj-gaj")  # four people


async def test_values_gives_the_orm_dicts_with_fields_converted(db: None) -> None:
    def build(unit: str) -> Any:
        return Account.filter(unit_id=unit).order_by("id").values(
            "id", "created_at", "limited_posting", unit_name="unit__name")

    stmt: Fixed[list[dict[str, Any]]] = Fixed(build, lambda unit: [unit])
    for unit in ("qj-gaj", "qj-wlw"):
        assert typed(await stmt(unit)) == typed(await build(unit))
    # SQLite and MariaDB hand back text and 0 for these two: they must be converted
    first = (await stmt("qj-wlw"))[0]
    assert isinstance(first["created_at"], datetime) and first["limited_posting"] is False
    assert first["unit_name"] == "黔江区文化和旅游发展委员会"


async def test_values_list_flat_gives_the_orm_values(db: None) -> None:
    def build(unit: str) -> Any:
        return people_of(unit).values_list("id", flat=True)

    stmt: Fixed[list[str]] = Fixed(build, lambda unit: [unit])
    assert await stmt("qj-gaj") == await build("qj-gaj")
    assert await stmt("qj-wlw") == WLW


async def test_values_list_gives_the_orm_tuples_with_fields_converted(db: None) -> None:
    def build(unit: str) -> Any:
        return people_of(unit).values_list("id", "active", "vetted_on", "roles")

    stmt: Fixed[list[tuple[Any, ...]]] = Fixed(build, lambda unit: [unit])
    assert typed(await stmt("qj-gaj")) == typed(await build("qj-gaj"))
    first = (await stmt("qj-wlw"))[0]
    assert typed(first) == typed(("chenwei", True, date(2025, 1, 6), ["chief"]))


async def test_update_returns_the_row_count_and_changes_the_rows(db: None) -> None:
    stmt: Fixed[int] = Fixed(renamed, lambda unit, name: [name, unit])
    before = await names_by_id()
    assert await stmt("qj-gaj", "A") == 4
    assert await stmt("qj-wlw", "B") == len(WLW)
    after = await names_by_id()
    assert {after[p] for p in WLW} == {"B"}
    assert sorted(p for p, name in after.items() if name == "A") == \
        ["sunli", "wuhao", "zhengyu", "zhoujun"]
    assert after["zhaoqiang"] == before["zhaoqiang"]  # another unit's person is left alone


async def test_in_lists_of_each_length_get_their_own_sql(db: None) -> None:
    def build(ids: list[str]) -> Any:
        return Person.filter(id__in=ids).order_by("id")

    stmt: Fixed[list[Person]] = Fixed(build, lambda ids: [*ids])
    for ids in (["lisi"], ["lisi", "sunli"], [], ["wuhao", "nobody", "zhaoqiang"], ["sunli"]):
        found = await stmt(ids)
        assert typed(found) == typed(await build(ids))
        assert [p.id for p in found] == sorted(set(ids) - {"nobody"})


async def test_none_is_planned_apart_from_a_value(db: None) -> None:
    # None makes the filter IS NULL, a value makes it "= ?": two statements
    def build(key: str | None) -> Any:
        return Unit.filter(wecom_webhook_key=key).order_by("id")

    await Unit.filter(id="qj-jw").update(wecom_webhook_key="k1")
    stmt: Fixed[list[Unit]] = Fixed(build, lambda key: [] if key is None else [key])
    for key in ("k1", None, "k2", None):
        assert typed(await stmt(key)) == typed(await build(key))
    assert [u.id for u in await stmt("k1")] == ["qj-jw"]
    assert len(await stmt(None)) == await Unit.all().count() - 1


async def test_a_star_written_into_the_sql_is_not_planned(db: None) -> None:
    # Tortoise writes "*" as a literal, not a parameter: a plan made from it would hold
    # that one value (and its parameters differ from params'); the call is Tortoise's own
    calls: list[tuple[Any, ...]] = []
    stmt: Fixed[int] = Fixed(counted(renamed, calls), lambda unit, name: [name, unit])
    assert await stmt("qj-gaj", "*") == 4
    assert await stmt("qj-wlw", "B") == len(WLW)  # planned from this one
    assert await stmt("qj-wlw", "*") == len(WLW)  # the plan sends "*" as a parameter
    names = await names_by_id()
    assert {names[p] for p in WLW} == {"*"} and names["sunli"] == "*"
    assert len(calls) == 2
    ids: Fixed[list[Person]] = Fixed(lambda ids: Person.filter(id__in=ids), lambda ids: [*ids])
    assert [p.id for p in await ids(["*", "lisi"])] == ["lisi"]  # in an IN list too


async def test_swapped_params_raise_and_change_nothing(db: None) -> None:
    stmt: Fixed[int] = Fixed(renamed, lambda unit, name: [unit, name])
    before = await names_by_id()
    # sent either way round, this would rename a unit's people: nobody may be renamed
    for _ in range(2):  # and a failed check is not kept as a plan
        with pytest.raises(FixedStatementError):
            await stmt("qj-gaj", "qj-wlw")
    assert await names_by_id() == before


async def test_a_missing_param_raises(db: None) -> None:
    # get_or_none asks for two rows (LIMIT 2): that is a parameter too
    stmt: Fixed[Person | None] = Fixed(lambda person: Person.get_or_none(id=person),
                                       lambda person: [person])
    with pytest.raises(FixedStatementError):
        await stmt("lisi")


async def test_a_unit_with_the_units_above_it_comes_as_the_orm_reads_it(db: None) -> None:
    # select_related: the row holds the parent chain, read by Tortoise's own executor
    def build(unit: str) -> Any:
        return Unit.filter(id=unit).select_related("parent__parent").get()

    def chain(unit: Unit) -> list[Any]:
        found = [typed(unit)]
        for _ in range(2):
            if unit.parent_id is None:
                break
            unit = unit.parent  # read with it: no query
            found.append(typed(unit))
        return found

    stmt: Fixed[Unit] = Fixed(build, lambda unit: [unit, 2])
    for unit in ("qj-wlw", "qj-gov", "qj-wlw"):
        assert chain(await stmt(unit)) == chain(await build(unit))
    assert len(chain(await stmt("qj-wlw"))) > 1


async def test_a_prefetch_is_refused(db: None) -> None:
    # prefetch_related runs queries of its own after the rows: not one statement
    stmt: Fixed[list[Person]] = Fixed(
        lambda person: Person.filter(id=person).prefetch_related("unit"),
        lambda person: [person])
    with pytest.raises(TypeError):
        await stmt("lisi")


async def test_the_query_is_built_once_per_shape(db: None) -> None:
    calls: list[tuple[Any, ...]] = []
    stmt: Fixed[list[Person]] = Fixed(
        counted(lambda ids: Person.filter(id__in=ids), calls), lambda ids: [*ids])
    for ids in (["lisi"], ["sunli"], ["lisi", "sunli"], ["wuhao"], ["wuhao", "zhaoqiang"]):
        assert sorted(p.id for p in await stmt(ids)) == sorted(ids)
    # the first call of each length built it (the very first also to learn the model)
    assert calls == [(["lisi"],), (["lisi", "sunli"],)]


async def test_each_dialect_gets_its_own_sql(db: None, backend: str) -> None:
    calls: list[tuple[Any, ...]] = []
    stmt: Fixed[Person | None] = Fixed(
        counted(lambda person: Person.get_or_none(id=person), calls),
        lambda person: [person, 2])
    assert (await stmt("lisi")).name == "李四"  # type: ignore[union-attr]
    # the same statement on SQLite: placeholders and quotes may differ from the first
    await close_db()
    await databases.open_clean("sqlite")
    await demo.seed_if_empty()
    assert (await stmt("wangwu")).name == "王五"  # type: ignore[union-attr]
    assert len(calls) == (1 if backend == "sqlite" else 2)


async def test_an_update_in_a_transaction_rolls_back_with_it(db: None) -> None:
    # the statement must go through the transaction's connection, not around it
    class Rollback(Exception):
        pass

    stmt: Fixed[int] = Fixed(renamed, lambda unit, name: [name, unit])
    before = await names_by_id()
    # on SQLite a statement sent around the transaction would wait for its lock forever
    with pytest.raises(Rollback):
        async with asyncio.timeout(10), in_transaction():
            assert await stmt("qj-gaj", "A") == 4
            assert (await Person.get(id="sunli")).name == "A"
            raise Rollback
    assert await names_by_id() == before
