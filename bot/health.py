"""Liveness and readiness for /healthz: named checks and heartbeats, platform-free.

Any component registers what "healthy" means for it: a background loop takes a
Heartbeat and beats it on every pass (the outbox sender, the scheduler); anything
else adds an async check. `report()` runs them all and says which failed and why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict; `reason` is a short code when not ok, details go to the JSON."""

    ok: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


Check = Callable[[], Awaitable[CheckResult]]


class Heartbeat:
    """A loop calls beat() each pass; it is stale when the last beat (or, before the
    first one, the registration) is older than max_age seconds."""

    def __init__(self, name: str, max_age: float, clock: Callable[[], float]) -> None:
        self.name = name
        self.max_age = max_age
        self._clock = clock
        self.registered_at = clock()
        self.last_beat: float | None = None

    def beat(self) -> None:
        self.last_beat = self._clock()

    def age(self) -> float:
        since = self.last_beat if self.last_beat is not None else self.registered_at
        return self._clock() - since

    async def check(self) -> CheckResult:
        age = self.age()
        details = {"age_seconds": round(age, 3), "max_age_seconds": self.max_age,
                   "beaten": self.last_beat is not None}
        if age <= self.max_age:
            return CheckResult(True, details=details)
        return CheckResult(False, "stale" if self.last_beat is not None else "never_ran",
                           details)


class Health:
    """The registry of checks one application runs for /healthz."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 check_timeout: float = 5.0) -> None:
        self.clock = clock
        self.check_timeout = check_timeout
        self.checks: dict[str, Check] = {}
        self.heartbeats: dict[str, Heartbeat] = {}

    def add_check(self, name: str, check: Check) -> None:
        if name in self.checks:
            raise ValueError(f"duplicate health check {name!r}")
        self.checks[name] = check

    def heartbeat(self, name: str, max_age: float) -> Heartbeat:
        """Register a loop's heartbeat; the loop calls .beat() on every pass."""
        beat = Heartbeat(name, max_age, self.clock)
        self.add_check(name, beat.check)
        self.heartbeats[name] = beat
        return beat

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """Run every check at once; (healthy, JSON-ready details with the reasons)."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(n) for n in names))
        checks = {n: {"ok": r.ok, **({"reason": r.reason} if not r.ok else {}), **r.details}
                  for n, r in zip(names, results, strict=True)}
        reasons = [f"{n}: {r.reason}" for n, r in zip(names, results, strict=True) if not r.ok]
        healthy = not reasons
        return healthy, {"status": "ok" if healthy else "unhealthy", "reasons": reasons,
                         "checks": checks}

    async def _run(self, name: str) -> CheckResult:
        try:
            async with asyncio.timeout(self.check_timeout):
                return await self.checks[name]()
        except TimeoutError:
            return CheckResult(False, "timeout", {"timeout_seconds": self.check_timeout})
        except Exception as exc:
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            return CheckResult(False, "error", {"error": type(exc).__name__})
