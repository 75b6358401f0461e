"""Findings stored before issue 15 indexed "title\\nbody"; the upgrade makes them index the body
as stored, like every new row (the draft page highlights them there)."""

from __future__ import annotations

from bot.db import connect, upgrade
from bot.precheck.findings import TITLE_SPAN
from models.precheck import PrecheckFinding
from tests.test_migrations import _sql, _when, old_db  # noqa: F401  (the fixture)

BEFORE = "0003_audit_key"
TITLE, BODY = "国家卫计委来我区调研", "调研组听取了区卫计局工作汇报。"


async def test_old_spans_are_shifted_to_the_body(old_db: str) -> None:  # noqa: F811
    await connect(old_db)
    await upgrade(BEFORE)
    from tortoise import connections
    at = _when(connections.get("default").capabilities.dialect)
    await _sql('INSERT INTO "unit" (id, name, active) VALUES (?, ?, ?)', "u1", "某局", True)
    await _sql('INSERT INTO "person" (id, name, unit_id, roles, active) VALUES (?, ?, ?, ?, ?)',
               "ed", "编辑", "u1", '["editor"]', True)
    await _sql('INSERT INTO "account" (id, name, platform, unit_id, content, status, '
               'last_update_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
               1, "某局发布", "weibo", "u1", "text", "normal", at, at)
    await _sql('INSERT INTO "draft" (id, account_id, author_id, title, body, important, version, '
               'state, level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
               1, 1, "ed", TITLE, BODY, False, 1, "reviewing", 2, at, at)
    await _sql('INSERT INTO "draft_version" (draft_id, version, title, body, created_at) '
               'VALUES (?, ?, ?, ?, ?)', 1, 1, TITLE, BODY, at)
    whole = f"{TITLE}\n{BODY}"
    for seq, (text, start) in enumerate((("国家卫计委", whole.index("国家卫计委")),
                                          ("卫计局", whole.index("卫计局")),
                                          ("https://x.cn", -1)), start=1):
        end = start + len(text) if start >= 0 else -1
        await _sql('INSERT INTO "precheck_finding" (draft_id, version, seq, kind, severity, '
                   'rule, start, "end", text, suggestion, snippet, created_at) '
                   'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                   1, 1, seq, "outdated_name", "warn", "R-REV-6", start, end, text, "", "", at)
    await upgrade()
    spans = {f.text: (f.start, f.end) for f in await PrecheckFinding.all()}
    assert spans["国家卫计委"] == (TITLE_SPAN, TITLE_SPAN)
    assert BODY[spans["卫计局"][0]:spans["卫计局"][1]] == "卫计局"
    assert spans["https://x.cn"] == (-1, -1)  # the 转载 line is untouched
