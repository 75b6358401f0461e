"""Hot statements sent as SQL that Tortoise built once (issue 19).

Building a query costs Tortoise about 0.5 ms of CPU (filters resolved, the pypika tree
copied and rendered), two to three times what sending it costs. Every event runs the same
handful of statements with new values, so for those a `Fixed` asks Tortoise for the SQL once
per dialect and shape and afterwards sends that SQL with the new values, then reads the rows
as Tortoise would.

A `Fixed` is given two functions of the same arguments: `build`, the Tortoise query itself,
and `params`, its parameters in the order of the SQL. The first time a shape is seen, the
query is built and its parameters compared with `params`, values and types: a mismatch (a
Tortoise upgrade that orders them otherwise, a value it converts) raises at once instead of
sending a value to the wrong column. Lists (IN) and None (IS NULL) change the SQL, so their lengths and
None-ness are part of the shape. A "*" Tortoise writes into the SQL as a literal: a call
with one that finds no plan runs the Tortoise query itself (no plan, no rewrite).

Taken: a model query (select_related too, rows read by Tortoise's own executor; no
prefetch_related, which runs queries of its own), values(), values_list() and update().
`rewrite(sql, dialect)`, if given, changes the SQL once as it is planned (e.g. an index
hint Tortoise cannot write).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.exceptions import DoesNotExist, MultipleObjectsReturned
from tortoise.queryset import QuerySet, UpdateQuery, ValuesListQuery, ValuesQuery

T = TypeVar("T")


class FixedStatementError(RuntimeError):
    """The parameters Tortoise built differ from the ones the statement was given."""


@dataclass(frozen=True)
class _Plan:
    kind: str  # "models", "dicts", "tuples", "update"
    sql: str
    single: bool
    must_exist: bool
    converters: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
    custom: tuple[str, ...] = ()
    flat: bool = False
    related: tuple[Any, ...] = ()  # the query's select_related_idx


class Fixed(Generic[T]):
    """`await stmt(*args)` returns what `await build(*args)` returns."""

    def __init__(self, build: Callable[..., Any], params: Callable[..., Sequence[Any]], *,
                 rewrite: Callable[[str, str], str] | None = None):
        self._build = build
        self._params = params
        self._rewrite = rewrite
        self._model: Any = None
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    async def __call__(self, *args: Any) -> T:
        query = self._build(*args) if self._model is None else None
        if query is not None:
            self._model = query.model
        db = self._model._meta.db
        # the client's module as well: two drivers of one dialect write their placeholders
        # apart (asyncpg $1, psycopg %s)
        key = (db.capabilities.dialect, type(db).__module__, *map(_shape, args))
        plan = self._plans.get(key)
        if plan is None:
            if any(map(_written_out, args)):
                # Tortoise writes such a value into the SQL, not as a parameter: no plan
                # from it (the next call plans), this call is the Tortoise query itself
                return await (query or self._build(*args))
            plan = self._plans[key] = self._plan(query or self._build(*args), db, args)
        return await _run(plan, self._model, db, list(self._params(*args)))

    def _plan(self, query: Any, db: Any, args: tuple[Any, ...]) -> _Plan:
        query._db = db
        query._make_query()
        sql, built = query.query.get_parameterized_sql()
        expected = list(self._params(*args))
        if _typed(built) != _typed(expected):
            raise FixedStatementError(f"{sql}: Tortoise built {built!r}, given {expected!r}")
        if self._rewrite is not None:
            sql = self._rewrite(sql, db.capabilities.dialect)
        return _plan_of(query, sql)


def _typed(values: Sequence[Any]) -> list[tuple[type, Any]]:
    # the types too: a value Tortoise converts (an enum to its text, say) must be given
    # converted, or later calls would send the unconverted one
    return [(type(v), v) for v in values]


def _shape(arg: Any) -> Any:
    if arg is None:
        return None
    if isinstance(arg, (list, tuple, set, frozenset)):
        return len(arg)
    return ""


def _written_out(arg: Any) -> bool:
    """A value Tortoise puts into the SQL as a literal instead of a parameter (pypika's
    Parameterizer leaves "*" out), so that SQL holds this one value."""
    if isinstance(arg, str):
        return arg == "*"
    if isinstance(arg, (list, tuple, set, frozenset)):
        return any(map(_written_out, arg))
    return False


def _plan_of(query: Any, sql: str) -> _Plan:
    if isinstance(query, UpdateQuery):
        return _Plan("update", sql, False, False)
    single, must_exist = query._single, query._raise_does_not_exist
    if isinstance(query, ValuesListQuery):
        columns = tuple((key, query.resolve_to_python_value(query.model, name))
                        for key, name in query.fields.items())
        return _Plan("tuples", sql, single, must_exist, columns, flat=query._flat)
    if isinstance(query, ValuesQuery):
        columns = tuple((alias, query.resolve_to_python_value(query.model, name))
                        for alias, name in query._fields_for_select.items())
        kept = tuple((a, f) for a, f in columns if not isinstance(f, types.LambdaType))
        return _Plan("dicts", sql, single, must_exist, kept)
    if isinstance(query, QuerySet):
        if query._prefetch_map or query._prefetch_queries:
            raise TypeError("Fixed takes no prefetch_related query")
        return _Plan("models", sql, single, must_exist, custom=tuple(query._annotations),
                     related=tuple(query._select_related_idx))
    raise TypeError(f"Fixed takes no {type(query).__name__}")


async def _run(plan: _Plan, model: Any, db: Any, params: list[Any]) -> Any:
    if plan.kind == "update":
        return (await db.execute_query(plan.sql, params))[0]
    if plan.kind == "dicts":
        found: list[Any] = await db.execute_query_dict(plan.sql, params)
        for row in found:
            for column, convert in plan.converters:
                row[column] = convert(row[column])
    elif plan.kind == "tuples":
        found = _tuples(plan, (await db.execute_query(plan.sql, params))[1])
    else:
        found = await db.executor_class(model=model, db=db, select_related_idx=list(
            plan.related)).execute_select(plan.sql, params, custom_fields=list(plan.custom))
    return _single(plan, model, found) if plan.single else found


def _tuples(plan: _Plan, rows: Sequence[Any]) -> list[Any]:
    if plan.flat:
        (column, convert), = plan.converters
        return [convert(row[column]) for row in rows]
    return [tuple(convert(row[column]) for column, convert in plan.converters)
            for row in rows]


def _single(plan: _Plan, model: Any, found: list[Any]) -> Any:
    if len(found) == 1:
        return found[0]
    if not found:
        if plan.must_exist:
            raise DoesNotExist(model)
        return None
    raise MultipleObjectsReturned(model)
