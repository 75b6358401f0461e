"""Lean start (issue 19): heavy optional parts are imported only when they are used.
The figures themselves come from bench/bench_start.py (README, "Start-up and memory")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ("openpyxl", "docx", "lxml",  # XLSX import/export; a Word draft arriving
            "fpdf", "fontTools", "PIL", "xlsxwriter", "pylopdf_fonts_zh_cn",  # reports
            "dingtalk_stream", "websockets")  # DingTalk Stream mode only


def test_serving_the_demo_imports_no_optional_part() -> None:
    probe = ("import sys, bot.cli, bot.app; "
             f"print(' '.join(m for m in {OPTIONAL!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "", f"imported at start-up: {out}"
