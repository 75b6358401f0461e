"""What a version of a draft holds besides its text: pictures, its source file, what
changed since the returned version, the author's map statement; and the signed link to
the whole of it (the draft page)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import RawSQL

from bot import links
from bot.clock import utcnow
from bot.config import Settings
from bot.textdiff import Change, Piece, change, diff
from models.files import DOCX, IMAGE, DraftFile
from models.intake import ASK_MAP, Question
from models.org import event_keep, event_memo
from models.review import Draft, DraftVersion

EXCERPT_CHARS = 200  # of the body, in chat; the page has the rest


@dataclass(frozen=True)
class Excerpt:
    text: str
    total: int  # characters of the whole body
    shown: int  # characters shown (== total: nothing left out)

    @property
    def cut(self) -> bool:
        return self.shown < self.total


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> Excerpt:
    """The beginning of the body, cut at a line end when one is near the limit."""
    if len(body) <= limit:
        return Excerpt(body, len(body), len(body))
    head = body[:limit]
    line_end = head.rfind("\n")
    if line_end >= limit // 2:
        head = head[:line_end]
    head = head.rstrip()
    return Excerpt(head, len(body), len(head))


def draft_target(draft_id: int) -> str:
    return f"draft:{draft_id}"


def draft_path(draft_id: int) -> str:
    return f"/drafts/{draft_id}"


async def draft_link(settings: Settings, person_id: str, draft_id: int) -> str:
    """A signed link to the draft page for one person (short-lived; `全文 #N` renews it)."""
    secret = await links.secret_for(settings)
    token = links.sign(secret, person_id, draft_target(draft_id),
                       links.expiry(settings, utcnow()))
    return links.url(settings, draft_path(draft_id), token)


async def files_of(draft_id: int, version: int, kind: str = IMAGE) -> list[DraftFile]:
    return await DraftFile.filter(draft_id=draft_id, version=version, kind=kind) \
        .order_by("seq").prefetch_related("file")


async def source_file(draft_id: int, version: int) -> DraftFile | None:
    found = await files_of(draft_id, version, DOCX)
    return found[0] if found else None


def _pictures_key(draft_id: int, version: int) -> tuple[object, ...]:
    return ("pictures", draft_id, version)


async def picture_count(draft_id: int, version: int) -> int:
    """How many pictures the version has (once per event: each card of it shows it)."""
    return await event_memo(
        _pictures_key(draft_id, version),
        lambda: DraftFile.filter(draft_id=draft_id, version=version, kind=IMAGE).count())


# the current version's picture count as a column of a query on draft (load_draft): a
# decision's cards show it, and it came as a statement of its own
PICTURES_OF_VERSION = RawSQL(
    f"(SELECT COUNT(*) FROM {DraftFile._meta.db_table} WHERE draft_id={Draft._meta.db_table}.id"
    f" AND version={Draft._meta.db_table}.version AND kind='{IMAGE}')")


def pictures_known(draft_id: int, version: int, count: int) -> None:
    """picture_count of the version, read or made another way in this event."""
    event_keep(_pictures_key(draft_id, version), count)


async def returned_version(draft: Draft) -> DraftVersion | None:
    """The version before the current one: a new version only follows a return."""
    if draft.version <= 1:
        return None
    return await event_memo(
        ("returned_version", draft.id, draft.version),
        lambda: DraftVersion.get_or_none(draft_id=draft.id, version=draft.version - 1))


def _text(title: str, body: str) -> str:
    return f"{title}\n{body}"


async def changes(draft: Draft) -> tuple[list[Piece], Change] | None:
    """What changed in title and body since the returned version; None for a first one."""
    before = await returned_version(draft)
    if before is None:
        return None
    pieces = diff(_text(before.title, before.body), _text(draft.title, draft.body))
    return pieces, change(pieces)


async def map_note(draft_id: int, version: int) -> str:
    """What the author stated about the maps in the pictures (R-REV-9), if asked: only
    a version with pictures is asked."""
    async def load() -> str:
        if not await picture_count(draft_id, version):
            return ""
        question = await Question.filter(draft_id=draft_id, version=version, kind=ASK_MAP,
                                         answered_at__isnull=False).order_by("-id").first()
        return question.answer if question else ""
    return await event_memo(("map_note", draft_id, version), load)
