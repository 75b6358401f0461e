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


def _chars(old: str, new: str) -> list[Piece]:
    pieces: list[Piece] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece(SAME, old[i1:i2]))
            continue
        if i2 > i1:
            pieces.append(Piece(DEL, old[i1:i2]))
        if j2 > j1:
            pieces.append(Piece(INS, new[j1:j2]))
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
