"""A draft on its way in (issue 12): its text in one message or several, a Word file,
pictures; what the bot asks before review starts (which account? R-REV-9 maps); then
review. The state is in the database (Compose, Question), never in memory.

With `draft_join_seconds` > 0 a new version stays open that long after its author's
last message: plain messages and pictures from the author join it (platforms split long
pastes), then the closer (bot/closer.py) feeds a `compose_close` event and it goes to
review. With 0 it goes to review at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from bot.clock import utcnow
from bot.dispatcher import HandlerContext, Router, unknown_command
from bot.docx_draft import DocxDraft, DocxError, parse_docx
from bot.errors import DomainError
from bot.events import IncomingEvent, OutgoingCard, OutgoingText
from bot.exif import has_location
from bot.media import Upload, check_size, head, kind_of, load, store
from bot.precheck import WARN
from bot.precheck.findings import MAP_NO_APPROVAL
from bot.precheck.wording import states_map_approval
from bot.rendering import msg
from handlers.common import authz
from handlers.common.lookup import account_label, find_account, load_draft
from handlers.precheck.review import forget_findings, new_version, run_precheck
from handlers.relay.commands import task_for_draft
from handlers.review.cards import receipt_card
from handlers.review.content import files_of, picture_count, pictures_known
from handlers.review.form import DraftForm, form_of, parse_draft_form, requested_time, take_options
from handlers.review.routing import Assignment, no_steps_yet
from handlers.review.steps import check_staffed, route_text, start_review
from models.files import DOCX, IMAGE, DraftFile, StoredFile
from models.intake import ASK_ACCOUNT, ASK_DRAFT, ASK_MAP, Compose, Question
from models.org import Account, Person
from models.precheck import PrecheckFinding
from models.review import FIRST_REVIEW_LEVEL, Draft, DraftState, DraftVersion

router = Router("intake")

CLOSE = "compose_close"  # the closer's event: button_key(CLOSE, compose id)
QUESTION_HOURS = 24  # an unanswered "which account?" or "title and body?" lapses
SENTENCE_ENDS = tuple("。！？；…”’）」』.!?;")  # a piece ending so starts a new line
NO_MAP_WORDS = ("无地图", "不含地图", "没有地图", "非地图")
STANDARD_MAP = "标准地图"
PHOTO_LOCATION = "photo_location"  # a finding kind of the pictures (templates: draft.toml)
PHOTO_RULE = "R-REV-8"
PICTURE_SPAN = -3  # a finding about a picture, not a place in the text


# --- who may write, and creating versions -----------------------------------------------

async def may_write_for(person: Person, account: Account) -> bool:
    """The authorization table's 投稿 row: the unit's editors and the account's admins."""
    return await authz.permits_account(person, "投稿", account)


async def writable_accounts(person: Person) -> list[Account]:
    unit_id = person.unit_id
    own = await Account.filter(unit_id=unit_id).order_by("id") if person.has_role("editor") \
        else []
    admin = await Account.filter(admins__id=person.id).order_by("id")
    return list({a.id: a for a in [*own, *admin]}.values())


async def create_draft(ctx: HandlerContext, author: Person, account: Account, form: DraftForm,
                       *, source: StoredFile | None = None,
                       pictures: Sequence[StoredFile] = ()) -> Draft:
    """A new draft from its form; it is reviewed now or once its join window closes."""
    task = await task_for_draft(form.relay_task, account) if form.relay_task else None
    draft = Draft(account=account, author=author, title=form.title, body=form.body,
                  repost_url=form.repost_url or (task and task.source_url),
                  important=bool(form.important), major=bool(form.major), relay_task=task,
                  state=DraftState.RECEIVING)
    _apply_record_fields(ctx, draft, form)
    await draft.save()
    no_steps_yet(draft)
    await ctx.audit("draft.submitted", f"draft:{draft.id}", account=account.id,
                    title=draft.title, version=1, repost_url=draft.repost_url,
                    important=draft.important, major=draft.major,
                    relay_task=draft.relay_task_id,
                    **_file_record(source, pictures), **_record_audit(draft))
    await open_version(ctx, draft, author, source=source, pictures=pictures)
    return draft


async def revise_draft(ctx: HandlerContext, author: Person, draft: Draft, form: DraftForm,
                       *, source: StoredFile | None = None,
                       pictures: Sequence[StoredFile] = ()) -> None:
    """A new version of a returned draft (`修改 #N`)."""
    draft.title, draft.body = form.title, form.body
    await _apply_form(ctx, draft, form)
    draft.version += 1
    draft.state = DraftState.RECEIVING
    draft.level = FIRST_REVIEW_LEVEL
    await draft.save()
    await ctx.audit("draft.revised", f"draft:{draft.id}", version=draft.version,
                    title=draft.title, repost_url=draft.repost_url, important=draft.important,
                    major=draft.major, relay_task=draft.relay_task_id,
                    **_file_record(source, pictures), **_record_audit(draft))
    await open_version(ctx, draft, author, source=source, pictures=pictures)


async def _apply_options(ctx: HandlerContext, draft: Draft, found: dict[str, str]) -> None:
    """Option lines that came in a later message of the version (the join window)."""
    await _apply_form(ctx, draft, form_of(draft.title, draft.body or "-", found),
                      keep_source=True)
    await ctx.audit("draft.options", f"draft:{draft.id}", version=draft.version,
                    options=dict(found))


async def _apply_form(ctx: HandlerContext, draft: Draft, form: DraftForm, *,
                      keep_source: bool = False) -> None:
    """A form's option lines onto the draft; what the form does not give stays. As on 投稿,
    a task's source is the repost source unless 转载： names another (rule R-REV-4 routes the
    final level by it); keep_source (a later message of the same version) keeps one given."""
    if form.relay_task:
        task = await task_for_draft(form.relay_task, await draft.account)
        draft.relay_task = task
        if form.repost_url is None and not (keep_source and draft.repost_url):
            draft.repost_url = task.source_url
    if form.repost_url is not None:
        draft.repost_url = form.repost_url
    if form.important is not None:
        draft.important = form.important
    if form.major is not None:
        draft.major = form.major
    _apply_record_fields(ctx, draft, form)


def _apply_record_fields(ctx: HandlerContext, draft: Draft, form: DraftForm) -> None:
    """The review form's 发布类别 and 要求发布时间 (R-REV-5), kept when not given again."""
    if form.category is not None:
        draft.category = form.category
    if form.requested_at is not None:
        draft.requested_at = requested_time(form.requested_at, ctx.settings.tz)


def _record_audit(draft: Draft) -> dict[str, object]:
    """The form fields in the audit event, only when given (older events have none)."""
    fields: dict[str, object] = {}
    if draft.category:
        fields["category"] = draft.category
    if draft.requested_at is not None:
        fields["requested_at"] = draft.requested_at.isoformat()
    return fields


def _file_record(source: StoredFile | None,
                 pictures: Sequence[StoredFile]) -> dict[str, object]:
    """The hashes that go into the audit chain with the version (R-REV-5)."""
    if source is None and not pictures:
        return {}
    return {"file_sha256": source.sha256 if source else None,
            "pictures_sha256": [p.sha256 for p in pictures]}


async def open_version(ctx: HandlerContext, draft: Draft, author: Person, *,
                       source: StoredFile | None, pictures: Sequence[StoredFile]) -> None:
    new_version(draft)
    await check_staffed(ctx, draft, author)
    await DraftVersion.create(draft=draft, version=draft.version, title=draft.title,
                              body=draft.body)
    if source is not None:
        await DraftFile.create(draft=draft, version=draft.version, kind=DOCX, seq=1,
                               file=source)
    files = list(pictures)
    if source is None and not files and draft.version > 1:
        # a text revision keeps the pictures of the version it revises
        files = [f.file for f in await files_of(draft.id, draft.version - 1)]
    made = [await DraftFile.create(draft=draft, version=draft.version, kind=IMAGE, seq=seq,
                                   file=file)
            for seq, file in enumerate(files, start=1)]
    window = ctx.settings.join_seconds
    if window <= 0:
        await close_version(ctx, draft, author, messages=1, waited=False, files=made)
        return
    await Compose.create(draft=draft, version=draft.version, author=author,
                         channel=ctx.event.channel, user_id=ctx.event.user.user_id,
                         closes_at=utcnow() + timedelta(seconds=window))
    account = await draft.account
    await ctx.reply(ctx.text("draft.receiving", id=draft.id, title=draft.title,
                             version=draft.version, account=account_label(account),
                             chars=len(draft.body), pictures=len(files), seconds=round(window)))


async def close_version(ctx: HandlerContext, draft: Draft, author: Person, *, messages: int,
                        waited: bool, files: Sequence[DraftFile] | None = None) -> None:
    """The version is complete: pre-review it; hold it for the map question (R-REV-9) or
    send it to review; tell the author what was received. `files`: the version's pictures,
    when this event made them all (else they are read)."""
    report = await run_precheck(ctx, draft)
    pictures = await check_pictures(ctx, draft, files)
    cue = next((f.text for f in report.findings if f.kind == MAP_NO_APPROVAL), None)
    if pictures and cue:
        # rule R-REV-9: maps must be standard maps or carry a 审图号; ask before review
        draft.state = DraftState.HELD
        await draft.save(update_fields=["state", "updated_at"])
        await Question.create(person=author, kind=ASK_MAP, draft=draft, version=draft.version)
        await ctx.audit("draft.held", f"draft:{draft.id}", version=draft.version, reason="map",
                        cue=cue, pictures=pictures)
        await ctx.say(author.id, ctx.text("draft.ask_map", id=draft.id, cue=cue,
                                          pictures=pictures))
        return
    plan = await start_review(ctx, draft, author)
    await ctx.say(author.id, await _receipt(ctx, draft, author, plan, pictures, messages,
                                            waited))


async def check_pictures(ctx: HandlerContext, draft: Draft,
                         known: Sequence[DraftFile] | None = None) -> int:
    """The pictures' part of 机审: a photo that says where it was taken (R-REV-8); how many
    pictures the version has (`known`: they are these)."""
    pictures = list(known) if known is not None else await files_of(draft.id, draft.version)
    pictures_known(draft.id, draft.version, len(pictures))
    seq: int | None = None
    located = []
    for picture in pictures:
        if has_location(await head(ctx.settings, picture.file)):
            if seq is None:
                seq = await PrecheckFinding.filter(draft_id=draft.id,
                                                   version=draft.version).count()
            seq += 1
            located.append(picture.seq)
            await PrecheckFinding.create(
                draft=draft, version=draft.version, seq=seq, kind=PHOTO_LOCATION,
                severity=WARN, rule=PHOTO_RULE, start=PICTURE_SPAN, end=PICTURE_SPAN,
                text=msg("draft.picture_name", seq=picture.seq),
                snippet=msg("draft.picture_name", seq=picture.seq))
    if located:
        forget_findings(draft)
        await ctx.audit("precheck.pictures", f"draft:{draft.id}", version=draft.version,
                        located=located)
    return len(pictures)


async def _receipt(ctx: HandlerContext, draft: Draft, author: Person,
                   plan: list[Assignment], pictures: int, messages: int,
                   waited: bool) -> OutgoingCard:
    """What was received and the route: who reviews each level and why (R-REV-2); a card
    with 催办 and 撤回 on it (issue 20)."""
    chars = len(draft.body)
    reviewer = plan[0].person
    route = await route_text(ctx, draft, author, plan)
    if waited:
        text = msg("draft.sent_for_review", id=draft.id, title=draft.title,
                   version=draft.version, reviewer=reviewer.name,
                   messages=messages, chars=chars, pictures=pictures)
    elif draft.version > 1:
        text = msg("review.resubmitted", id=draft.id, version=draft.version,
                   reviewer=reviewer.name, chars=chars, pictures=pictures)
    else:
        account = await draft.account
        text = msg("review.submitted", id=draft.id, title=draft.title,
                   account=account_label(account), reviewer=reviewer.name,
                   chars=chars, pictures=pictures)
    return receipt_card(draft, f"{text}\n{route}")


# --- the join window --------------------------------------------------------------------

async def open_compose(person: Person) -> Compose | None:
    """The person's version still taking messages, locked (one joiner at a time)."""
    return await Compose.select_for_update().filter(
        author_id=person.id, closed_at__isnull=True, closes_at__gt=utcnow()
    ).order_by("-id").first()


async def _receiving(compose: Compose) -> Draft | None:
    draft = await load_draft(compose.draft_id, lock=True)
    if draft.state != DraftState.RECEIVING or draft.version != compose.version:
        return None
    return draft


async def _extend(ctx: HandlerContext, compose: Compose, *, message: bool) -> None:
    compose.closes_at = utcnow() + timedelta(seconds=ctx.settings.join_seconds)
    compose.messages += int(message)
    await compose.save(update_fields=["closes_at", "messages"])


def join(body: str, piece: str) -> str:
    """A platform may split a paste mid-sentence: glue such a piece on, else a new line."""
    return body + ("\n" if body.endswith(SENTENCE_ENDS) else "") + piece


async def append_text(ctx: HandlerContext, compose: Compose, draft: Draft, text: str) -> None:
    """More of the draft; an option line in it (`重要：是` sent last) counts, not as body."""
    found: dict[str, str] = {}
    piece = "\n".join(take_options(text.strip().splitlines(), found)).strip()
    if found:
        await _apply_options(ctx, draft, found)
        if not piece:
            await draft.save()
            await _extend(ctx, compose, message=True)
            await ctx.reply(ctx.text("route.options_taken", options=list(found.items())))
            return
    draft.body = join(draft.body, piece)
    await (draft.save() if found else draft.save(update_fields=["body", "updated_at"]))
    await DraftVersion.filter(draft_id=draft.id, version=draft.version).update(body=draft.body)
    await _extend(ctx, compose, message=True)
    await ctx.audit("draft.continued", f"draft:{draft.id}", version=draft.version,
                    chars=len(piece), total=len(draft.body))
    await ctx.reply(ctx.text("draft.joined", id=draft.id, chars=len(piece),
                             total=len(draft.body), messages=compose.messages))


@router.action(CLOSE)
async def on_compose_close(event: IncomingEvent, ctx: HandlerContext) -> None:
    """The join window of a version has passed (fed by bot/closer.py): review it now."""
    try:
        compose_id = int(ctx.args[0])
    except (IndexError, ValueError):
        raise DomainError("review.stale_card") from None
    person = ctx.require_person()
    compose = await Compose.select_for_update().get_or_none(id=compose_id)
    now = utcnow()
    if compose is None or compose.closed_at is not None or compose.closes_at > now:
        return
    ties = {"author"} if compose.author_id == person.id else set()
    await authz.check(ctx, "card:compose_close", None, relations=ties)
    compose.closed_at = now
    await compose.save(update_fields=["closed_at"])
    draft = await _receiving(compose)
    if draft is None:
        return
    try:
        await check_staffed(ctx, draft, person)
    except DomainError as exc:
        # the org changed while the draft came in: keep it for a later 修改 #N
        draft.state = DraftState.RETURNED
        await draft.save(update_fields=["state", "updated_at"])
        await ctx.reply(OutgoingText(exc.text() + msg("draft.kept_for_revise", id=draft.id)))
        return
    await close_version(ctx, draft, person, messages=compose.messages, waited=True)


async def due_composes(limit: int = 100) -> list[Compose]:
    """Versions whose join window has passed and that are not closed yet."""
    return await Compose.filter(closed_at__isnull=True, closes_at__lte=utcnow()) \
        .order_by("closes_at").limit(limit)


# --- questions ----------------------------------------------------------------------------

async def ask(person: Person, kind: str, *, account: Account | None = None,
              draft: Draft | None = None, file: StoredFile | None = None) -> Question:
    """Ask one thing at a time: an older open question of the same person lapses."""
    await _lapse(person)
    return await Question.create(person=person, kind=kind, account=account, draft=draft,
                                 file=file)


async def _lapse(person: Person) -> None:
    await Question.filter(person_id=person.id, answered_at__isnull=True,
                          kind__in=(ASK_ACCOUNT, ASK_DRAFT)).update(answered_at=utcnow())


async def open_question(person: Person) -> Question | None:
    """The newest question the person has not answered (map questions never lapse)."""
    since = utcnow() - timedelta(hours=QUESTION_HOURS)
    questions = await Question.select_for_update().filter(
        person_id=person.id, answered_at__isnull=True).order_by("-id").limit(5)
    for question in questions:
        if question.kind == ASK_MAP or question.asked_at > since:
            return question
    return None


async def _answered(question: Question, answer: str) -> None:
    question.answered_at, question.answer = utcnow(), answer[:2000]
    await question.save(update_fields=["answered_at", "answer"])


async def ask_for_draft(ctx: HandlerContext, author: Person, *, account: Account | None = None,
                        draft: Draft | None = None) -> None:
    """`投稿 账号` or `修改 #N` alone: the title and body (or a .docx) come next."""
    await ask(author, ASK_DRAFT, account=account, draft=draft)
    await ctx.reply(ctx.text("draft.ask_draft", id=draft.id if draft else None,
                             account=account_label(account) if account else ""))


async def _answer_draft(ctx: HandlerContext, person: Person, question: Question,
                        text: str) -> None:
    form = parse_draft_form(text.strip().splitlines())
    await _answered(question, form.title)
    if question.draft_id is not None:
        draft = await _revisable(person, question.draft_id)
        await revise_draft(ctx, person, draft, form)
        return
    account = await Account.get(id=question.account_id)
    await create_draft(ctx, person, account, form)


async def _answer_account(ctx: HandlerContext, person: Person, question: Question,
                          text: str) -> None:
    account = await find_account(text)
    if not await may_write_for(person, account):
        raise DomainError("review.not_editor", account=account_label(account))
    file = await StoredFile.get(id=question.file_id)
    parsed = await _parse(await load(ctx.settings, file))
    await _answered(question, account_label(account))
    await _from_docx(ctx, person, parsed, file, account=account)


async def _answer_map(ctx: HandlerContext, person: Person, question: Question,
                      text: str) -> None:
    """rule R-REV-9: the 审图号, 标准地图, or that the pictures hold no map."""
    answer = text.strip()
    if not (states_map_approval(answer) or STANDARD_MAP in answer
            or any(w in answer for w in NO_MAP_WORDS)):
        raise DomainError("draft.map_answer_usage", id=question.draft_id)
    assert question.draft_id is not None  # a map question is always about a draft
    draft = await load_draft(question.draft_id, lock=True)
    await _answered(question, answer)
    if draft.state != DraftState.HELD or draft.version != question.version:
        return
    await ctx.audit("draft.map_stated", f"draft:{draft.id}", version=draft.version,
                    statement=answer)
    plan = await start_review(ctx, draft, person)
    pictures = await picture_count(draft.id, draft.version)
    await ctx.reply(await _receipt(ctx, draft, person, plan, pictures, 1, waited=True))


ANSWERS = {ASK_DRAFT: _answer_draft, ASK_ACCOUNT: _answer_account, ASK_MAP: _answer_map}


@router.otherwise()
async def on_plain_text(event: IncomingEvent, ctx: HandlerContext) -> None:
    """Text that is no command: the answer to the bot's question, or more of a draft."""
    person = ctx.person
    if person is not None:
        question = await open_question(person)
        if question is not None:
            await ANSWERS[question.kind](ctx, person, question, event.text)
            return
        compose = await open_compose(person)
        draft = await _receiving(compose) if compose else None
        if compose is not None and draft is not None:
            await append_text(ctx, compose, draft, event.text)
            return
    raise unknown_command(event.text)


# --- files and pictures -------------------------------------------------------------------

@router.attachment()
async def on_file(event: IncomingEvent, ctx: HandlerContext) -> None:
    """A .docx (a draft) or a picture (for the draft being sent)."""
    person = ctx.require_person()
    upload = ctx.upload
    assert upload is not None
    kind = kind_of(upload)
    check_size(ctx.settings, kind, len(upload.data))
    if kind == IMAGE:
        await _picture(ctx, person, upload)
    else:
        await _docx(ctx, person, upload)


async def _picture(ctx: HandlerContext, person: Person, upload: Upload) -> None:
    compose = await open_compose(person)
    draft = await _receiving(compose) if compose else None
    if compose is None or draft is None:
        raise DomainError("draft.picture_no_draft", seconds=round(ctx.settings.join_seconds))
    stored = await store(ctx.settings, upload, IMAGE)
    seq = await picture_count(draft.id, draft.version) + 1
    await DraftFile.create(draft=draft, version=draft.version, kind=IMAGE, seq=seq, file=stored)
    await _extend(ctx, compose, message=False)
    await ctx.audit("draft.picture_added", f"draft:{draft.id}", version=draft.version, seq=seq,
                    sha256=stored.sha256, size=stored.size)
    await ctx.reply(ctx.text("draft.picture_added", id=draft.id, seq=seq))


async def _parse(data: bytes) -> DocxDraft:
    try:
        return await asyncio.to_thread(parse_docx, data)
    except DocxError as exc:
        raise DomainError(exc.key) from None


async def _revisable(person: Person, draft_id: int) -> Draft:
    draft = await load_draft(draft_id, lock=True)
    if not await authz.permits_draft(person, "修改", draft):
        raise DomainError("review.not_author", id=draft.id)
    if draft.state not in (DraftState.RETURNED, DraftState.WITHDRAWN):
        raise DomainError("review.not_returned", id=draft.id,
                          state=msg(f"state.{draft.state}"))
    return draft


async def _docx(ctx: HandlerContext, person: Person, upload: Upload) -> None:
    parsed = await _parse(upload.data)
    stored = await store(ctx.settings, upload, DOCX)
    question = await open_question(person)
    if question is not None and question.kind == ASK_DRAFT:
        await _answered(question, upload.name)
        if question.draft_id is not None:
            draft = await _revisable(person, question.draft_id)
            await _from_docx(ctx, person, parsed, stored, draft=draft)
            return
        asked = await Account.get(id=question.account_id)
        await _from_docx(ctx, person, parsed, stored, account=asked)
        return
    named = await _account_in_name(person, upload.name)
    if named is not None:
        await _from_docx(ctx, person, parsed, stored, account=named)
        return
    await ask(person, ASK_ACCOUNT, file=stored)
    await ctx.audit("draft.file_received", f"person:{person.id}", name=upload.name[:120],
                    sha256=stored.sha256, size=stored.size)
    choices = [account_label(a) for a in await writable_accounts(person)]
    await ctx.reply(ctx.text("draft.ask_account", title=parsed.title, choices=choices,
                             chars=len(parsed.body), pictures=len(parsed.pictures)))


async def _account_in_name(person: Person, name: str) -> Account | None:
    """The one account the sender may write for whose name the file name contains."""
    found = [a for a in await writable_accounts(person) if a.name in name]
    return found[0] if len(found) == 1 else None


async def _from_docx(ctx: HandlerContext, person: Person, parsed: DocxDraft, file: StoredFile,
                     *, account: Account | None = None, draft: Draft | None = None) -> None:
    form = parse_draft_form([parsed.title, *parsed.lines])
    for picture in parsed.pictures:
        check_size(ctx.settings, IMAGE, len(picture.data))
    pictures = [await store(ctx.settings, Upload(p.name, p.data), IMAGE)
                for p in parsed.pictures]
    if draft is not None:
        await revise_draft(ctx, person, draft, form, source=file, pictures=pictures)
        return
    assert account is not None
    if not await may_write_for(person, account):
        raise DomainError("review.not_editor", account=account_label(account))
    await create_draft(ctx, person, account, form, source=file, pictures=pictures)
