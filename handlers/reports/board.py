"""The supervisor's board (issue 17): the same indicators as the quarterly report, live,
for the units the viewer supervises: accounts by freshness, open relays with the time
left, drafts waiting per review level and for how long, open filing follow-ups.

Read-only; every number from the policy profile (R-UPD-1/2/5, R-RLY-1, the reminders'
`stale_before_days`). One query per table for the whole scope, in epoch seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import links
from bot.clock import utcnow
from bot.config import Settings
from bot.datefmt import local_minute
from bot.policy import Policy
from bot.rendering import msg
from bot.reports.common import label
from handlers.registry.closers import deadline_title
from handlers.reminders.updates import update_rule
from handlers.reports import sql
from handlers.reports.scope import Scope, scope_of
from handlers.review.routing import level_label
from models.org import Person
from models.registry import FilingState

BOARD_TARGET = "board"  # what a board link grants; the link names the person it is for
BOARD_PATH = "/board/"
FRESHNESS = ("green", "due", "overdue", "veto")
LIST_LIMIT = 50  # rows per list on the page; the counts cover everything
DAY = 86_400


@dataclass
class UnitFreshness:
    name: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, state: str) -> float:
        return 100 * self.counts[state] / self.total if self.total else 0.0


@dataclass(frozen=True)
class StaleAccount:
    unit: str
    name: str
    platform: str
    state: str
    days: int | None  # since the last update; None: never
    limit: int


@dataclass(frozen=True)
class OpenRelay:
    task: int
    title: str
    unit: str
    due: str
    hours_left: float  # negative: overdue


@dataclass(frozen=True)
class Waiting:
    draft: int
    title: str
    unit: str
    level: str
    assignee: str
    hours: float


@dataclass(frozen=True)
class FollowUp:
    title: str
    unit: str
    due: str
    days_left: int


@dataclass
class Board:
    viewer: str
    scope: Scope
    generated: str
    expires: str
    units: list[UnitFreshness]
    totals: Counter[str]
    stale: list[StaleAccount]
    relays: list[OpenRelay]
    levels: list[tuple[str, int, float]]  # (level, waiting drafts, longest wait in hours)
    waiting: list[Waiting]
    followups: list[FollowUp]
    filings_pending: int
    limits: dict[str, int]


async def may_view(person_id: str) -> Person | None:
    """Only an active supervisor has a board (the link is checked again on every view)."""
    person = await Person.get_or_none(id=person_id, active=True)
    return person if person is not None and person.has_role("supervisor") else None


async def load_board(person: Person, policy: Policy, tz: ZoneInfo, now: datetime,
                     expires_at: datetime) -> Board:
    scope = await scope_of(person.unit_id)
    names = await _unit_names(scope)
    units, totals, stale = await _freshness(scope, names, policy, now)
    levels, waiting = await _waiting(scope, names, now)
    return Board(
        viewer=person.name, scope=scope, generated=local_minute(now, tz),
        expires=local_minute(expires_at, tz), units=units, totals=totals, stale=stale,
        relays=await _relays(scope, names, tz, now), levels=levels, waiting=waiting,
        followups=await _followups(scope, names, tz, now),
        filings_pending=await _filings_pending(scope),
        limits={"text": policy.updates.text_max_gap_days,  # rule R-UPD-1
                "video": policy.updates.video_max_gap_days,  # rule R-UPD-2
                "veto": policy.updates.inspection_veto_days,  # rule R-UPD-5
                "before": policy.reminders.stale_before_days,
                "relay": policy.relay.deadline_hours})  # rule R-RLY-1


def _units_clause(scope: Scope, column: str) -> tuple[str, list[object]]:
    if scope.unit_ids is None:
        return "", []
    clause, params = sql.in_list(column, scope.unit_ids)
    return f" AND {clause}", params


async def _unit_names(scope: Scope) -> dict[str, str]:
    where, params = _units_clause(scope, '"id"')
    return {r["i"]: r["n"] for r in await sql.rows(
        f'SELECT "id" AS i, "name" AS n FROM "unit" WHERE 1 = 1{where}', params)}


def freshness(days: int | None, limit: int, policy: Policy) -> str:
    """green / due (within stale_before_days of the limit) / overdue / veto (R-UPD-5)."""
    if days is None or days >= policy.updates.inspection_veto_days:
        return "veto"
    if days > limit:
        return "overdue"
    return "due" if days >= limit - policy.reminders.stale_before_days else "green"


async def _freshness(scope: Scope, names: dict[str, str], policy: Policy, now: datetime
                     ) -> tuple[list[UnitFreshness], Counter[str], list[StaleAccount]]:
    where, params = _units_clause(scope, '"unit_id"')
    last, created = sql.epoch('"last_update_at"'), sql.epoch('"created_at"')
    rows = await sql.rows(
        f'SELECT "unit_id" AS u, "name" AS n, "platform" AS p, "content" AS c, {last} AS l, '
        f'{created} AS k, "limited_posting" AS m FROM "account" WHERE "status" = ?{where}',
        ["normal", *params])
    per_unit: dict[str, UnitFreshness] = {}
    totals: Counter[str] = Counter()
    stale: list[StaleAccount] = []
    moment = sql.seconds(now)
    for r in rows:
        limit = update_rule(policy, r["c"], r["p"], r["m"]).gap_days  # rule R-UPD-1..3
        since = r["l"] if r["l"] is not None else r["k"]
        days = None if since is None else max(0, (moment - int(since)) // DAY)
        state = freshness(days, limit, policy)
        unit = per_unit.setdefault(r["u"], UnitFreshness(names.get(r["u"], r["u"])))
        unit.counts[state] += 1
        totals[state] += 1
        if state != "green":
            stale.append(StaleAccount(unit.name, r["n"], label(f"platform.{r['p']}"), state,
                                      None if r["l"] is None else days, limit))
    stale.sort(key=lambda a: (-FRESHNESS.index(a.state), -(a.days or 10 ** 6), a.name))
    units = sorted(per_unit.values(), key=lambda u: (-u.share("veto") - u.share("overdue"),
                                                     u.name))
    return units, totals, stale[:LIST_LIMIT]


async def _relays(scope: Scope, names: dict[str, str], tz: ZoneInfo, now: datetime
                  ) -> list[OpenRelay]:
    where, params = _units_clause(scope, 't."unit_id"')
    due = sql.epoch('t."due_at"')
    rows = await sql.rows(
        f'SELECT t."task_id" AS k, t."unit_id" AS u, {due} AS d, k."title" AS ti, '
        f'k."source_url" AS url FROM "relay_target" t JOIN "relay_task" k '
        f'ON k."id" = t."task_id" WHERE t."done_at" IS NULL{where} ORDER BY 3', params)
    moment = sql.seconds(now)
    return [OpenRelay(r["k"], r["ti"] or r["url"], names.get(r["u"], r["u"]),
                      local_minute(datetime.fromtimestamp(int(r["d"]), tz), tz),
                      round((int(r["d"]) - moment) / 3600, 1)) for r in rows[:LIST_LIMIT]]


async def _waiting(scope: Scope, names: dict[str, str], now: datetime
                   ) -> tuple[list[tuple[str, int, float]], list[Waiting]]:
    where, params = _units_clause(scope, 'ac."unit_id"')
    since = sql.epoch('s."created_at"')
    rows = await sql.rows(
        f'SELECT s."draft_id" AS d, s."level" AS l, {since} AS t, d."title" AS ti, '
        f'ac."unit_id" AS u, p."name" AS a FROM "review_step" s '
        f'JOIN "draft" d ON d."id" = s."draft_id" JOIN "account" ac ON ac."id" = d."account_id" '
        f'JOIN "person" p ON p."id" = s."assignee_id" '
        f'WHERE s."decision" IS NULL{where} ORDER BY 3', params)
    moment = sql.seconds(now)
    per_level: dict[int, list[float]] = {}
    waiting = []
    for r in rows:
        hours = round((moment - int(r["t"])) / 3600, 1)
        per_level.setdefault(int(r["l"]), []).append(hours)
        waiting.append(Waiting(r["d"], r["ti"], names.get(r["u"], r["u"]),
                               level_label(int(r["l"])), r["a"], hours))
    levels = [(level_label(lv), len(hours), max(hours))
              for lv, hours in sorted(per_level.items())]
    return levels, waiting[:LIST_LIMIT]


async def _followups(scope: Scope, names: dict[str, str], tz: ZoneInfo, now: datetime
                     ) -> list[FollowUp]:
    where, params = _units_clause(scope, '"unit_id"')
    due = sql.epoch('"due_at"')
    rows = await sql.rows(f'SELECT "title" AS ti, "unit_id" AS u, {due} AS d, "kind" AS k, '
                          f'"title_data" AS td FROM "deadline" '
                          f'WHERE "done_at" IS NULL{where} ORDER BY 3', params)
    moment = sql.seconds(now)
    # titles are rendered here, after the query, by the one helper every reader uses
    return [FollowUp(deadline_title(r["k"], sql.json_value(r["td"]), r["ti"]),
                     names.get(r["u"], r["u"]),
                     local_minute(datetime.fromtimestamp(int(r["d"]), tz), tz),
                     (int(r["d"]) - moment) // DAY) for r in rows[:LIST_LIMIT]]


async def _filings_pending(scope: Scope) -> int:
    where, params = _units_clause(scope, '"unit_id"')
    rows = await sql.rows(f'SELECT COUNT(*) AS n FROM "filing" WHERE "state" IN (?, ?){where}',
                          [FilingState.CHIEF.value, FilingState.SUPERVISOR.value, *params])
    return int(rows[0]["n"])


def state_label(state: str) -> str:
    return msg(f"board.state_{state}")


async def board_link(settings: Settings, person_id: str) -> tuple[str, datetime]:
    """A signed, short-lived link to this person's board (`看板` renews it)."""
    secret = await links.secret_for(settings)
    expires = links.expiry(settings, utcnow())
    token = links.sign(secret, person_id, BOARD_TARGET, expires)
    return links.url(settings, BOARD_PATH, token), expires
