"""People first: while this process handles people's events, its outbox sender holds back
everything but review cards (issue 19).

A burst of notices or reminders keeps a replica's event loop full of sends; an event handled
meanwhile waits for a turn at every statement and its card comes seconds late. The sender
asks `wait_turn()` before each non-urgent send: it returns at once when no event is being
handled, else when none is, or once events have kept the process busy for `patience`
seconds in a row (a steady stream of events never stops delivery)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
E = TypeVar("E")

DEFAULT_PATIENCE_SECONDS = 1.0


class Foreground:
    def __init__(self, patience: float = DEFAULT_PATIENCE_SECONDS) -> None:
        self.patience = patience
        self._busy = 0
        self._since = 0.0  # loop time the current busy stretch began
        self._idle = asyncio.Event()
        self._idle.set()

    def wrap(self, handle: Callable[[E], Awaitable[T]]) -> Callable[[E], Awaitable[T]]:
        """`handle` counted as foreground work while it runs."""
        async def counted(event: E) -> T:
            self._enter()
            try:
                return await handle(event)
            finally:
                self._leave()
        return counted

    @property
    def busy(self) -> bool:
        return self._busy > 0

    async def wait_turn(self) -> None:
        if not self._busy:
            return
        left = self._since + self.patience - asyncio.get_running_loop().time()
        if left <= 0:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), left)
        except TimeoutError:
            pass

    def _enter(self) -> None:
        if not self._busy:
            self._since = asyncio.get_running_loop().time()
            self._idle.clear()
        self._busy += 1

    def _leave(self) -> None:
        self._busy -= 1
        if not self._busy:
            self._idle.set()
