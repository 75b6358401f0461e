"""Every user-visible sentence comes from templates/ (zh-CN).

Long texts and cards are Jinja2 files; short lines live in templates/messages.toml,
one key per sentence, rendered with the same StrictUndefined environment.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@cache
def _catalog() -> dict[str, str]:
    with open(TEMPLATES_DIR / "messages.toml", "rb") as fh:
        return tomllib.load(fh)


def render(name: str, **ctx: object) -> str:
    """Render a template file under templates/ and strip surrounding whitespace."""
    return environment().get_template(name).render(**ctx).strip()


def msg(key: str, **ctx: object) -> str:
    """Render one short sentence from templates/messages.toml by its key."""
    return environment().from_string(_catalog()[key]).render(**ctx)


def message_keys() -> list[str]:
    return sorted(_catalog())
