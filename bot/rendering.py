"""Every user-visible sentence comes from templates/ (zh-CN).

Long texts and cards are Jinja2 files; short lines live in templates/messages/*.toml
(one file per capability, one key per sentence), rendered with the same
StrictUndefined environment. A key defined in two files is an error.
"""

from __future__ import annotations

import tomllib
from functools import cache, lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_eval_context
from jinja2.filters import do_join
from jinja2.nodes import EvalContext

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@pass_eval_context
def join(eval_ctx: EvalContext, value: object, d: str = "", attribute: str | int | None = None,
         ) -> str:
    """Jinja's `join`, except that a string is one item, not its characters: lists go to the
    texts as lists (`{{ names | join('、') }}`), and a value stored as a joined string before
    that renders as it was."""
    if isinstance(value, str):
        return value
    return do_join(eval_ctx, value, d, attribute)


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
    env.filters["join"] = join
    return env


@cache
def _catalog() -> dict[str, str]:
    catalog: dict[str, str] = {}
    for path in sorted((TEMPLATES_DIR / "messages").glob("*.toml")):
        with open(path, "rb") as fh:
            entries = tomllib.load(fh)
        clash = sorted(set(entries) & set(catalog))
        if clash:
            raise ValueError(f"{path.name}: message keys defined twice: {clash}")
        catalog.update(entries)
    return catalog


@cache
def html_environment() -> Environment:
    """For HTML pages served by the bot: every value escaped unless marked safe."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), undefined=StrictUndefined,
                      autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["join"] = join
    return env


def render_html(name: str, /, **ctx: object) -> str:
    """Render an HTML page under templates/ with autoescaping (user text is never markup)."""
    return html_environment().get_template(name).render(**ctx)


def render(name: str, /, **ctx: object) -> str:
    """Render a template file under templates/ and strip surrounding whitespace."""
    return environment().get_template(name).render(**ctx).strip()


@cache
def _compiled(key: str) -> Template:
    return environment().from_string(_catalog()[key])


_SCALARS = (str, int, float, bool, type(None))


def msg(key: str, /, **ctx: object) -> str:
    """Render one short sentence from templates/messages/ by its key.

    A review decision asks for some hundred sentences, half of them without a variable
    (labels, button texts) and most others with the same few numbers and names: a Jinja
    render each time was a tenth of its CPU. A sentence is a pure function of its key and
    values, so one rendered from scalars is kept (the value's type is part of the key:
    1 and True render differently); lists and other values render each time."""
    if all(type(v) in _SCALARS for v in ctx.values()):
        return _rendered(key, tuple((k, type(v), v) for k, v in sorted(ctx.items())))
    return _compiled(key).render(**ctx)


@lru_cache(maxsize=4096)
def _rendered(key: str, items: tuple[tuple[str, type, object], ...]) -> str:
    return _compiled(key).render({k: v for k, _, v in items})


def message_keys() -> list[str]:
    return sorted(_catalog())
