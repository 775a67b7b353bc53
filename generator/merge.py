"""Three-way merge of text by lines (diff3): a hand edit of a generated file re-applied to the file
as clientgen now generates it, with the previous generated text as the common base.

Where the edit and the regeneration changed the same lines differently, both are kept between
conflict markers (git's diff3 style, so editors and ``git mergetool`` recognise them).
"""

from __future__ import annotations

from difflib import SequenceMatcher

OURS_MARKER = "<<<<<<< your edit"
BASE_MARKER = "||||||| generated before"
SPLIT_MARKER = "======="
THEIRS_MARKER = ">>>>>>> generated now"


def merge3(base: str, ours: str, theirs: str) -> tuple[str, int]:
    """``ours`` (the edited file) with the changes from ``base`` to ``theirs`` (the old and the new
    generated text) applied; and the number of conflicting regions, each written between markers."""
    old, mine, new = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    in_mine, in_new = _matched(old, mine), _matched(old, new)
    merged: list[str] = []
    conflicts = 0
    i = j = k = 0  # the next line of base, ours and theirs
    while True:
        sync = _next_stable(i, j, k, len(old), in_mine, in_new)
        if sync is None:
            conflicts += _resolve(old[i:], mine[j:], new[k:], merged)
            break
        if sync == i and in_mine[i] == j and in_new[i] == k:
            merged.append(old[i])  # unchanged on both sides
        else:
            conflicts += _resolve(old[i:sync], mine[j : in_mine[sync]], new[k : in_new[sync]], merged)
            merged.append(old[sync])
        i, j, k = sync + 1, in_mine[sync] + 1, in_new[sync] + 1
    return "".join(merged), conflicts


def _matched(base: list[str], other: list[str]) -> dict[int, int]:
    """base line -> the line of ``other`` it is matched with (lines neither side changed)."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return {a + n: b + n for a, b, size in matcher.get_matching_blocks() for n in range(size)}


def _next_stable(i: int, j: int, k: int, end: int, in_mine: dict[int, int], in_new: dict[int, int]) -> int | None:
    """The first base line from ``i`` on that both sides kept, after where each side stands."""
    for line in range(i, end):
        if line in in_mine and line in in_new and in_mine[line] >= j and in_new[line] >= k:
            return line
    return None


def _resolve(base: list[str], ours: list[str], theirs: list[str], merged: list[str]) -> int:
    """One region between stable lines: taken from the side that changed it, or a conflict (1)."""
    if ours == theirs or theirs == base:
        merged += ours
        return 0
    if ours == base:
        merged += theirs
        return 0
    for marker, lines in ((OURS_MARKER, ours), (BASE_MARKER, base), (SPLIT_MARKER, theirs)):
        merged.append(marker + "\n")
        merged += _ended(lines)
    merged.append(THEIRS_MARKER + "\n")
    return 1


def _ended(lines: list[str]) -> list[str]:
    """The region's lines, the last one ended, so a marker after it starts a line of its own."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines
