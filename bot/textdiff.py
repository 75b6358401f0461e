"""What changed between two versions of a draft: insertions and deletions, by character.

Lines are matched first (a paragraph moved or untouched stays one piece), then the lines
that differ are compared character by character, which is what a Chinese text needs
(there are no spaces between words to diff on). Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

SAME, INS, DEL = "same", "ins", "del"


@dataclass(frozen=True)
class Piece:
    op: str  # same | ins | del
    text: str


@dataclass(frozen=True)
class Change:
    inserted: int  # characters added (line breaks not counted)
    deleted: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


SHORT_MATCH = 2  # a match this short between two changes reads as noise ("1→023…")


def _chars(old: str, new: str) -> list[Piece]:
    """Character pieces; short matches inside a change are folded into it, so a rewritten
    phrase shows as one deletion and one insertion rather than interleaved scraps."""
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    pieces: list[Piece] = []
    deleted, inserted = "", ""
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        inside = 0 < n < len(ops) - 1 and (deleted or inserted)
        if tag == "equal" and not (inside and i2 - i1 <= SHORT_MATCH):
            pieces.extend(p for p in (Piece(DEL, deleted), Piece(INS, inserted)) if p.text)
            deleted, inserted = "", ""
            pieces.append(Piece(SAME, old[i1:i2]))
            continue
        deleted += old[i1:i2]
        inserted += new[j1:j2]
    pieces.extend(p for p in (Piece(DEL, deleted), Piece(INS, inserted)) if p.text)
    return pieces


def diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn `old` into `new`; adjacent pieces of one kind are merged."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            pieces.append(Piece(SAME, before))
        elif tag == "replace":
            pieces.extend(_chars(before, after))
        elif tag == "delete":
            pieces.append(Piece(DEL, before))
        else:
            pieces.append(Piece(INS, after))
    return _merged(pieces)


def _merged(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].op == piece.op:
            merged[-1] = Piece(piece.op, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return merged


def _count(text: str) -> int:
    return sum(1 for c in text if c not in "\r\n")


def change(pieces: list[Piece]) -> Change:
    return Change(inserted=sum(_count(p.text) for p in pieces if p.op == INS),
                  deleted=sum(_count(p.text) for p in pieces if p.op == DEL))


@dataclass(frozen=True)
class DiffLine:
    """One line of the compared text, or (pieces empty) a run of `skipped` unchanged lines."""

    pieces: tuple[Piece, ...] = ()
    skipped: int = 0


def changed_lines(pieces: list[Piece]) -> list[DiffLine]:
    """The lines that changed, in order; each run of unchanged lines becomes one gap.

    A reviewer of a returned draft wants what changed, not the whole text a second time.
    """
    lines: list[list[Piece]] = [[]]
    for piece in pieces:
        for i, part in enumerate(piece.text.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append(Piece(piece.op, part))
    out: list[DiffLine] = []
    for line in lines:
        if any(p.op != SAME for p in line):
            out.append(DiffLine(tuple(line)))
        elif line:  # blank lines are not counted as skipped paragraphs
            if out and out[-1].skipped:
                out[-1] = DiffLine(skipped=out[-1].skipped + 1)
            else:
                out.append(DiffLine(skipped=1))
    return out
