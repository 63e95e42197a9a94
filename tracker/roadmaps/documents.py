"""The table of a school's road map (дорожная карта / план мероприятий): import and export.

Pure logic: no Flask request, no database session. Messages are in the reader's language within
a request and in Russian elsewhere (tracker.core.i18n, imported only when a message is made).

Import is three steps, so that the user can correct the guess in between:
``read_table`` (the rows of the plan's table in an .xlsx or .docx, every cell a string),
``guess_mapping`` (which row is the header and which column holds which field) and
``parse_rows`` (one DraftAction per data row; unreadable rows are kept with their errors).

Export: ``road_map_xlsx`` and ``road_map_docx`` lay the plan out as schools print it: the
«УТВЕРЖДАЮ» block top right, the centred title, then the table. They read attributes only, so
they also work on transient objects (defaults SQLAlchemy fills in on flush may be None there).
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tracker.core import office
from tracker.core.deadlines import Deadline, DeadlineError, parse_deadline
from tracker.roadmaps.models import ActionStatus, RoadMapStatus

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from tracker.roadmaps.models import RoadMap, RoadMapAction

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 3000
MAX_COLUMNS = 40
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


def _accepted(message: str) -> str:
    """The message followed by what may be uploaded instead."""
    return (
        message
        + " "
        + _("Загрузите план мероприятий таблицей в формате .xlsx (Excel) или .docx (Word).")
    )


# --- reading a file ----------------------------------------------------------------------------

_IMAGE_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"}


def read_table(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> list[list[str]]:
    """The rows of the plan's table in an .xlsx or .docx, every cell a stripped string.

    XLSX: the first worksheet that looks like a plan (else the first with data); a merged cell
    gives its value in its top-left cell only. DOCX: the first table that looks like a plan
    (else the largest); a cell merged across columns is one value followed by empty strings,
    one merged down a column repeats its value in every row. Empty rows are dropped and every
    row is padded to the same width. Raises RoadMapImportError with what to upload instead.
    """
    if not isinstance(data, bytes | bytearray):
        raise RoadMapImportError(_accepted(_("Файл не получен.")))
    data = bytes(data)
    if len(data) > max_bytes:
        raise RoadMapImportError(
            _(
                "Файл больше %(size)s. Оставьте в нём только таблицу плана мероприятий (без "
                "картинок и лишних листов) и загрузите его в формате .xlsx или .docx.",
                size=_size_label(max_bytes),
            )
        )
    if not data.strip():
        raise RoadMapImportError(_accepted(_("Файл пуст.")))
    suffix = PurePath(filename or "").suffix.lower()

    # What the bytes are wins over what the name says.
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _from_package(data, suffix)
    if data.startswith(b"%PDF") or suffix == ".pdf":
        raise RoadMapImportError(
            _(
                "PDF не читается: загрузите исходную таблицу плана в формате .xlsx (Excel) "
                "или .docx (Word)."
            )
        )
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix in (".xls", ".doc"):
        raise RoadMapImportError(
            _(
                "Файл в старом формате Excel или Word (.xls, .doc) либо защищён паролем. "
                "Откройте его, снимите пароль, если он есть, и сохраните как .xlsx («Книга "
                "Excel») или .docx («Документ Word»)."
            )
        )
    if data.startswith(b"{\\rtf") or suffix == ".rtf":
        raise RoadMapImportError(
            _("Файлы .rtf не читаются: сохраните документ в Word как .docx и загрузите его.")
        )
    if (
        data.startswith(_IMAGE_SIGNATURES)
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or suffix in _IMAGE_SUFFIXES
    ):
        raise RoadMapImportError(_accepted(_("Это изображение, а не таблица.")))
    if suffix in (".csv", ".tsv", ".txt"):
        raise RoadMapImportError(
            _(
                "Файлы %(suffix)s не загружаются: откройте файл в Excel и сохраните его как "
                ".xlsx («Книга Excel»).",
                suffix=suffix,
            )
        )
    if suffix in (".xlsx", ".xlsm", ".docx"):
        raise RoadMapImportError(_damaged())
    if suffix in (".ods", ".odt"):
        raise RoadMapImportError(_opendocument())
    if suffix:
        raise RoadMapImportError(
            _accepted(_("Формат «%(suffix)s» не поддерживается.", suffix=suffix))
        )
    raise RoadMapImportError(_accepted(_("Формат файла не распознан.")))


MAX_CELL_CHARS = 20_000
MAX_POSTED_CHARS = 8 * 1024 * 1024  # the table as the mapping step posts it back, as JSON


def posted_table(raw: str, header: str | None) -> tuple[list[list[str]], int]:
    """The table the mapping step posts back, held to the limits of a file read by
    `read_table`: a hand-made post cannot make the server hold more than an upload could."""
    too_big = _(
        "Таблица больше, чем принимается из файла (не больше %(rows)s строк и %(columns)s "
        "столбцов). Загрузите файл ещё раз.",
        rows=MAX_ROWS,
        columns=MAX_COLUMNS,
    )
    if len(raw) > MAX_POSTED_CHARS:
        raise RoadMapImportError(too_big)
    try:
        table = json.loads(raw)
        header_index = int(header if header not in (None, "") else -1)
    except (ValueError, TypeError, RecursionError):
        raise RoadMapImportError(_("Таблица не прочитана: загрузите файл ещё раз.")) from None
    if not isinstance(table, list) or not all(
        isinstance(row, list) and all(isinstance(cell, str) for cell in row) for row in table
    ):
        raise RoadMapImportError(_("Таблица не прочитана: загрузите файл ещё раз."))
    if (
        len(table) > MAX_ROWS
        or any(len(row) > MAX_COLUMNS for row in table)
        or any(len(cell) > MAX_CELL_CHARS for row in table for cell in row)
    ):
        raise RoadMapImportError(too_big)
    return table, header_index


def _size_label(size: int) -> str:
    mb = 1024 * 1024
    if size >= mb:
        return f"{size / mb:g} МБ"
    return f"{max(1, math.ceil(size / 1024))} КБ"


def _damaged() -> str:
    return _accepted(
        _(
            "Файл повреждён или не является таблицей Excel или документом Word: похоже, это "
            "другой файл с изменённым расширением."
        )
    )


def _opendocument() -> str:
    return _(
        "Файлы OpenDocument (.ods, .odt) не загружаются: сохраните таблицу как .xlsx или "
        "документ как .docx и загрузите его."
    )


def _from_package(data: bytes, suffix: str) -> list[list[str]]:
    try:
        names = office.part_names(data)
    except office.OfficeFileError as error:
        if error.too_large:
            raise RoadMapImportError(
                _(
                    "Файл слишком большой после распаковки. Оставьте в нём только таблицу плана "
                    "мероприятий и загрузите его ещё раз."
                )
            ) from None
        raise RoadMapImportError(_damaged()) from None
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        rows = _from_xlsx(data)
    elif "word/document.xml" in names or any(n.startswith("word/") for n in names):
        rows = _from_docx(data)
    elif "content.xml" in names:
        raise RoadMapImportError(_opendocument())
    elif any(n.startswith("ppt/") for n in names):
        raise RoadMapImportError(_accepted(_("Это презентация, а не таблица.")))
    else:
        raise RoadMapImportError(_damaged())
    if len(rows) < 2:
        raise RoadMapImportError(
            _(
                "В таблице меньше двух строк: нужны строка заголовка («№», «Мероприятие», "
                "«Срок», «Ответственный», «Результат») и хотя бы одно мероприятие."
            )
        )
    return rows


def _clean_text(value: str) -> str:
    """One cell: line breaks kept, spaces inside each line collapsed, blank lines dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    lines = (" ".join(line.split()) for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{round(value, 10):.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else repr(value)


def _xlsx_cell_text(value: Any, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float):
        if "%" in number_format:
            return _number_text(value * 100) + "%"
        return _number_text(float(value)) if isinstance(value, float) else str(value)
    return _clean_text(str(value))


class _Collector:
    """Rows of one table: empty rows dropped, trailing empty cells trimmed, size limited."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, cells: list[str]) -> None:
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            return
        if len(self.rows) >= MAX_ROWS:
            raise RoadMapImportError(
                _(
                    "В таблице больше %(rows)s строк. Загрузите только план мероприятий.",
                    rows=MAX_ROWS,
                )
            )
        self.rows.append(cells)

    def table(self) -> list[list[str]]:
        """The rows padded to one width, empty columns on the left cut off."""
        width = max((len(row) for row in self.rows), default=0)
        skip = min((next(i for i, c in enumerate(row) if c) for row in self.rows), default=0)
        return [row[skip:] + [""] * (width - len(row)) for row in self.rows]


def _looks_like_plan(rows: list[list[str]]) -> bool:
    header, mapping = guess_mapping(rows)
    return header >= 0 and "text" in mapping


def _from_xlsx(data: bytes) -> list[list[str]]:
    try:
        workbook = office.xlsx_workbook(data)
    except Exception:  # openpyxl raises many kinds on a damaged package
        log.warning(
            "road map import: a workbook of %d bytes does not open", len(data), exc_info=True
        )
        raise RoadMapImportError(
            _accepted(
                _(
                    "Таблица Excel повреждена или не читается. Откройте её в Excel и сохраните "
                    "как .xlsx ещё раз."
                )
            )
        ) from None
    try:
        sheets = sorted(
            workbook.worksheets, key=lambda ws: getattr(ws, "sheet_state", "visible") != "visible"
        )
        first: list[list[str]] | None = None
        for sheet in sheets:
            # Read-only mode trusts the sheet's declared dimensions, which some programs get
            # wrong; without them every row present is read.
            sheet.reset_dimensions()
            collector = _Collector()
            for row in sheet.iter_rows(max_col=MAX_COLUMNS):
                collector.add(
                    [
                        _xlsx_cell_text(
                            getattr(cell, "value", None), getattr(cell, "number_format", "") or ""
                        )
                        for cell in row
                    ]
                )
            rows = collector.table()
            if rows and _looks_like_plan(rows):
                return rows
            if rows and first is None:
                first = rows
    except RoadMapImportError:
        raise
    except Exception:
        log.warning(
            "road map import: the sheets of a %d-byte workbook do not read",
            len(data),
            exc_info=True,
        )
        raise RoadMapImportError(
            _accepted(
                _(
                    "Не удалось прочитать таблицу Excel. Откройте её в Excel и сохраните как "
                    ".xlsx ещё раз."
                )
            )
        ) from None
    finally:
        workbook.close()
    if first is None:
        raise RoadMapImportError(_accepted(_("В книге Excel нет данных.")))
    return first


def _from_docx(data: bytes) -> list[list[str]]:
    from docx.oxml.ns import qn

    try:
        document = office.docx_document(data)
    except Exception:  # python-docx raises many kinds on a damaged package
        log.warning(
            "road map import: a Word file of %d bytes does not open", len(data), exc_info=True
        )
        raise RoadMapImportError(
            _accepted(
                _(
                    "Документ Word повреждён или не читается. Откройте его в Word и сохраните "
                    "как .docx ещё раз."
                )
            )
        ) from None
    try:
        tables = list(document.tables)
        if not tables:
            raise RoadMapImportError(
                _(
                    "В документе нет таблицы. Оформите план мероприятий таблицей со столбцами "
                    "«№», «Мероприятие», «Срок», «Ответственный», «Результат» или загрузите "
                    "его в формате .xlsx."
                )
            )
        labels = _docx_list_labels(document, qn)
        candidates = [_docx_table_rows(table, labels) for table in tables]
        for rows in candidates:
            if len(rows) >= 2 and _looks_like_plan(rows):
                return rows
        # Otherwise the largest table, preferring ones with two columns or more.
        return max(
            candidates,
            key=lambda rows: (len(rows[0]) >= 2 if rows else False, sum(map(len, rows))),
        )
    except RoadMapImportError:
        raise
    except Exception:
        log.warning(
            "road map import: the tables of a %d-byte Word file do not read",
            len(data),
            exc_info=True,
        )
        raise RoadMapImportError(
            _accepted(
                _(
                    "Не удалось прочитать таблицу документа Word. Откройте его в Word и "
                    "сохраните как .docx ещё раз."
                )
            )
        ) from None


def _docx_list_labels(document: Any, qn: Any) -> dict[Any, str]:
    """Word's automatic list numbers («1.», «1.2.») by paragraph element, counted in document
    order: python-docx leaves them out of the text, and the «№» column is often numbered so."""
    from tracker.protocols.text import _DocxNumbering

    numbering = _DocxNumbering(document)
    labels: dict[Any, str] = {}
    for paragraph in document.element.body.iter(qn("w:p")):
        label = numbering.label(paragraph)
        if label:
            labels[paragraph] = label  # the key keeps lxml's proxy, so lookups find it again
    return labels


def _docx_table_rows(table: Any, labels: dict[Any, str]) -> list[list[str]]:
    collector = _Collector()
    for row in table.rows:
        cells = [""] * min(row.grid_cols_before, MAX_COLUMNS)
        previous = None
        for cell in row.cells:
            if len(cells) >= MAX_COLUMNS:
                break
            if cell._tc is previous:
                cells.append("")  # the rest of a cell merged across columns
                continue
            previous = cell._tc
            # Paragraphs only: a table nested in the cell is left out.
            texts = [labels.get(p._p, "") + p.text for p in cell.paragraphs]
            cells.append(_clean_text("\n".join(texts)))
        collector.add(cells)
    return collector.table()


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
    if any(ch.isdigit() for ch in text):
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


def _assign(row: Sequence[Any], width: int) -> list[str]:
    mapping = [""] * width
    used: set[str] = set()
    for index, cell in enumerate(row[:width]):
        for name in _header_fields(cell):
            if name not in used:
                mapping[index] = name
                used.add(name)
                break
    return mapping


def _width(rows: Sequence[Sequence[Any]]) -> int:
    return max((len(row) for row in rows), default=0)


def guess_mapping(rows: Sequence[Sequence[str]]) -> tuple[int, list[str]]:
    """(index of the header row, one field name or "" per column).

    The header is the row among the first ones whose cells name the most fields (two at
    least); each field goes to the first column that names it. Without a header:
    (-1, № / Мероприятие / Срок / Ответственный / Ожидаемый результат by position).
    """
    width = _width(rows)
    best, best_score = -1, 1
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for name in _assign(row, width) if name)
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        return -1, [(_POSITIONAL[i] if i < len(_POSITIONAL) else "") for i in range(width)]
    header = list(rows[best]) + [""] * (width - len(rows[best]))
    mapping = _assign(header, width)
    if best + 1 < len(rows) and _is_subheader(rows[best + 1], mapping):
        # A two-level header: the columns under a merged header cell are named one row down.
        used = set(mapping)
        for index, cell in enumerate(list(rows[best + 1])[:width]):
            if header[index] or mapping[index]:
                continue
            for name in _header_fields(cell):
                if name not in used:
                    mapping[index] = name
                    used.add(name)
                    break
    return best, mapping


def _is_subheader(row: Sequence[Any], mapping: Sequence[str]) -> bool:
    cells = [_fold(cell) for cell in row]
    filled = [cell for cell in cells if cell]
    if len(filled) < 2 or any(len(c) > _MAX_HEADER_CELL for c in filled):
        return False
    if "text" in mapping:
        column = list(mapping).index("text")
        if column < len(cells) and cells[column]:
            return False
    if any(any(ch.isdigit() for ch in cell) for cell in filled):
        return False
    return any(cell in _SUBHEADER_WORDS or _header_fields(cell) for cell in filled)


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
        return _plain_number(match["number"]), match["text"].strip()
    return "", text


def _plain_number(number: str) -> str:
    """«1.1.» → «1.1», «а)» → «а»."""
    return " ".join(number.split()).rstrip(".)").strip()


def _depth(number: str | None) -> int | None:
    """«1» → 0, «1.1» → 1, «1.1.1» → 2, «II» → 0; None for anything else."""
    plain = _plain_number(number or "")
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
        ["" if cell is None else _clean_text(str(cell)) for cell in row] + [""] * (width - len(row))
        for row in rows
    ]
    header = _fold_row(table[header_index]) if header_index >= 0 else None

    drafts: list[DraftAction] = []
    anchor: DraftAction | None = None  # the last row that is not a bullet under another
    for index in range(header_index + 1, len(table)):
        cells = table[index]
        if not any(cells):
            continue
        if header is not None and _fold_row(cells) == header:
            continue  # the header repeated on the next page
        if _is_column_numbers(cells):
            continue
        if index == header_index + 1 and header is not None and _is_subheader(cells, fields):
            continue
        draft = _draft(index + 1, cells, fields, text_column, today)
        depth = _depth(draft.number) if draft.number else None
        # «а)», «-», «•»: an item under the row before, not a sibling of it.
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
        if not bullet:
            anchor = draft
        drafts.append(draft)
    return drafts


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
    filled = [column for column, cell in enumerate(cells) if cell]
    number, text = values["number"], values["text"]
    heading = False
    if len(filled) == 1 and (
        fields[filled[0]] in ("number", "text")
        or (not fields[filled[0]] and filled[0] < text_column)
    ):
        # One text across the row (often merged): a section heading, wherever its cell is.
        split_number, split_text = _split_number(cells[filled[0]])
        # A bare «5» is a number without its action, «- посещаемости» an item of a list.
        if _depth(split_text) is None and not _BULLET.match(split_text):
            number, text, heading = split_number, split_text, True
    elif number and text and len(filled) == 2:
        heading = True
    if not number and text:
        number, text = _split_number(text)

    draft = DraftAction(
        row=row_number,
        number=_plain_number(number),
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
    return draft


# --- export ------------------------------------------------------------------------------------

DEFAULT_TZ = "Europe/Moscow"
# Characters XML 1.0 (and so both OOXML formats) cannot hold.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# (header, Excel width in characters, Word width in cm): 26.2 cm fit landscape A4.
EXPORT_COLUMNS: list[tuple[str, float, float]] = [
    ("№", 7, 1.5),
    ("Мероприятие", 60, 10.5),
    ("Срок", 20, 3.7),
    ("Ответственный", 28, 4.7),
    ("Результат", 40, 5.8),
]


@dataclass
class _Line:
    number: str
    text: str
    deadline: str
    responsible: str
    result: str
    level: int
    parent: bool


def _clean(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    return _ILLEGAL.sub("", text).strip()


def _one_line(value: Any) -> str:
    return " ".join(_clean(value).split())


def _short_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _local_date(moment: datetime | date | None, tz: str | None) -> date | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:  # columns hold UTC; a naive value from a test means the same
        moment = moment.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(tz or DEFAULT_TZ)
    except (KeyError, ValueError):
        zone = ZoneInfo(DEFAULT_TZ)
    return moment.astimezone(zone).date()


def _approver_lines(road_map: RoadMap) -> list[str]:
    block = _clean(road_map.approver_block)
    organization = road_map.organization
    if block:
        lines = [" ".join(line.split()) for line in block.split("\n")]
    else:
        name = ""
        if organization is not None:
            name = _one_line(organization.full_name) or _one_line(organization.short_name)
        lines = [
            "УТВЕРЖДАЮ",
            f"Директор {name}".strip(),
            "____________ / ____________ /",
            '"___" ____________ 20__ г.',
        ]
    if road_map.status == RoadMapStatus.APPROVED and road_map.approved_at is not None:
        tz = organization.timezone if organization is not None else None
        lines.append(f"Согласовано: {_short_date(_local_date(road_map.approved_at, tz))}")
    return lines


def _title_lines(road_map: RoadMap) -> list[str]:
    title = _one_line(road_map.title)
    lines = [] if title.lower().startswith("дорожная карта") else ["Дорожная карта"]
    if title:
        lines.append(title)
    start, end = road_map.period_start, road_map.period_end
    if start and end:
        lines.append(f"на период с {_short_date(start)} по {_short_date(end)}")
    elif start:
        lines.append(f"на период с {_short_date(start)}")
    elif end:
        lines.append(f"на период по {_short_date(end)}")
    return lines


def _lines(road_map: RoadMap) -> list[_Line]:
    """The actions to print, in order, with their nesting; dropped ones left out."""
    actions: list[RoadMapAction] = list(road_map.actions or [])
    by_id = {a.id: a for a in actions if a.id is not None}

    def level(action: RoadMapAction) -> int:
        result, node, steps = 0, action, 0
        # A sub-action sits under its parent; its number says how deep as well.
        while node is not None and steps <= 20:  # a broken parent chain must not hang
            result = max(result, steps + (_depth(node.number) or 0))
            if node.parent_id is None:
                break
            parent = by_id.get(node.parent_id)
            steps += 1
            if parent is None:
                result = max(result, steps)
            node = parent
        return result

    shown = sorted(
        (a for a in actions if (a.status or ActionStatus.PLANNED) != ActionStatus.DROPPED),
        key=lambda a: (a.position is None, a.position or 0),
    )
    parent_ids = {a.parent_id for a in actions if a.parent_id is not None}
    numbers = [_plain_number(a.number or "") for a in shown]
    prefixes = {n.rsplit(".", 1)[0] for n in numbers if "." in n}  # «1.2» makes «1» a parent
    lines: list[_Line] = []
    for action, number in zip(shown, numbers, strict=True):
        deadline = _one_line(action.deadline_text) or _short_date(action.due_date)
        responsible = _clean(action.responsible)
        if not responsible and getattr(action, "responsible_user", None) is not None:
            responsible = _one_line(action.responsible_user.full_name)
        result = _clean(action.expected_result)
        target = _one_line(action.target_value)
        if target and target not in result:
            result = f"{result}\n{target}" if result else target
        is_parent = (action.id is not None and action.id in parent_ids) or number in prefixes
        lines.append(
            _Line(
                number=_one_line(action.number),
                text=_clean(action.text),
                deadline=deadline,
                responsible=responsible,
                result=result,
                level=level(action),
                parent=is_parent,
            )
        )
    return lines


def road_map_xlsx(road_map: RoadMap) -> bytes:
    """The plan as an Excel workbook, laid out for printing on landscape A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Дорожная карта"
    last = get_column_letter(len(EXPORT_COLUMNS))
    for index, (_name, width, _cm) in enumerate(EXPORT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    from tracker.core import office

    def put(row: int, column: int, value: str) -> Any:
        return office.put(ws, row, column, value)

    row = 1
    block_width = EXPORT_COLUMNS[3][1] + EXPORT_COLUMNS[4][1]
    for line in _approver_lines(road_map):
        put(row, 4, line).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"D{row}:{last}{row}")
        ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(line) / block_width))
        row += 1
    row += 1
    page_width = sum(width for _n, width, _cm in EXPORT_COLUMNS)
    for line in _title_lines(road_map):
        cell = put(row, 1, line)
        cell.font = Font(bold=True, size=14)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.row_dimensions[row].height = 19 * max(1, math.ceil(len(line) * 1.2 / page_width))
        row += 1
    row += 1

    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_row = row
    for column, (name, _width, _cm) in enumerate(EXPORT_COLUMNS, start=1):
        cell = put(row, column, name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for line in _lines(road_map):
        row += 1
        values = [line.number, line.text, line.deadline, line.responsible, line.result]
        for column, value in enumerate(values, start=1):
            cell = put(row, column, value)
            cell.border = border
            if column == 1:
                cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
            elif column == 2 and line.level:
                # Excel indents only left-aligned text.
                cell.alignment = Alignment(
                    horizontal="left", vertical="top", wrap_text=True, indent=2 * line.level
                )
            else:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
            if line.parent:
                cell.font = Font(bold=True)

    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.creator = "Контроль исполнения решений"
    wb.properties.title = " ".join(_title_lines(road_map))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def road_map_docx(road_map: RoadMap) -> bytes:
    """The plan as a Word document on landscape A4, the table header repeated on every page."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin, section.right_margin = Cm(2), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.5)

    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:cs"):
        fonts.set(qn(attr), "Times New Roman")
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "ru-RU")
    lang.set(qn("w:eastAsia"), "ru-RU")
    rpr.append(lang)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    def write(paragraph: Any, text: str, *, bold: bool = False, size: int | None = None) -> None:
        if text:
            run = paragraph.add_run(text)  # python-docx turns "\n" into line breaks
            run.bold = bold or None
            if size:
                run.font.size = Pt(size)

    for line in _approver_lines(road_map):
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(17)  # the block stands at the right
        write(paragraph, line)
    doc.add_paragraph()
    for line in _title_lines(road_map):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        write(paragraph, line, bold=True, size=14)
    doc.add_paragraph()

    table = doc.add_table(rows=1, cols=len(EXPORT_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(cm) for _name, _width, cm in EXPORT_COLUMNS]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    header = table.rows[0]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(flag)
    for cell, (name, _width, _cm), width in zip(header.cells, EXPORT_COLUMNS, widths, strict=True):
        cell.width = width
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        write(paragraph, name, bold=True)
    for line in _lines(road_map):
        cells = table.add_row().cells
        values = [line.number, line.text, line.deadline, line.responsible, line.result]
        for column, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = width
            paragraph = cell.paragraphs[0]
            if column == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if column == 1 and line.level:
                paragraph.paragraph_format.left_indent = Cm(0.75 * line.level)
            write(paragraph, value, bold=line.parent)

    doc.core_properties.title = " ".join(_title_lines(road_map))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
