"""An org-file absence that 销假 called off stays called off when the file is loaded again,
but only that entry: a later, different entry for the same person with the same start (a
new end) is applied. Found by review: the mark held the start alone, so `org load`
skipped the new entry too. Through the CLI, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from models.org import Absence
from tests.test_approval_moves import _days

TZ = ZoneInfo("Asia/Shanghai")


def _utc(day: str) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(), TZ).astimezone(UTC)


@pytest.mark.parametrize(("first", "back"), [(3, "尚未开始"), (0, "的请假已结束")])
def test_org_load_applies_a_new_entry_with_a_called_off_start(
        backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        first: int, back: str) -> None:
    """Called off before it began (first=3) or ended early (first=0)."""
    from bot import demo
    from bot.cli import main
    from bot.config import Settings
    from bot.db import close_db, init_db
    from tests import databases
    from tests.conftest import Harness

    url = f"sqlite://{tmp_path / 'o.db'}" if backend == "sqlite" else databases.URLS[backend]
    env = {"GOVMEDIA_DATABASE_URL": url}
    org = tmp_path / "org.toml"

    def with_away(start: int, end: int) -> str:
        return demo.DEMO_FILE.read_text(encoding="utf-8").replace(
            'roles = ["reviewer", "editor"]',
            f'roles = ["reviewer", "editor"]\naway = [{{ from = {_days(start)}, '
            f'to = {_days(end)}, deputy = "liufang" }}]', 1)

    async def prepare() -> None:
        await (init_db(url) if backend == "sqlite" else databases.open_clean(backend))
        await demo.seed_if_empty()
        await close_db()

    async def call_off() -> str:
        await init_db(url, generate_schemas=False)
        try:
            bot = Harness(Settings(database_url=url, outbox_poll_seconds=0.05))
            return await bot.say("zhangming", "销假")
        finally:
            await close_db()

    async def from_file() -> list[tuple[datetime, datetime, str | None]]:
        await init_db(url, generate_schemas=False)
        try:
            return [(a.starts_at, a.ends_at, a.deputy_id) for a in await Absence.filter(
                person_id="zhangming", set_by=Absence.FROM_FILE)]
        finally:
            await close_db()

    asyncio.run(prepare())
    org.write_text(with_away(first, first + 1), encoding="utf-8")
    assert main(["org", "load", str(org)], env) == 0
    assert back in asyncio.run(call_off())
    assert main(["org", "load", str(org)], env) == 0  # the same file: stays called off
    assert asyncio.run(from_file()) == []
    capsys.readouterr()
    org.write_text(with_away(first, first + 2), encoding="utf-8")  # a new end: a new entry
    assert main(["org", "load", str(org)], env) == 0
    assert "没有任何变化" not in capsys.readouterr().out
    assert asyncio.run(from_file()) == [
        (_utc(_days(first)), _utc(_days(first + 3)), "liufang")]
    assert main(["org", "load", str(org)], env) == 0  # and loading it again changes nothing
    assert asyncio.run(from_file()) == [
        (_utc(_days(first)), _utc(_days(first + 3)), "liufang")]
