"""The table of a school's road map (дорожная карта / план мероприятий) read into actions.

Import is three steps, so that the user can correct the guess in between:
``roadmaps.reading.read_table`` (the rows of the plan's table in an .xlsx or .docx, every cell a
string), then here ``guess_mapping`` (which row is the header and which column holds which field)
and ``parse_rows`` (one DraftAction per data row; unreadable rows are kept with their errors).
The export of a plan is in ``roadmaps.export``.

Pure logic: no Flask request, no database session. Messages are in the reader's language within
a request and in Russian elsewhere (tracker.core.i18n, imported only when a message is made).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import Deadline, DeadlineError

HEADER_SCAN_ROWS = 20  # an «УТВЕРЖДАЮ» block and a title may stand above the header

# Field → label for the column mapping; "" leaves the column out.
FIELDS: dict[str, str] = {
    "number": "№",
    "text": "Мероприятие",
    "deadline": "Срок",
    "responsible": "Ответственный",
    "expected_result": "Ожидаемый результат",
    "indicator": "Показатель",
    "target_value": "Целевое значение",
    "resources": "Ресурсы",
    "": "не загружать",
}
_FIELD_NAMES = tuple(name for name in FIELDS if name)
_POSITIONAL = ("number", "text", "deadline", "responsible", "expected_result")
MAX_NUMBER_CHARS = 40  # RoadMapAction.number
MAX_TARGET_CHARS = 100  # RoadMapAction.target_value


class RoadMapImportError(ValueError):
    """The upload or the chosen columns cannot be read; the message says what to do instead."""


def _(text: str, /, **values: object) -> str:
    """Translate through tracker.core.i18n, imported on use: this module stays free of Flask."""
    from tracker.core.i18n import _ as translate

    return translate(text, **values)


def clean_cell(value: str) -> str:
    """One cell: line breaks kept, spaces inside each line collapsed, blank lines dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    lines = (" ".join(line.split()) for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


# --- columns -----------------------------------------------------------------------------------

_NUMBER_HEADER = re.compile(
    r"(?:№|#|номер).*|(?:n|no|nn)\.?(?:\s*п\s*/\s*п\.?)?|п\s*/\s*п\.?|n\s*п\.?\s*п\.?"
)
# Word stems that name a field in a header cell. The field whose stem comes first in the cell
# wins («Ожидаемый результат (показатель)» is a result, «Показатель результативности» an
# indicator); weak stems only count when no other stem is in the cell.
_STEMS: dict[str, tuple[str, ...]] = {
    "text": ("мероприят", "действи", "наименовани", "содержани"),
    "deadline": ("срок", "дата", "период"),
    "responsible": ("ответствен", "исполнител"),
    "expected_result": ("результат", "продукт"),
    "indicator": ("показател", "индикатор"),
    "target_value": ("целев", "значени"),
    "resources": ("ресурс", "финансир"),
}
_WEAK_STEMS = {"наименовани", "содержани"}
_STEM_PATTERNS = [
    (name, stem, re.compile(r"(?<!\w)" + stem)) for name, stems in _STEMS.items() for stem in stems
]
# Second header rows under a merged header cell: «наименование | значение», «план | факт».
_SUBHEADER_WORDS = {"наименование", "значение", "начало", "окончание", "план", "факт"}
_MAX_HEADER_CELL = 80


def _fold(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.lower().replace("ё", "е").split())


def _header_fields(cell: Any) -> list[str]:
    """The fields a header cell may name, best first."""
    text = _fold(cell)
    if not text or len(text) > _MAX_HEADER_CELL:
        return []
    if _has_digit(text):
        return []  # header words carry no digits; «до 01.03.2023» and «№ 5» are data
    if _NUMBER_HEADER.fullmatch(text):
        return ["number"]
    strong: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    for name, stem, pattern in _STEM_PATTERNS:
        match = pattern.search(text)
        if match:
            (weak if stem in _WEAK_STEMS else strong).append((match.start(), name))
    ordered = [name for _pos, name in sorted(strong)] + [name for _pos, name in sorted(weak)]
    return list(dict.fromkeys(ordered))


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _first_unused(cell: Any, used: set[str]) -> str:
    """The best field the header cell names that no column has yet ("" if none); taken."""
    name = next((name for name in _header_fields(cell) if name not in used), "")
    if name:
        used.add(name)
    return name


def _assign(row: Sequence[Any], width: int) -> list[str]:
    used: set[str] = set()
    mapping = [_first_unused(cell, used) for cell in row[:width]]
    return mapping + [""] * (width - len(mapping))


def _width(rows: Sequence[Sequence[Any]]) -> int:
    return max((len(row) for row in rows), default=0)


def guess_mapping(rows: Sequence[Sequence[str]]) -> tuple[int, list[str]]:
    """(index of the header row, one field name or "" per column).

    The header is the row among the first ones whose cells name the most fields (two at
    least); each field goes to the first column that names it. Without a header:
    (-1, № / Мероприятие / Срок / Ответственный / Ожидаемый результат by position).
    """
    width = _width(rows)
    best = _header_row(rows, width)
    if best < 0:
        return -1, [(_POSITIONAL[i] if i < len(_POSITIONAL) else "") for i in range(width)]
    header = list(rows[best]) + [""] * (width - len(rows[best]))
    mapping = _assign(header, width)
    if best + 1 < len(rows) and _is_subheader(rows[best + 1], mapping):
        # A two-level header: the columns under a merged header cell are named one row down.
        used = set(mapping)
        for index, cell in enumerate(list(rows[best + 1])[:width]):
            if not header[index] and not mapping[index]:
                mapping[index] = _first_unused(cell, used)
    return best, mapping


def _header_row(rows: Sequence[Sequence[str]], width: int) -> int:
    """The row among the first ones whose cells name the most fields (two at least), or -1."""
    best, best_score = -1, 1
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for name in _assign(row, width) if name)
        if score > best_score:
            best, best_score = index, score
    return best


def _is_subheader(row: Sequence[Any], mapping: Sequence[str]) -> bool:
    cells = [_fold(cell) for cell in row]
    filled = [cell for cell in cells if cell]
    if len(filled) < 2 or not all(_header_like(c) for c in filled):
        return False
    if _text_given(cells, mapping):
        return False
    return any(cell in _SUBHEADER_WORDS or _header_fields(cell) for cell in filled)


def _header_like(cell: str) -> bool:
    return len(cell) <= _MAX_HEADER_CELL and not _has_digit(cell)


def _text_given(cells: list[str], mapping: Sequence[str]) -> bool:
    """The row has something in the column mapped to the action's text."""
    if "text" not in mapping:
        return False
    column = list(mapping).index("text")
    return column < len(cells) and bool(cells[column])


def _is_column_numbers(row: Sequence[str]) -> bool:
    """«1 | 2 | 3 | 4 | 5»: the columns numbered under the header."""
    filled = [(index, cell) for index, cell in enumerate(row) if cell]
    if len(filled) < 2 or not all(cell.isdigit() for _i, cell in filled):
        return False
    values = [int(cell) for _i, cell in filled]
    return values == list(range(values[0], values[0] + len(values))) and values[0] <= 2


def _check_mapping(mapping: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(mapping, start=1):
        if not name:
            continue
        if name not in _FIELD_NAMES:
            raise RoadMapImportError(
                _("Неизвестное поле «%(name)s» в столбце %(column)s.", name=name, column=index)
            )
        if name in seen:
            raise RoadMapImportError(
                _(
                    "«%(label)s» выбрано для двух столбцов (%(first)s и %(second)s): оставьте "
                    "его у одного.",
                    label=FIELDS[name],
                    first=seen[name],
                    second=index,
                )
            )
        seen[name] = index
    if "text" not in seen:
        raise RoadMapImportError(_("Укажите, в каком столбце мероприятие."))


# --- rows --------------------------------------------------------------------------------------


@dataclass
class DraftAction:
    """One data row of an imported table, as it would become a RoadMapAction."""

    row: int  # 1-based position of the row in the table read_table returned
    number: str = ""
    text: str = ""
    deadline_text: str = ""
    deadline: Deadline | None = None  # None when the words cannot be read (see errors)
    responsible: str = ""
    expected_result: str = ""
    indicator: str = ""
    target_value: str = ""
    resources: str = ""
    level: int = 0  # 0 = top
    heading: bool = False  # a section title such as «1. Организационные мероприятия»
    errors: list[str] = field(default_factory=list)


# «1.», «1.1», «1.1.1.» or «I.» in front of the text.
_LEADING_NUMBER = re.compile(
    r"(?P<number>\d{1,3}(?:\.\d{1,3}){1,3}\.?|\d{1,3}\.|[IVXLC]{1,6}\.)\s+(?P<text>\S.*)", re.DOTALL
)
_BULLET = re.compile(r"(?:[-–—•·*▪○]|[а-яa-z]\))\s*")


def _split_number(text: str) -> tuple[str, str]:
    match = _LEADING_NUMBER.fullmatch(text)
    if match:
        return plain_number(match["number"]), match["text"].strip()
    return "", text


def plain_number(number: str) -> str:
    """«1.1.» → «1.1», «а)» → «а»."""
    return " ".join(number.split()).rstrip(".)").strip()


def number_depth(number: str | None) -> int | None:
    """«1» → 0, «1.1» → 1, «1.1.1» → 2, «II» → 0; None for anything else."""
    plain = plain_number(number or "")
    if re.fullmatch(r"\d+(?:\.\d+)*", plain):
        return plain.count(".")
    if re.fullmatch(r"[IVXLC]+", plain):
        return 0
    return None


def parse_rows(
    rows: Sequence[Sequence[str]],
    header_index: int,
    mapping: Sequence[str],
    *,
    today: date | None = None,
) -> list[DraftAction]:
    """One DraftAction per data row after the header; rows that cannot be read are kept with
    their errors. Repeated header rows and a row of column numbers are skipped."""
    _check_mapping(mapping)
    if not -1 <= header_index < len(rows):
        raise RoadMapImportError(_("Строка заголовка указана неверно: выберите файл ещё раз."))
    width = max(_width(rows), len(mapping))
    fields = list(mapping) + [""] * (width - len(mapping))
    text_column = fields.index("text")
    table = [
        ["" if cell is None else clean_cell(str(cell)) for cell in row] + [""] * (width - len(row))
        for row in rows
    ]
    header = _fold_row(table[header_index]) if header_index >= 0 else None

    drafts: list[DraftAction] = []
    anchor: DraftAction | None = None  # the last row that is not a bullet under another
    for index in range(header_index + 1, len(table)):
        cells = table[index]
        first = index == header_index + 1
        if not any(cells) or _not_data(cells, header, fields, first):
            continue
        draft = _draft(index + 1, cells, fields, text_column, today)
        if not _place(draft, anchor):
            anchor = draft
        drafts.append(draft)
    return drafts


def _not_data(cells: list[str], header: list[str] | None, fields: list[str], first: bool) -> bool:
    """The header repeated on the next page, a row of column numbers, or (right under the
    header) a second header row."""
    if header is not None and _fold_row(cells) == header:
        return True
    if _is_column_numbers(cells):
        return True
    return first and header is not None and _is_subheader(cells, fields)


def _place(draft: DraftAction, anchor: DraftAction | None) -> bool:
    """Set the draft's level from its number, or from the last row that is no bullet
    (`anchor`); True if the draft is a bullet («а)», «-», «•»: an item under the row before,
    not a sibling of it)."""
    depth = number_depth(draft.number) if draft.number else None
    bullet = (
        depth is None
        and not draft.heading
        and (bool(draft.number) or bool(_BULLET.match(draft.text)))
    )
    if depth is not None:
        draft.level = depth
    elif draft.heading or anchor is None:
        draft.level = 0
    elif bullet or anchor.heading:
        draft.level = anchor.level + 1
    else:
        draft.level = anchor.level
    return bullet


def _fold_row(row: Sequence[str]) -> list[str]:
    folded = [_fold(cell) for cell in row]
    while folded and not folded[-1]:
        folded.pop()
    return folded


def _draft(
    row_number: int,
    cells: list[str],
    fields: list[str],
    text_column: int,
    today: date | None,
) -> DraftAction:
    values = dict.fromkeys(_FIELD_NAMES, "")
    for column, name in enumerate(fields):
        if name:
            values[name] = cells[column]
    number, text, heading = _heading(cells, fields, text_column, values["number"], values["text"])
    if not number and text:
        number, text = _split_number(text)

    draft = DraftAction(
        row=row_number,
        number=plain_number(number),
        text=text,
        deadline_text=" ".join(values["deadline"].split()),
        responsible=values["responsible"],
        expected_result=values["expected_result"],
        indicator=values["indicator"],
        target_value=values["target_value"],
        resources=values["resources"],
        heading=heading,
    )
    try:
        draft.deadline = parse_deadline(draft.deadline_text, today=today)
    except DeadlineError as error:
        draft.errors.append(str(error))
    _check_draft(draft)
    return draft


def _heading(
    cells: list[str], fields: list[str], text_column: int, number: str, text: str
) -> tuple[str, str, bool]:
    """(number, text, is a section heading) of a row: one text across the row (often merged)
    is a heading wherever its cell is, and so is a row of a number and a text only."""
    filled = [column for column, cell in enumerate(cells) if cell]
    if _one_text_across(filled, fields, text_column):
        split_number, split_text = _split_number(cells[filled[0]])
        # A bare «5» is a number without its action, «- посещаемости» an item of a list.
        if number_depth(split_text) is None and not _BULLET.match(split_text):
            return split_number, split_text, True
        return number, text, False
    return number, text, bool(number and text and len(filled) == 2)


def _one_text_across(filled: list[int], fields: list[str], text_column: int) -> bool:
    """One cell filled: the number's or the text's, or one left of the text outside any field."""
    if len(filled) != 1:
        return False
    field = fields[filled[0]]
    return field in ("number", "text") or (not field and filled[0] < text_column)


def _check_draft(draft: DraftAction) -> None:
    if not draft.text:
        draft.errors.insert(0, _("Не указано мероприятие."))
    if len(draft.number) > MAX_NUMBER_CHARS:
        draft.errors.append(_("Номер длиннее %(n)s знаков: сократите его.", n=MAX_NUMBER_CHARS))
    if len(draft.target_value) > MAX_TARGET_CHARS:
        draft.errors.append(
            _(
                "Целевое значение длиннее %(n)s знаков: сократите его или перенесите в "
                "«Ожидаемый результат».",
                n=MAX_TARGET_CHARS,
            )
        )
