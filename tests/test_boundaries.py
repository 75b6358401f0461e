"""The layering rule of STYLE.md §1: handlers/ and models/ never see a platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("wechatpy", "dingtalk_stream", "aiohttp", "bot.channels", "bot.app")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(ROOT) for d in ("handlers", "models") for p in (ROOT / d).rglob("*.py")),
    ids=str,
)
def test_no_platform_imports(path: Path) -> None:
    bad = sorted(m for m in imported_modules(ROOT / path)
                 if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path} imports {bad}"
