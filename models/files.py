"""Files people send the bot (.docx drafts, pictures) and which draft version they belong to.

A file is stored once by its SHA-256: in the database (chunks, so that no single row or
packet is large; included in every database backup) or, with the setting file_store_dir,
in that directory with only its description here.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.review import Draft

IMAGE = "image"
DOCX = "docx"


class LargeBinaryField(fields.BinaryField):
    """Bytes up to a chunk's size on every backend (MySQL's BLOB stops at 64 KB)."""

    class _db_mysql:
        SQL_TYPE = "LONGBLOB"


class StoredFile(Model):
    """One file by content: its hash goes into the audit chain and the review record."""

    id = fields.IntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, unique=True)
    size = fields.IntField()
    content_type = fields.CharField(max_length=100)
    name = fields.CharField(max_length=255)  # as first sent
    in_database = fields.BooleanField(default=True)  # False: in file_store_dir
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stored_file"


class FileChunk(Model):
    """A piece of a file kept in the database, in order."""

    id = fields.IntField(primary_key=True)
    file: fields.ForeignKeyRelation[StoredFile] = fields.ForeignKeyField(
        "models.StoredFile", related_name="chunks", on_delete=fields.CASCADE
    )
    file_id: int
    seq = fields.IntField()
    data = LargeBinaryField()

    class Meta:
        table = "file_chunk"
        unique_together = (("file", "seq"),)


class DraftFile(Model):
    """A file of one version of a draft: its pictures (图1, 图2 …) and the .docx it came from."""

    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="files", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.IntField()
    kind = fields.CharField(max_length=8)  # image | docx
    seq = fields.IntField()  # pictures in the order they stand or were sent, from 1
    file: fields.ForeignKeyRelation[StoredFile] = fields.ForeignKeyField(
        "models.StoredFile", related_name="uses", on_delete=fields.RESTRICT
    )
    file_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "draft_file"
        unique_together = (("draft", "version", "kind", "seq"),)
