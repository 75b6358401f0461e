"""Policy profiles: every number from the regulations, with its rule ID (RULES.md).

A profile is a TOML file; the built-in ones live in bot/policies/. A profile may
`extends` another and override any key. GOVMEDIA_POLICY names a built-in profile or
a path to a profile file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.rendering import msg
from models.org import PLATFORMS, ROLES

POLICY_DIR = Path(__file__).resolve().parent / "policies"
BUILTIN = ("default", "ankang", "jingyuan", "luan", "qianjiang", "luju")


@dataclass(frozen=True)
class ReviewPolicy:
    levels: tuple[str, ...]  # R-REV-1: the role of each level after the author's own
    final_role_important: str  # R-REV-2: important items (重要)
    final_role_major: str  # R-REV-2, R-REV-4, R-REV-7: major/sensitive items (重大)
    escalation: tuple[str, ...]  # R-REV-3
    repost_allowlist: tuple[str, ...]  # R-REV-4: party/government and central media hosts
    repost_allowlist_local: tuple[str, ...]  # R-REV-4: the seed's provincial and city media
    checklist: tuple[str, ...]  # R-REV-6


@dataclass(frozen=True)
class UpdatePolicy:
    text_max_gap_days: int  # R-UPD-1
    video_max_gap_days: int  # R-UPD-2
    min_updates_per_week: int  # R-UPD-1 / R-UPD-3, counted per natural week by the report
    inspection_veto_days: int  # R-UPD-5
    count_per_week: bool  # R-UPD-3: remind by the count per natural week (003 Art.12)
    limited_max_gap_days: int  # R-UPD-3: the gap for accounts whose platform limits posting
    # (0: such accounts follow the text/video limits like any other)
    limited_platforms: tuple[str, ...]  # R-UPD-3: platforms that limit posting themselves


@dataclass(frozen=True)
class RelayPolicy:
    deadline_hours: int  # R-RLY-1
    notify_roles: tuple[str, ...]  # R-RLY-1: a task goes to the first of these a unit has
    # R-REV-1 / R-RLY-2: may a unit close a task with `已转载` (no draft, no review) when the
    # source is on the allow-list and the post is relayed verbatim? No seed allows it
    verbatim_without_review: bool


@dataclass(frozen=True)
class SecurityPolicy:
    password_max_age_months: int  # R-SEC-1
    password_min_classes: int  # R-SEC-2: of digits, letters, symbols, at least this many


@dataclass(frozen=True)
class FilingPolicy:
    # R-ACC-1: the stages above the unit after its chief, in order; each a table with
    # title (the seed's name for it), role (default supervisor) and either up = N (the N-th
    # unit above holding that role) or unit = "<org unit id>". The registry changes after
    # the last one.
    approval_stages: tuple[dict[str, Any], ...]
    announce_within_workdays: int  # R-ACC-2: the notice goes up within this many workdays
    announce_anchor: str  # R-ACC-2: counted from "approval" or the "platform" step
    announce_kinds: tuple[str, ...]  # R-ACC-2: the filing kinds that are announced
    announce_places: tuple[str, ...]  # R-ACC-2: where the notice is published (one URL each)
    announcement_min_days: int  # R-ACC-2: how long it stays up (tracked, never chased)
    announcement_unit: str  # R-ACC-2: "days" or "workdays"
    complete_within_months: int  # R-ACC-3
    report_change_workdays: int  # R-ACC-4
    emergency_report_roles: tuple[str, ...]  # R-ACC-9: told in the unit, then every supervisor


@dataclass(frozen=True)
class InspectionPolicy:
    every_months: int  # R-INS-1: the report period; an account silent for all of it and
    # without staff is proposed for closing (R-ACC-7)


REVIEW_FORMS = ("000", "002")


@dataclass(frozen=True)
class RecordsPolicy:
    review_form: str  # R-REV-5: the seed appendix the printed review record follows


@dataclass(frozen=True)
class ReminderPolicy:
    """When the reminder engine speaks (issue 6); limits themselves live in their sections."""

    work_start: str  # "08:30": non-urgent reminders wait for working hours on workdays
    work_end: str
    stale_before_days: int  # R-UPD-1/2: warn this many days before the limit
    stale_overdue_days: int  # R-UPD-1/2: the unit's leaders too, this long after the limit
    relay_before_hours: int  # R-RLY-1: warn before the deadline (urgent: any hour)
    relay_escalate_hours: int  # R-RLY-1: the supervisor too, this long after the deadline
    password_before_days: int  # R-SEC-1: reminders from this many days before
    password_overdue_days: int  # R-SEC-1: the unit's leaders too, this long after
    review_late_work_hours: float  # a review step waiting longer → its assignee
    review_escalate_work_hours: float  # and this much longer → the next level up
    deadline_before_days: int  # R-ACC-2..4, R-SEC-3, R-FIX-1 deadline rows
    deadline_overdue_days: int
    deadline_escalate_days: int
    daily_digest_at: str  # unit reviewers, every workday
    weekly_digest_weekday: int  # ISO weekday; the first workday from it
    weekly_digest_at: str  # supervisors, once a week
    weekly_check_weekday: int  # R-UPD-3: ISO weekday from which a short week is chased
    # who hears (roles; "supervisor" is held for a unit by the units above it)
    doer_roles: tuple[str, ...]  # act for an account that has no admins
    leader_roles: tuple[str, ...]  # the unit's leaders, told once a limit is overdue
    escalation_roles: tuple[str, ...]  # told at the last rung, and when nobody else can be
    daily_digest_roles: tuple[str, ...]
    weekly_digest_roles: tuple[str, ...]


@dataclass(frozen=True)
class RectificationPolicy:
    """R-FIX-1: problems found in inspection are fixed within a few days."""

    min_days: int
    max_days: int
    default_days: int  # when the opener names no number


@dataclass(frozen=True)
class PublicMessagePolicy:
    ack_workdays: int  # R-MSG-1: the acknowledgement (受理) is due within this many workdays
    answer_workdays: int  # R-MSG-1: the answer (办理结果)


@dataclass(frozen=True)
class InterpretationPolicy:
    within_workdays: int  # R-INT-1: from the document's issue date


@dataclass(frozen=True)
class DutyPolicy:
    remind_before_days: int  # R-DUT-1: before a public holiday, units without a roster hear


@dataclass(frozen=True)
class CounterfeitPolicy:
    verify_within_workdays: int  # R-ACC-14: 立即排查核实
    report_roles: tuple[str, ...]  # R-ACC-14: told in the unit, then every supervisor above
    chase_every_days: int  # R-ACC-14: after verification, until it is closed


@dataclass(frozen=True)
class WebsitePolicy:
    """R-UPD-4: how long each kind of website column may go without an update."""

    home_days: int
    news_days: int
    notice_months: int
    fixed_months: int
    offline_max_days: int  # R-WEB-1: a temporary take-down (暂停) lasts at most this long
    offline_per_year: int  # R-WEB-1: and happens at most this often in a calendar year


@dataclass(frozen=True)
class AccountsPolicy:
    """What the registry must carry for some kinds of account."""

    wechat_main_menus: tuple[str, ...]  # R-ACC-11: the main menus a 公众号 must have
    app_support: tuple[str, ...]  # R-ACC-12: the ledger columns an app must have true
    opening_materials: tuple[str, ...]  # R-ACC-10: what an 开设 filing carries


WITHDRAW_AFTER_DECISION = ("agreement", "never")


@dataclass(frozen=True)
class MovesPolicy:
    """The everyday approval moves (issue 20): 撤回, 催办 (R-REV-1, R-REV-3)."""

    withdraw_after_decision: str  # once a level above the author decided: agreement | never
    nudge_every_hours: float  # 催办: at most once per step in this many hours


SECTIONS: dict[str, type] = {
    "review": ReviewPolicy,
    "updates": UpdatePolicy,
    "relay": RelayPolicy,
    "security": SecurityPolicy,
    "filings": FilingPolicy,
    "inspection": InspectionPolicy,
    "records": RecordsPolicy,
    "reminders": ReminderPolicy,
    "rectification": RectificationPolicy,
    "public_messages": PublicMessagePolicy,
    "interpretation": InterpretationPolicy,
    "duty": DutyPolicy,
    "counterfeit": CounterfeitPolicy,
    "website": WebsitePolicy,
    "accounts": AccountsPolicy,
    "moves": MovesPolicy,
}


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    review: ReviewPolicy
    updates: UpdatePolicy
    relay: RelayPolicy
    security: SecurityPolicy
    filings: FilingPolicy
    inspection: InspectionPolicy
    records: RecordsPolicy
    reminders: ReminderPolicy
    rectification: RectificationPolicy
    public_messages: PublicMessagePolicy
    interpretation: InterpretationPolicy
    duty: DutyPolicy
    counterfeit: CounterfeitPolicy
    website: WebsitePolicy
    accounts: AccountsPolicy
    moves: MovesPolicy

    def is_allowed_source(self, url: str) -> bool:
        """R-REV-4: a repost source is official when its host is on the allow-list."""
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        hosts = (*self.review.repost_allowlist, *self.review.repost_allowlist_local)
        return any(host == d or host.endswith("." + d) for d in hosts)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(ref: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = POLICY_DIR / f"{ref}.toml" if ref in BUILTIN else Path(ref)
    if ref in seen:
        raise ConfigError(msg("policy.cycle", name=ref))
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(msg("policy.unknown", name=ref, builtin=BUILTIN)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(msg("policy.syntax", name=ref, error=str(exc))) from None
    parent = data.pop("extends", None)
    return _merge(_read(parent, (*seen, ref)), data) if parent else data


def _section(name: str, cls: type, data: dict[str, Any], ref: str) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    missing = sorted(names - set(data))
    if unknown or missing:
        raise ConfigError(msg("policy.bad_section", name=ref, section=name,
                              keys=list(unknown or missing), missing=bool(missing)))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@cache
def load_policy(ref: str) -> Policy:
    """Load a built-in profile by name or a profile file by path; ConfigError if invalid."""
    data = _read(ref)
    unknown = sorted(set(data) - set(SECTIONS) - {"name", "title"})
    if unknown:
        raise ConfigError(msg("policy.bad_section", name=ref, section="/",
                              keys=unknown, missing=False))
    sections = {k: _section(k, cls, data.get(k, {}), ref) for k, cls in SECTIONS.items()}
    if sections["moves"].withdraw_after_decision not in WITHDRAW_AFTER_DECISION:
        raise ConfigError(msg("moves.bad_withdraw", name=ref,
                              allowed=WITHDRAW_AFTER_DECISION))
    if sections["records"].review_form not in REVIEW_FORMS:
        raise ConfigError(msg("records.bad_form", name=ref,
                              allowed=REVIEW_FORMS))
    policy = Policy(name=data.get("name", ref), title=data.get("title", ref), **sections)
    _check_roles(policy, ref)
    _check_filings(policy.filings, ref)
    unknown = [p for p in policy.updates.limited_platforms if p not in PLATFORMS]
    if unknown:  # rule R-UPD-3
        raise ConfigError(msg("policy.bad_platforms", name=ref, platforms=unknown,
                              allowed=PLATFORMS))
    fix = policy.rectification  # rule R-FIX-1: the default lies within the range
    if not 1 <= fix.min_days <= fix.default_days <= fix.max_days:
        raise ConfigError(msg("policy.bad_fix_days", name=ref, min=fix.min_days,
                              default=fix.default_days, max=fix.max_days))
    return policy


ANCHORS = ("approval", "platform")
ANNOUNCED = ("open", "change", "suspend", "close", "cancel")
NOTICE_UNITS = ("days", "workdays")


def _check_filings(rules: FilingPolicy, ref: str) -> None:
    """rule R-ACC-2: the notice's anchor, kinds, places and unit are ones the code knows."""
    bad = [v for v in (rules.announce_anchor,) if v not in ANCHORS] \
        + [k for k in rules.announce_kinds if k not in ANNOUNCED] \
        + [u for u in (rules.announcement_unit,) if u not in NOTICE_UNITS] \
        + ([] if rules.announce_places else ["announce_places = []"])
    bad += _bad_stages(rules.approval_stages)
    if bad:
        raise ConfigError(msg("policy.bad_filings", name=ref, values=bad, anchors=ANCHORS,
                              kinds=ANNOUNCED))


STAGE_KEYS = {"title", "role", "up", "unit"}


def _bad_stages(stages: tuple[Any, ...]) -> list[str]:
    """rule R-ACC-1: a chain of one or more stages, each a role held up the tree or in a unit."""
    if not stages:
        return ["approval_stages = []"]
    bad = []
    for i, spec in enumerate(stages, start=1):
        ok = isinstance(spec, dict) and not set(spec) - STAGE_KEYS \
            and isinstance(spec.get("title"), str) and bool(spec.get("title")) \
            and spec.get("role", "supervisor") in ROLES \
            and (("unit" in spec) != ("up" in spec)) \
            and (isinstance(spec.get("unit"), str) if "unit" in spec
                 else isinstance(spec.get("up"), int) and spec["up"] >= 1)
        if not ok:
            bad.append(f"approval_stages[{i}] = {spec!r}")
    return bad


def _role_keys(policy: Policy) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(section, key, roles) of every key that names roles."""
    for section in SECTIONS:
        values = getattr(policy, section)
        for f in fields(values):
            value = getattr(values, f.name)
            if f.name.endswith("_roles") or (section, f.name) in _ROLE_KEYS:
                yield section, f.name, value if isinstance(value, tuple) else (value,)


_ROLE_KEYS = {("review", "levels"), ("review", "final_role_important"),
              ("review", "final_role_major"), ("review", "escalation")}


def _check_roles(policy: Policy, ref: str) -> None:
    """Every role a profile names exists, and the ladder holds every review level's role."""
    for section, key, roles in _role_keys(policy):
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            raise ConfigError(msg("policy.bad_roles", name=ref, section=section, key=key,
                                  roles=unknown, allowed=ROLES))
    review = policy.review
    off_ladder = [r for r in (*review.levels, review.final_role_important,
                              review.final_role_major)
                  if r not in review.escalation]
    if off_ladder:
        raise ConfigError(msg("policy.off_ladder", name=ref, roles=off_ladder))
