"""The quarterly inspection report (R-INS-1): the national inspection indicators per unit
and per account, from what the bot recorded as it happened.

Every number comes from the policy profile: the update rules (R-UPD-1/2/3), the veto
window (R-UPD-5), relay hours (R-RLY-1, on each task), password age (R-SEC-1), the
inspection period (R-INS-1) that also defines "long silent" for zombies (R-ACC-7).
Each table is read once for the whole scope, in epoch seconds (handlers/reports/sql.py),
so a province of 100,000 accounts takes seconds (bench/bench_reports.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.datefmt import local_minute
from bot.policy import Policy
from bot.precheck import ERROR
from bot.rendering import msg
from bot.reports.common import Head, audit_head
from bot.workdays import add_months
from handlers.reminders.updates import update_rule
from handlers.reports import sql
from handlers.reports.scope import Period, Scope
from handlers.review.routing import final_level
from models.registry import FilingState
from models.review import AUTHOR_LEVEL, FIRST_REVIEW_LEVEL, Decision

BIN = 360  # seconds: review times are kept to 0.1 h, the precision the report prints
BUCKETS = (1, 4, 8, 24, 72)  # review time distribution, upper bounds in hours
TOP_REASONS = 10
REASON_CHARS = 40
ACCOUNT_CHUNK = 20_000  # accounts per publications query (bounded memory)
DAY = 86_400
WINDOW = timedelta(days=31)  # one query's share of the period's review steps


@dataclass
class AccountRow:
    id: int
    unit_id: str
    name: str
    platform: str
    content: str
    status: str
    limited: bool = False  # R-UPD-3: the platform limits posting (its own gap)
    updates: int = 0
    per_week: float = 0.0
    weeks_counted: int = 0
    weeks_below: int = 0
    longest_gap: int = 0
    gap_limit: int = 0
    silent_days: int = 0  # days without an update before the cut-off, at most the veto window
    veto: bool = False  # R-UPD-5
    last_update: str = ""
    password: str = ""  # ok | overdue | unknown | changed_after
    password_overdue_days: int = 0
    admins: int = -1  # -1: not looked up (only silent accounts are)
    zombie: bool = False  # R-ACC-7
    days: bytearray = field(default_factory=bytearray)  # updates per day of the period
    # registry dates in epoch seconds: last_update_at, password_changed_at, created_at
    raw: tuple[int | None, ...] = field(default=(), repr=False)
    latest: int | None = None  # the last update before the cut-off, epoch seconds

    @property
    def active(self) -> bool:
        return self.status == "normal"

    @property
    def gap_over(self) -> bool:
        return self.longest_gap > self.gap_limit

    @property
    def attention(self) -> bool:
        """Worth a line in the report: a rule missed or a proposal to make."""
        return self.active and (self.veto or self.gap_over or self.weeks_below > 0
                                or self.password == "overdue" or self.zombie)


@dataclass
class LevelTimes:
    """How long one review level took: a histogram in 0.1 h bins and the worst case."""

    bins: Counter[int] = field(default_factory=Counter)
    worst: int = 0  # seconds

    @property
    def count(self) -> int:
        return sum(self.bins.values())

    def add(self, bin_: int, count: int, worst: int) -> None:
        self.bins[bin_] += count
        self.worst = max(self.worst, worst)

    def merge(self, other: LevelTimes) -> None:
        self.bins.update(other.bins)
        self.worst = max(self.worst, other.worst)

    @property
    def median_hours(self) -> float | None:
        """The median to the bin (6 minutes): the middle value, or the mean of the two."""
        n = self.count
        if not n:
            return None
        middle = [(n - 1) // 2, n // 2]  # 0-based ranks
        found, seen = [], 0
        for bin_ in sorted(self.bins):
            seen += self.bins[bin_]
            while middle and middle[0] < seen:
                found.append(bin_)
                middle.pop(0)
        return round(sum(found) / 2 * BIN / 3600, 1)

    @property
    def worst_hours(self) -> float | None:
        return round(self.worst / 3600, 1) if self.bins else None

    def buckets(self) -> list[int]:
        counts = [0] * (len(BUCKETS) + 1)
        for bin_, count in self.bins.items():
            hours = bin_ * BIN / 3600
            counts[next((i for i, b in enumerate(BUCKETS) if hours <= b), len(BUCKETS))] += count
        return counts


@dataclass
class UnitRow:
    id: str
    name: str
    accounts: int = 0  # normal ones
    inactive: int = 0  # suspended / closed / cancelled
    updates: int = 0
    gap_over: int = 0
    weeks_below: int = 0
    veto: int = 0
    relay_on_time: int = 0
    relay_late: int = 0
    relay_missed: int = 0
    relay_open: int = 0
    relay_hours: list[float] = field(default_factory=list)
    drafts_reviewed: int = 0
    levels: defaultdict[int, LevelTimes] = field(
        default_factory=lambda: defaultdict(LevelTimes))
    returns: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    precheck_errors: int = 0
    precheck_drafts: int = 0
    password_ok: int = 0
    password_overdue: int = 0
    password_unknown: int = 0
    filings: int = 0
    filings_approved: int = 0
    filings_pending: int = 0
    followups_on_time: int = 0
    followups_late: int = 0
    followups_overdue: int = 0
    followups_open: int = 0
    zombies: int = 0

    @property
    def relays(self) -> int:
        return self.relay_on_time + self.relay_late + self.relay_missed + self.relay_open

    @property
    def relay_median_hours(self) -> float | None:
        if not self.relay_hours:
            return None
        ordered = sorted(self.relay_hours)
        mid = len(ordered) // 2
        value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return round(value, 1)

    @property
    def relay_worst_hours(self) -> float | None:
        return round(max(self.relay_hours), 1) if self.relay_hours else None

    @property
    def active(self) -> bool:
        return bool(self.accounts or self.inactive or self.relays or self.drafts_reviewed
                    or self.filings or self.followups_on_time + self.followups_late
                    + self.followups_overdue + self.followups_open)


@dataclass
class Inspection:
    scope: Scope
    period: Period
    cutoff: datetime  # the period's end, or now while it runs
    cutoff_day: date
    policy: str
    limits: dict[str, Any]
    units: list[UnitRow]
    accounts: list[AccountRow]
    total: UnitRow
    reasons: list[tuple[str, int]]
    head: Head
    generated: str
    weeks: list[date]  # the Mondays of the calendar heatmap's columns
    levels: tuple[int, ...]  # the review levels after the author's (R-REV-1, the profile's)

    @property
    def running(self) -> bool:
        return self.cutoff_day < self.period.last_day

    @property
    def elapsed_days(self) -> int:
        return (self.cutoff_day - self.period.first_day).days + 1


async def load_inspection(scope: Scope, period: Period, policy: Policy, tz: ZoneInfo,
                          now: datetime | None = None) -> Inspection:
    """Compute every indicator of the period (up to now while it runs) for the scope."""
    now = now or utcnow()
    cutoff = min(period.end, max(now, period.start))
    cutoff_day = (cutoff - timedelta(microseconds=1)).astimezone(tz).date() \
        if cutoff > period.start else period.first_day
    query = _Query(scope, period.start, cutoff)
    units = await _units(scope)
    accounts = await _accounts(query)
    calc = _Calc(policy, period, cutoff, cutoff_day, tz)
    await calc.updates(query, accounts)
    calc.passwords(accounts)
    await calc.zombies(accounts)
    for row in accounts.values():
        _add_account(units, row)
    await _reviews(query, units)
    await _relays(query, units)
    await _prechecks(query, units)
    await _filings(query, sql.seconds(period.end), units)
    unit_rows = [u for u in units.values() if u.active]
    total = _total(unit_rows)
    return Inspection(
        scope=scope, period=period, cutoff=cutoff, cutoff_day=cutoff_day, policy=policy.title,
        limits={"text": policy.updates.text_max_gap_days,  # rule R-UPD-1 / R-UPD-3
                "video": policy.updates.video_max_gap_days,  # rule R-UPD-2
                "per_week": policy.updates.min_updates_per_week,  # rule R-UPD-1 / R-UPD-3
                "veto": policy.updates.inspection_veto_days,  # rule R-UPD-5
                "relay": policy.relay.deadline_hours,  # rule R-RLY-1
                "password": policy.security.password_max_age_months,  # rule R-SEC-1
                "period": policy.inspection.every_months},  # rule R-INS-1 / R-ACC-7
        units=sorted(unit_rows, key=lambda u: u.id),
        accounts=sorted(accounts.values(), key=lambda a: (a.unit_id, a.name, a.platform)),
        total=total, reasons=total.reasons.most_common(TOP_REASONS),
        head=await audit_head(), generated=local_minute(now, tz),
        weeks=_mondays(period.first_day, period.last_day),
        levels=tuple(range(FIRST_REVIEW_LEVEL, final_level(policy) + 1)),
    )


def _mondays(first: date, last: date) -> list[date]:
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class _Query:
    """The scope and the period's bounds, as SQL pieces."""

    scope: Scope
    start_at: datetime
    cutoff_at: datetime

    @property
    def start(self) -> int:
        return sql.seconds(self.start_at)

    @property
    def cutoff(self) -> int:
        return sql.seconds(self.cutoff_at)

    def units(self, column: str) -> tuple[str, list[Any]]:
        """`AND column IN (…)` for a unit scope; nothing for the whole organisation."""
        if self.scope.unit_ids is None:
            return "", []
        clause, params = sql.in_list(column, self.scope.unit_ids)
        return f" AND {clause}", params

    def between(self, column: str) -> tuple[str, list[Any]]:
        """`column` in [start, cutoff)."""
        return sql.since(column, self.start_at, self.cutoff_at)

    def windows(self) -> list[tuple[datetime, datetime]]:
        """The period in month-long pieces where a range query uses an index; in one piece
        on SQLite (which compares epoch seconds, and so scans anyway)."""
        if sql.dialect() == "sqlite":
            return [(self.start_at, self.cutoff_at)]
        edges = [self.start_at]
        while edges[-1] + WINDOW < self.cutoff_at:
            edges.append(edges[-1] + WINDOW)
        return list(zip(edges, [*edges[1:], self.cutoff_at], strict=True))


async def _units(scope: Scope) -> dict[str, UnitRow]:
    where, params = ("", []) if scope.unit_ids is None else sql.in_list('"id"', scope.unit_ids)
    found = await sql.rows(f'SELECT "id" AS i, "name" AS n FROM "unit"'
                           f'{" WHERE " + where if where else ""}', params)
    return {r["i"]: UnitRow(r["i"], r["n"]) for r in found}


async def _accounts(q: _Query) -> dict[int, AccountRow]:
    """Accounts on the registry by the cut-off, with their dates for _Calc."""
    last, changed = sql.epoch('"last_update_at"'), sql.epoch('"password_changed_at"')
    created = sql.epoch('"created_at"')
    unit_sql, unit_params = q.units('"unit_id"')
    found = await sql.rows(
        f'SELECT "id" AS i, "unit_id" AS u, "name" AS n, "platform" AS p, "content" AS c, '
        f'"status" AS s, "limited_posting" AS m, {last} AS l, {changed} AS w, {created} AS k '
        f'FROM "account" '
        f'WHERE ("created_at" IS NULL OR {created} <= ?){unit_sql}', [q.cutoff, *unit_params])
    return {r["i"]: AccountRow(r["i"], r["u"], r["n"], r["p"], r["c"], r["s"], bool(r["m"]),
                               raw=(_int(r["l"]), _int(r["w"]), _int(r["k"])))
            for r in found}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class _Calc:
    """The per-account rules, with the profile's numbers."""

    def __init__(self, policy: Policy, period: Period, cutoff: datetime, cutoff_day: date,
                 tz: ZoneInfo) -> None:
        self.policy, self.period, self.tz = policy, period, tz
        self.cutoff, self.cutoff_day = sql.seconds(cutoff), cutoff_day
        self.start = sql.seconds(period.start)
        # how far back an account's last update before the period is looked for: one
        # inspection period (R-INS-1); an older one counts from there (the gap is over
        # every limit either way)
        self.lookback = datetime.combine(
            add_months(period.first_day, -policy.inspection.every_months), time(), tz)
        # rule R-UPD-1 / R-UPD-3: natural weeks (Mon–Sun) wholly inside the period so far,
        # as offsets of their Mondays from the period's first day
        first = period.first_day
        monday = first + timedelta(days=(7 - first.weekday()) % 7)
        self.weeks: list[int] = []
        while monday + timedelta(days=6) <= cutoff_day:
            self.weeks.append((monday - first).days)
            monday += timedelta(days=7)
        # local midnights of the period's days, to place an update on its day
        self.bounds = [sql.seconds(datetime.combine(period.first_day + timedelta(days=i),
                                                    time(), tz))
                       for i in range(period.days + 1)]

    async def updates(self, q: _Query, accounts: dict[int, AccountRow]) -> None:
        """R-UPD-1/2/3 (per week, longest gap) and R-UPD-5 (the veto window)."""
        ids = sorted(accounts)
        for i in range(0, len(ids), ACCOUNT_CHUNK):
            part = ids[i:i + ACCOUNT_CHUNK]
            published, previous = await self._published(q, part[0], part[-1])
            for acc_id in part:
                self._account(accounts[acc_id], published.get(acc_id, []),
                              previous.get(acc_id))

    async def _published(self, q: _Query, low: int, high: int
                         ) -> tuple[dict[int, list[int]], dict[int, int]]:
        """Publication times in the period, and the last one in the `lookback` before it,
        per account (the draft index on state, account and publication time serves both)."""
        at = sql.epoch('"published_at"')
        found: dict[int, list[int]] = {}
        where = 'FROM "draft" WHERE "state" = ? AND "account_id" BETWEEN ? AND ?'
        period, params = q.between('"published_at"')
        for r in await sql.rows(f'SELECT "account_id" AS a, {at} AS t {where}{period} '
                                f'ORDER BY 1, 2', ["published", low, high, *params]):
            found.setdefault(r["a"], []).append(int(r["t"]))
        window, params = sql.since('"published_at"', self.lookback, q.start_at)
        before = await sql.rows(f'SELECT "account_id" AS a, MAX({at}) AS t {where}{window} '
                                f'GROUP BY "account_id"', ["published", low, high, *params])
        return found, {r["a"]: int(r["t"]) for r in before}

    def _account(self, row: AccountRow, times: list[int], previous: int | None) -> None:
        last, _, created = row.raw
        if last is not None and self.start <= last < self.cutoff and (
                not times or last > times[-1] + 60):
            times = [*times, last]  # an update the registry knows of (e.g. a ledger import)
        self._days(row, times)
        prior = [t for t in (previous, last) if t is not None and t < self.start]
        # the gap runs from the last update before the period (within the lookback), else
        # from the period's start (or the account's opening, when later)
        origin = max(prior) if prior else max(created or self.start, self.start)
        row.latest = max([*times[-1:], *prior,
                          *(t for t in (last,) if t is not None and t < self.cutoff)],
                         default=None)
        self._gap(row, origin, times)
        self._veto(row, created)

    def _days(self, row: AccountRow, times: list[int]) -> None:
        days = bytearray(self.period.days)
        for t in times:
            i = bisect_right(self.bounds, t) - 1
            if 0 <= i < len(days) and days[i] < 255:
                days[i] += 1
        row.days, row.updates = days, len(times)
        row.per_week = round(len(times) * 7 / self.elapsed, 1)
        minimum = self.policy.updates.min_updates_per_week  # rule R-UPD-1 / R-UPD-3
        row.weeks_counted = len(self.weeks)
        row.weeks_below = sum(sum(days[i:i + 7]) < minimum for i in self.weeks)

    @property
    def elapsed(self) -> int:
        return max(1, (self.cutoff_day - self.period.first_day).days + 1)

    def _gap(self, row: AccountRow, origin: int, times: list[int]) -> None:
        row.gap_limit = update_rule(self.policy, row.content, row.platform,  # rule R-UPD-1..3
                                    row.limited).gap_days
        marks = [origin, *times, self.cutoff]
        row.longest_gap = max((b - a for a, b in zip(marks, marks[1:], strict=False)),
                              default=0) // DAY

    def _veto(self, row: AccountRow, created: int | None) -> None:
        window = self.policy.updates.inspection_veto_days  # rule R-UPD-5
        since = row.latest or created or self.start
        row.last_update = local_minute(datetime.fromtimestamp(row.latest, self.tz), self.tz) \
            if row.latest else ""
        row.silent_days = min(window, max(0, (self.cutoff - since) // DAY))
        row.veto = row.active and row.silent_days >= window

    def passwords(self, accounts: dict[int, AccountRow]) -> None:
        """R-SEC-1: changed within the profile's months before the cut-off."""
        months = self.policy.security.password_max_age_months
        for row in accounts.values():
            changed = row.raw[1]
            if changed is None:
                row.password = "unknown"
            elif changed >= self.cutoff:
                row.password = "changed_after"
            else:
                due = add_months(datetime.fromtimestamp(changed, self.tz).date(), months)
                row.password = "ok" if due >= self.cutoff_day else "overdue"
                row.password_overdue_days = max(0, (self.cutoff_day - due).days)

    async def zombies(self, accounts: dict[int, AccountRow]) -> None:
        """R-ACC-7: silent for the whole inspection period (R-INS-1) with no admin on the
        registry: proposed for closing. Only silent accounts are looked up."""
        months = self.policy.inspection.every_months
        quiet_since = sql.seconds(datetime.combine(add_months(self.cutoff_day, -months),
                                                   time(), self.tz))
        silent = [r for r in accounts.values() if r.active
                  and (r.latest or r.raw[2] or 0) < quiet_since]
        staffed: set[int] = set()
        ids = [r.id for r in silent]
        for i in range(0, len(ids), 1000):
            where, params = sql.in_list('aa."account_id"', ids[i:i + 1000])
            staffed.update(r["a"] for r in await sql.rows(
                f'SELECT DISTINCT aa."account_id" AS a FROM "account_admin" aa '
                f'JOIN "person" p ON p."id" = aa."person_id" WHERE p."active" = ? AND {where}',
                [True, *params]))
        for row in silent:
            row.admins = 1 if row.id in staffed else 0
            row.zombie = row.id not in staffed


def _add_account(units: dict[str, UnitRow], row: AccountRow) -> None:
    unit = units.get(row.unit_id)
    if unit is None:
        return
    if not row.active:
        unit.inactive += 1
        return
    unit.accounts += 1
    unit.updates += row.updates
    unit.gap_over += row.gap_over
    unit.weeks_below += row.weeks_below > 0
    unit.veto += row.veto
    unit.password_ok += row.password in ("ok", "changed_after")
    unit.password_overdue += row.password == "overdue"
    unit.password_unknown += row.password == "unknown"
    unit.zombies += row.zombie


DECIDED, ASSIGNED = 's."decided_at"', 's."created_at"'
# the steps reviewers decided (not the author's own 一审), with their draft's unit
_STEPS = ('FROM "review_step" s JOIN "draft" d ON d."id" = s."draft_id" '
          'JOIN "account" ac ON ac."id" = d."account_id" '
          f'WHERE s."level" > {AUTHOR_LEVEL} AND s."decided_at" IS NOT NULL')


async def _reviews(q: _Query, units: dict[str, UnitRow]) -> None:
    """Review time per level, drafts reviewed, returns and their reasons (R-REV-1).

    One pass over the steps decided in the period, a week at a time where the decided_at
    index serves the range (bounded memory); each row is a few integers. A draft counts
    as reviewed in the period its first review decision falls in (no DISTINCT needed)."""
    scope, scope_params = q.units('ac."unit_id"')
    took = f'{sql.epoch(DECIDED)} - {sql.epoch(ASSIGNED)}'
    reject = Decision.REJECT.value
    for start, end in q.windows():
        between, params = sql.since(DECIDED, start, end)
        for r in await sql.rows(
                f'SELECT ac."unit_id" AS u, s."level" AS l, s."version" AS v, {took} AS t, '
                f'CASE WHEN s."decision" = ? THEN s."comment" END AS c '
                f'{_STEPS}{between}{scope}', [reject, *params, *scope_params]):
            unit = units.get(r["u"])
            if unit is None:
                continue
            level, spent = int(r["l"]), int(r["t"])
            unit.levels[level].add(spent // BIN, 1, spent)
            unit.drafts_reviewed += level == FIRST_REVIEW_LEVEL and r["v"] == 1
            if r["c"] is not None:
                unit.returns += 1
                unit.reasons[_reason(r["c"])] += 1


def _reason(comment: str) -> str:
    text = " ".join(comment.split())
    return text[:REASON_CHARS] + ("…" if len(text) > REASON_CHARS else "") or "（未写理由）"


async def _relays(q: _Query, units: dict[str, UnitRow]) -> None:
    """R-RLY-1: each unit's share of the relay tasks received in the period."""
    due, done, got = (sql.epoch(c) for c in ('t."due_at"', 't."done_at"', 'k."received_at"'))
    between, params = q.between('k."received_at"')
    scope, scope_params = q.units('t."unit_id"')
    for r in await sql.rows(
            f'SELECT t."unit_id" AS u, {due} AS due, {done} AS done, {got} AS got '
            f'FROM "relay_target" t JOIN "relay_task" k ON k."id" = t."task_id" '
            f'WHERE 1 = 1{between}{scope}', params + scope_params):
        unit = units.get(r["u"])
        if unit is None:
            continue
        due_at, done_at = int(r["due"]), _int(r["done"])
        if done_at is not None and done_at <= q.cutoff:
            unit.relay_hours.append((done_at - int(r["got"])) / 3600)
            if done_at <= due_at:
                unit.relay_on_time += 1
            else:
                unit.relay_late += 1
        elif due_at < q.cutoff:
            unit.relay_missed += 1
        else:
            unit.relay_open += 1


async def _prechecks(q: _Query, units: dict[str, UnitRow]) -> None:
    """Errors the pre-review found before publication (not marked false positives)."""
    between, params = q.between('f."created_at"')
    scope, scope_params = q.units('ac."unit_id"')
    for r in await sql.rows(
            f'SELECT ac."unit_id" AS u, COUNT(*) AS n, COUNT(DISTINCT f."draft_id") AS d '
            f'FROM "precheck_finding" f JOIN "draft" d ON d."id" = f."draft_id" '
            f'JOIN "account" ac ON ac."id" = d."account_id" '
            f'WHERE f."severity" = ? AND f."false_positive_at" IS NULL{between}{scope} '
            f'GROUP BY ac."unit_id"', [ERROR, *params, *scope_params]):
        unit = units.get(r["u"])
        if unit is not None:
            unit.precheck_errors, unit.precheck_drafts = int(r["n"]), int(r["d"])


async def _filings(q: _Query, end: int, units: dict[str, UnitRow]) -> None:
    """Filings made in the period, and the follow-ups (Deadline rows) due in it."""
    between, params = q.between('"created_at"')
    scope, scope_params = q.units('"unit_id"')
    for r in await sql.rows(f'SELECT "unit_id" AS u, "state" AS s, COUNT(*) AS n FROM "filing" '
                            f'WHERE 1 = 1{between}{scope} GROUP BY "unit_id", "state"',
                            params + scope_params):
        unit = units.get(r["u"])
        if unit is None:
            continue
        n = int(r["n"])
        unit.filings += n
        unit.filings_approved += n if r["s"] == FilingState.APPROVED else 0
        unit.filings_pending += n if r["s"] in (FilingState.CHIEF, FilingState.SUPERVISOR) else 0
    due, done = sql.epoch('"due_at"'), sql.epoch('"done_at"')
    for r in await sql.rows(f'SELECT "unit_id" AS u, {due} AS due, {done} AS done '
                            f'FROM "deadline" WHERE {due} >= ? AND {due} < ?{scope}',
                            [q.start, end, *scope_params]):
        unit = units.get(r["u"])
        if unit is None:
            continue
        due_at, done_at = int(r["due"]), _int(r["done"])
        if done_at is not None and done_at <= q.cutoff:
            if done_at <= due_at:
                unit.followups_on_time += 1
            else:
                unit.followups_late += 1
        elif due_at < q.cutoff:
            unit.followups_overdue += 1
        else:
            unit.followups_open += 1


_SUMMED = ("accounts", "inactive", "updates", "gap_over", "weeks_below", "veto",
           "relay_on_time", "relay_late", "relay_missed", "relay_open", "drafts_reviewed",
           "returns", "precheck_errors", "precheck_drafts", "password_ok", "password_overdue",
           "password_unknown", "filings", "filings_approved", "filings_pending",
           "followups_on_time", "followups_late", "followups_overdue", "followups_open",
           "zombies")


def _total(rows: Iterable[UnitRow]) -> UnitRow:
    total = UnitRow("", msg("inspection.total"))
    for row in rows:
        for name in _SUMMED:
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.relay_hours += row.relay_hours
        total.reasons.update(row.reasons)
        for level, times in row.levels.items():
            total.levels[level].merge(times)
    return total
