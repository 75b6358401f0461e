"""Filings store their form's fields by column key (issue 11): rows written before held
[label, value] pairs, so renaming a ledger header broke the approval of a pending filing.
Turn each label into its key (and back on downgrade). Data only: the schema is unchanged."""

import json
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# a copy of the labels as they stood (templates/ledger/columns.toml): migrations do not
# read files that may change
KEYS = {
    "账号名称": "name", "账号ID": "platform_id", "平台": "platform", "平台说明": "platform_note",
    "主办单位": "unit", "承办单位": "organizer", "开设时间": "opened_on",
    "是否认证": "certified", "新闻信息服务资质": "news_licence", "简介": "intro", "网址": "url",
    "外包单位": "vendor", "外包单位资质": "vendor_qualification", "内容类型": "content",
    "分管领导": "leader", "科室负责人": "section_head", "管理员": "admin", "运行状态": "status",
    "粉丝量": "followers", "最近更新": "last_update_at", "最近改密": "password_changed_at",
}
LABELS = {key: label for label, key in KEYS.items()}


def _quote(dialect: str) -> Any:
    return (lambda name: f"`{name}`") if dialect == "mysql" else (lambda name: f'"{name}"')


def _marks(dialect: str, n: int) -> list[str]:
    return [{"postgres": f"${i + 1}", "mysql": "%s"}.get(dialect, "?") for i in range(n)]


async def _rename(schema_editor: Any, names: dict[str, str]) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    q = _quote(dialect)
    rows = await client.execute_query_dict(
        f"SELECT {q('id')} AS id, {q('payload')} AS payload FROM {q('filing')}")
    payload_mark, id_mark = _marks(dialect, 2)
    update = f"UPDATE {q('filing')} SET {q('payload')} = {payload_mark} WHERE {q('id')} = {id_mark}"
    for row in rows:
        payload = row["payload"]
        payload = json.loads(payload) if isinstance(payload, str | bytes) else payload
        pairs = (payload or {}).get("fields") or []
        renamed = [[names.get(name, name), value] for name, value in pairs]
        if renamed != pairs:
            payload["fields"] = renamed
            await client.execute_query(update, [json.dumps(payload, ensure_ascii=False),
                                                row["id"]])


async def to_keys(apps: Any, schema_editor: Any) -> None:
    await _rename(schema_editor, KEYS)


async def to_labels(apps: Any, schema_editor: Any) -> None:
    await _rename(schema_editor, LABELS)


class Migration(migrations.Migration):
    dependencies = [('models', '0008_website_columns')]

    initial = False

    operations = [
        ops.RunPython(to_keys, to_labels),
    ]
