"""机审 records: findings per draft version, false-positive marks, each approval's checklist
confirmation (R-REV-5/6), and the word lists a unit added or allowed."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from bot.precheck.findings import needs_chief
from models.org import Person, Unit
from models.review import Draft, ReviewStep

WORD_LISTS = ("sensitive", "ad", "allow")  # 敏感词 (R-REV-7), 广告词, 放行词


class PrecheckFinding(Model):
    """One finding of the pre-review of one version, seq is its 编号 in chat."""

    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="precheck_findings", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.IntField()
    seq = fields.IntField()
    kind = fields.CharField(max_length=32)
    severity = fields.CharField(max_length=8)
    rule = fields.CharField(max_length=16)
    # the span in Draft.body as stored (DraftVersion.body of `version`); -2: in the title,
    # -1: on the `转载：` line (findings.TITLE_SPAN, SOURCE_SPAN)
    start = fields.IntField()
    end = fields.IntField()
    text = fields.CharField(max_length=200)
    suggestion = fields.CharField(max_length=200, default="")
    snippet = fields.CharField(max_length=300, default="")
    # 误报: a reviewer said this is not a problem; feeds the allow-list suggestions
    false_positive_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="precheck_marks", null=True, on_delete=fields.RESTRICT
    )
    false_positive_by_id: str | None
    false_positive_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "precheck_finding"
        unique_together = (("draft", "version", "seq"),)

    @property
    def needs_chief(self) -> bool:
        """A major/sensitive finding: the draft's final review belongs to the chief."""
        return needs_chief(self.kind)


class ReviewCheck(Model):
    """What a reviewer confirmed with an approval: the checklist and the error findings."""

    id = fields.IntField(primary_key=True)
    step: fields.OneToOneRelation[ReviewStep] = fields.OneToOneField(
        "models.ReviewStep", related_name="check", on_delete=fields.CASCADE
    )
    step_id: int
    asked_at = fields.DatetimeField(null=True)  # 通过 was refused once, pending confirmation
    confirmed_at = fields.DatetimeField(null=True)
    checklist: list[str] = fields.JSONField(default=list)
    confirmed_findings: list[int] = fields.JSONField(default=list)  # seqs of error findings

    class Meta:
        table = "review_check"


class PrecheckWord(Model):
    """A word a supervisor added to a list of their unit (applies to the units below too)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="precheck_words", on_delete=fields.CASCADE
    )
    unit_id: str
    kind = fields.CharField(max_length=16)  # one of WORD_LISTS
    word = fields.CharField(max_length=64)
    added_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="precheck_words", on_delete=fields.RESTRICT
    )
    added_by_id: str
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "precheck_word"
        unique_together = (("unit", "kind", "word"),)
