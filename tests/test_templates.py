"""Every template and every message key renders with the data its callers give (issue 11).

Two checks under StrictUndefined:
- the callers: every call in bot/ and handlers/ that names a message key or a template by
  a literal (or an f-string prefix such as f"filing.kind_{kind}") passes every variable the
  text uses; a call that forwards **kwargs is checked where those are built;
- the texts: each renders with a representative value for every variable it uses, so a
  broken filter or a name no caller could give fails here and not in front of a user.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, meta, nodes

from bot.rendering import TEMPLATES_DIR, _catalog, environment, html_environment

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")])
TEMPLATES = sorted(str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.j2"))
# calls whose first argument is a name that only looks like a message key (audit actions)
NOT_TEXT = {"audit", "append"}
# Chinese punctuation or words in a string literal
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# `"、".join(...)` in code builds a sentence outside templates/ (issue 11): lists go to the
# texts as lists and the text joins them. What may stay, and why:
JOINED_IN_CODE = {
    # a ledger team cell ("王五，科员，电话；李四") is the data format `accounts import`
    # parses back (bot/ledger.py parse_members), not a sentence
    ("bot/ledger.py", "，"),
    ("bot/ledger.py", "；"),
}
# f-strings, "….format()" and "…" % … with Chinese in their literal parts build wording in
# code (issue 11): the wording goes to templates/. What may stay, and why (file: how many):
FORMATTED_IN_CODE = {
    # regular expressions that parse Chinese input (sentence and clause ends, list items):
    # parsing, not wording
    "bot/precheck/context.py": 3,
    # a handler's docstring for developers, naming the chat syntax the handler parses
    "handlers/registry/filings.py": 1,
}


class Sample:
    """A representative value: a string, a number, a record and a two-item list at once."""

    def __init__(self, **attrs: object) -> None:
        self.__dict__.update(attrs)

    def __str__(self) -> str:
        return "样例"

    def __html__(self) -> str:
        return "样例"

    def __getattr__(self, name: str) -> Sample:
        if name.startswith("__"):
            raise AttributeError(name)
        return Sample()

    def __getitem__(self, key: object) -> Sample:
        return Sample()

    def __call__(self, *args: object, **kwargs: object) -> Sample:
        return Sample()

    def __iter__(self) -> Iterator[Sample]:
        return iter((Sample(), Sample()))

    def __len__(self) -> int:
        return 2

    def __int__(self) -> int:
        return 2

    __index__ = __int__

    def __float__(self) -> float:
        return 2.0

    def __round__(self, ndigits: int | None = None) -> float:
        return 2.0

    def __contains__(self, item: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return False

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __hash__(self) -> int:
        return 0

    def _arith(self, other: object) -> Sample:
        return Sample()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _arith
    __truediv__ = __rtruediv__ = __floordiv__ = __mod__ = _arith

    def __neg__(self) -> Sample:
        return Sample()


def _names(env: Environment, source: str) -> set[str]:
    """The variables a text reads from its caller: not its own macros, sets or globals."""
    tree = env.parse(source)
    own = {m.name for m in tree.find_all(nodes.Macro)}
    return meta.find_undeclared_variables(tree) - own - set(env.globals)


def _template_names(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """A template's variables, with those of the templates it includes (minus what it sets)."""
    env = html_environment() if name.endswith(".html.j2") else environment()
    source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    tree = env.parse(source)
    names = _names(env, source)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for included in meta.find_referenced_templates(tree):
        if included and included not in seen:
            names |= _template_names(included, seen | {name}) - assigned
    return names


def _text_names() -> dict[str, set[str]]:
    names = {key: _names(environment(), text) for key, text in _catalog().items()}
    names.update({name: _template_names(name) for name in TEMPLATES})
    return names


def _pattern(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return re.escape(str(node.value))
    if isinstance(node, ast.JoinedStr):
        return "".join(_pattern(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _pattern(node.left) + _pattern(node.right)
    return ".+"


def _shape(node: ast.expr) -> re.Pattern[str] | None:
    """f"filing.kind_{kind}" or "filing.kind_" + kind → filing\\.kind_.+ ; None unless a
    text key is built (a dotted word first, then a variable part)."""
    if not isinstance(node, ast.JoinedStr | ast.BinOp):
        return None
    pattern = _pattern(node)
    return re.compile(pattern) if re.match(r"[a-z_]+\\\.", pattern) else None


def _calls() -> Iterator[tuple[str, list[str], set[str]]]:
    """(where, the texts it may name, the keyword arguments it passes) per call site."""
    texts = _text_names()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            kwargs = {k.arg for k in node.keywords}
            if called in NOT_TEXT or None in kwargs:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value in texts:
                named = [first.value]
            elif shape := _shape(first):
                named = [t for t in texts if shape.fullmatch(t)]
            else:
                continue
            yield f"{path.relative_to(ROOT)}:{node.lineno}", named, {str(k) for k in kwargs}


def test_every_caller_gives_every_variable() -> None:
    texts = _text_names()
    missing = [f"{where} {name}: {sorted(texts[name] - given)}"
               for where, named, given in _calls() for name in named
               if texts[name] - given]
    assert missing == []


def test_every_text_is_named_by_some_code() -> None:
    """A message key or template nothing renders is dead text (issue 11, item 7). Code names
    it, or a data file the code reads (handlers/common/authz.toml names refusals)."""
    data = sorted([*ROOT.glob("bot/**/*.toml"), *ROOT.glob("handlers/**/*.toml")])
    source = "\n".join(p.read_text(encoding="utf-8") for p in [*SOURCES, *data])
    shapes = [shape for p in SOURCES for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
              if isinstance(n, ast.expr) and (shape := _shape(n))]
    included = {t for name in TEMPLATES for t in meta.find_referenced_templates(
        environment().parse((TEMPLATES_DIR / name).read_text(encoding="utf-8")))}
    unused = [name for name in [*_catalog(), *TEMPLATES]
              if f'"{name}"' not in source and name not in included
              and not any(shape.fullmatch(name) for shape in shapes)]
    assert unused == []


def _cases(name: str) -> list[dict[str, Any]]:
    """Representative data: a Sample for every variable, but where a template branches on a
    value or unpacks rows, one case per value it knows."""
    names = _template_names(name)
    base: dict[str, Any] = {n: Sample() for n in names}
    if name == "text/filing_usage.md.j2":
        from bot.ledger import column_labels
        from handlers.registry.filings import KINDS  # the kinds filed in chat
        return [{**base, "kind": str(k), "c": column_labels()} for k in KINDS.values()]
    if name == "text/todo_followups.md.j2":
        keys = re.findall(r's\.key == "(\w+)"', (TEMPLATES_DIR / name).read_text(encoding="utf-8"))
        return [{**base, "sections": [Sample(key=k, items=[Sample(), Sample()]) for k in keys]}]
    if name == "web/board.html.j2":
        return [{**base, "b": Sample(levels=[(Sample(), Sample(), Sample())])}]
    return [base]


@pytest.mark.parametrize("key", sorted(_catalog()))
def test_message_renders(key: str) -> None:
    names = _names(environment(), _catalog()[key])
    text = environment().from_string(_catalog()[key]).render({n: Sample() for n in names})
    assert text.strip()


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_renders(name: str) -> None:
    env = html_environment() if name.endswith(".html.j2") else environment()
    for case in _cases(name):
        assert env.get_template(name).render(case).strip()


def test_no_chinese_joined_in_code() -> None:
    """Lists reach the texts as lists (`{{ names | join('、') }}`), never pre-joined in code."""
    allowed: set[tuple[str, str]] = set()
    joined = []
    for path in [*SOURCES, *ROOT.glob("models/**/*.py")]:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "join" and isinstance(node.func.value, ast.Constant)
                    and isinstance(sep := node.func.value.value, str) and CHINESE.search(sep)):
                if (where, sep) in JOINED_IN_CODE:
                    allowed.add((where, sep))
                else:
                    joined.append(f"{where}:{node.lineno} {sep!r}.join")
    assert joined == []
    assert allowed == JOINED_IN_CODE  # an entry nothing needs any more goes


def _formats_chinese(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and CHINESE.search(str(v.value))
                   for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        template = node.func.value
        return (node.func.attr == "format" and isinstance(template, ast.Constant)
                and CHINESE.search(str(template.value)) is not None)
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
            and CHINESE.search(node.left.value) is not None)


def test_no_chinese_formatted_in_code() -> None:
    """Sentences, labels and their punctuation are built in templates/, not in f-strings."""
    found: dict[str, list[int]] = {}
    for path in [*SOURCES, *ROOT.glob("models/**/*.py")]:
        where = str(path.relative_to(ROOT))
        if where.startswith("models/migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _formats_chinese(node):
                found.setdefault(where, []).append(getattr(node, "lineno", 0))
    unexpected = {where: lines for where, lines in found.items()
                  if len(lines) != FORMATTED_IN_CODE.get(where, 0)}
    assert unexpected == {}
    assert set(found) == set(FORMATTED_IN_CODE)  # an entry nothing needs any more goes


def test_join_keeps_a_string_whole() -> None:
    """A list is joined; a value stored already joined (before lists were passed) renders as
    it was, not split into its characters."""
    for env in (environment(), html_environment()):
        text = env.from_string("{{ v | join('、') }}")
        assert text.render(v=["甲", "乙"]) == "甲、乙"
        assert text.render(v="甲、乙") == "甲、乙"
