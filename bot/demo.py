"""The demo organisation, seeded on an empty database so the simulator works at once."""

from __future__ import annotations

import logging
from pathlib import Path

from bot import orgfile
from models.org import Unit

log = logging.getLogger(__name__)
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_org.toml"


async def seed_if_empty() -> bool:
    """Load the demo file when no organisation has ever been loaded; True if it did."""
    if await Unit.exists():
        return False
    await orgfile.apply(orgfile.parse(DEMO_FILE.read_text(encoding="utf-8")), actor="demo",
                        record=False)  # the demo seed is no registry change
    log.info("seeded the demo organisation from %s", DEMO_FILE.name)
    return True
