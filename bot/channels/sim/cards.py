"""The simulator's message JSON: the neutral message itself (`to_dict()`), which its page
draws (templates/sim/index.html.j2) as the other platforms' apps draw their cards."""

from __future__ import annotations

from typing import Any

from bot.events import Outgoing


def payload(message: Outgoing) -> dict[str, Any]:
    """What one sim_message row holds for a message the bot sent (or a card it updated)."""
    return message.to_dict()
