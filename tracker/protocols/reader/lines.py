"""The text as lines: markup and control characters removed, table cells split, letter-spaced
words joined («П Р И К А З» -> «ПРИКАЗ»), sub-items written inside a line put on their own
(«2. Заведующим ДОУ: 2.1. Провести …» -> two lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.protocols.matching import fold

MAX_TEXT = 2_000_000  # characters read; a protocol is a few dozen kilobytes

_MARKUP = re.compile(
    r"\*\*|__|</?(?:b|i|u|em|strong|span|p|br|font|sup|sub)\b[^>]*>|\[bookmark:[^\]]*\]",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
# Four or more single letters with single spaces between them: «Р Е Ш И Л», «п р и к а з».
_SPACED = re.compile(r"(?<![\w.])(?:[А-ЯЁа-яё] ){3,}[А-ЯЁа-яё](?![\w.])")
_LIST_TAB = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*[.)]?|[а-я]\)|[-–—•·])\t")
_PIPE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_LEADING_NUMBER = re.compile(r"^([1-9]\d?)(?:\.[1-9]\d?)*[.)]?\s")
_INLINE_ITEM = re.compile(r"(?<=[:;.])\s+(?=([1-9]\d?(?:\.[1-9]\d?)+)\.?\s+[А-ЯЁа-яё«])")
# «… 1. Провести … 2. Руководителям …»: the next top-level number inside the line
_INLINE_TOP = re.compile(r"(?<=[:;.])\s+(?=([1-9]\d?)(?:\.\s+[А-ЯЁ«]|\)\s+[А-ЯЁа-яё«]))")
# «п. 2. Положения», «ст. 3.»: a reference, not the next item
_REFERENCE_BEFORE = re.compile(r"(?:^|\s)(?:п|пп|ст|ч|гл|разд|прил|абз|подп|стр|рис|табл|№)\.?\s*$")
# «… слушали Горину Н.П. Решили: рекомендовать …»: a cue of the directives inside the line
_INLINE_CUE = re.compile(
    r"(?<=[.!?])\s+(?=(?:решили|постановили|решение|приказываю|постановляю)\s*:)", re.IGNORECASE
)


@dataclass
class Line:
    text: str  # markup removed, whitespace collapsed
    cells: list[str]  # table cells (tab- or «|»-separated) as written, stripped; empty ones kept
    wide_gap: bool  # a tab or 3+ spaces between words: the layout of a signature

    @property
    def folded(self) -> str:
        return fold(self.text)


def plain(text: str) -> Line:
    """A line made from words already cleaned (the rest of a cue line)."""
    return Line(text, [text], False)


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for raw in text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # tabs at the ends are empty table cells: only spaces are stripped
        raw = _MARKUP.sub("", _CONTROL.sub("", raw)).replace("\u00a0", " ").strip(" ")
        raw = re.sub(r"^#{1,6}\s+", "", raw)
        raw = _SPACED.sub(lambda m: m.group().replace(" ", ""), raw)
        if raw.count("\t") == 1:
            raw = _LIST_TAB.sub(r"\1 ", raw)  # «2.<tab>Текст» pasted from a Word list
        if _PIPE_RULE.match(raw):
            raw = ""
        for part in _INLINE_CUE.split(raw):
            for piece in _inline_items(part):
                lines.append(_line(piece))
    return _numbers_joined(lines)


_NUMBER_ONLY = re.compile(r"^(?:[1-9]\d?(?:\.[1-9]\d?)*[.)]?|[а-я]\))$")


def _numbers_joined(lines: list[Line]) -> list[Line]:
    """«1.» alone on a line and the measure on the next (a table pasted from a PDF, a cell per
    line) are one item: «1. Проведение семинара»."""
    joined: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None and line.text:
            if line.text[:1].isalpha() or line.text[:1] in '«"':
                line = _line(f"{pending.text} {line.text}")
            else:
                joined.append(pending)
            pending = None
        if _NUMBER_ONLY.match(line.text) and len(line.cells) == 1:
            pending = line
            continue
        joined.append(line)
    if pending is not None:
        joined.append(pending)
    return joined


def _line(raw: str) -> Line:
    if raw.startswith("|") and raw.endswith("|") and raw.count("|") >= 3:
        cells = [" ".join(cell.split()) for cell in raw[1:-1].split("|")]
        return Line(" ".join(c for c in cells if c), cells, False)
    cells = [" ".join(cell.split()) for cell in raw.split("\t")]
    return Line(
        text=" ".join(raw.split()),
        cells=cells,
        wide_gap=bool(re.search(r"\S(?: {3,}|\t)\S", raw)),
    )


def _inline_items(raw: str) -> list[str]:
    """«2. Заведующим ДОУ: 2.1. Провести … 2.2. Обеспечить …» -> the item and its sub-items;
    «ПРИКАЗЫВАЮ: 1. Провести … 2. Обеспечить …» -> the cue and the items.

    Only numbers under the line's own leading number, or the next top-level numbers in turn,
    are split off, so a date («до 30.06.2020.») or a reference («пункт 3.2 приказа», «п. 2.»)
    stays in the text."""
    if "\t" in raw.strip():
        return [raw]  # a table row
    pieces = _split_top(raw)
    return [piece for part in pieces for piece in _split_sub(part)]


def _split_top(raw: str) -> list[str]:
    leading = _LEADING_NUMBER.match(raw)
    expected = int(leading.group(1)) + 1 if leading and "." not in leading.group(0)[:-2] else 1
    pieces = []
    start = 0
    for match in _INLINE_TOP.finditer(raw):
        if int(match.group(1)) != expected or _REFERENCE_BEFORE.search(raw[: match.start()]):
            continue
        pieces.append(raw[start : match.start()].strip())
        start = match.end()
        expected += 1
    pieces.append(raw[start:].strip())
    return [p for p in pieces if p] or [raw]


def _split_sub(raw: str) -> list[str]:
    leading = _LEADING_NUMBER.match(raw)
    if leading is None:
        return [raw]
    prefix = leading.group(1) + "."
    pieces = []
    start = 0
    for match in _INLINE_ITEM.finditer(raw):
        if match.group(1).startswith(prefix):
            pieces.append(raw[start : match.start()].strip())
            start = match.end()
    pieces.append(raw[start:].strip())
    return [p for p in pieces if p] or [raw]
