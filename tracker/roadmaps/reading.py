"""Reading an uploaded road map: the rows of the plan's table in an .xlsx or .docx, every cell a
string (``read_table``), and the same table as the mapping step posts it back (``posted_table``).
Files open through ``core.office`` (its zip limits); anything else is refused with what to upload
instead.

Pure logic: no Flask request, no database session.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from tracker.core import office
from tracker.roadmaps.documents import RoadMapImportError, _, clean_cell, guess_mapping

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 3000
MAX_COLUMNS = 40


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
    raise RoadMapImportError(_foreign_format(data, suffix) or _by_suffix(suffix))


def _foreign_format(data: bytes, suffix: str) -> str | None:
    """Why a PDF, an old Office file, an RTF or an image is refused, or None if it is none."""
    if data.startswith(b"%PDF") or suffix == ".pdf":
        return _(
            "PDF не читается: загрузите исходную таблицу плана в формате .xlsx (Excel) "
            "или .docx (Word)."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix in (".xls", ".doc"):
        return _(
            "Файл в старом формате Excel или Word (.xls, .doc) либо защищён паролем. "
            "Откройте его, снимите пароль, если он есть, и сохраните как .xlsx («Книга "
            "Excel») или .docx («Документ Word»)."
        )
    if data.startswith(b"{\\rtf") or suffix == ".rtf":
        return _("Файлы .rtf не читаются: сохраните документ в Word как .docx и загрузите его.")
    if _is_image(data, suffix):
        return _accepted(_("Это изображение, а не таблица."))
    return None


def _is_image(data: bytes, suffix: str) -> bool:
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data.startswith(_IMAGE_SIGNATURES) or webp or suffix in _IMAGE_SUFFIXES


def _by_suffix(suffix: str) -> str:
    """Why a file of no known signature is refused, by what its name says it is."""
    if suffix in (".csv", ".tsv", ".txt"):
        return _(
            "Файлы %(suffix)s не загружаются: откройте файл в Excel и сохраните его как "
            ".xlsx («Книга Excel»).",
            suffix=suffix,
        )
    if suffix in (".xlsx", ".xlsm", ".docx"):
        return _damaged()
    if suffix in (".ods", ".odt"):
        return _opendocument()
    if suffix:
        return _accepted(_("Формат «%(suffix)s» не поддерживается.", suffix=suffix))
    return _accepted(_("Формат файла не распознан."))


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
    if not _is_table(table):
        raise RoadMapImportError(_("Таблица не прочитана: загрузите файл ещё раз."))
    if _too_big(table):
        raise RoadMapImportError(too_big)
    return table, header_index


def _is_table(value: Any) -> bool:
    """A list of rows, each a list of strings."""
    return isinstance(value, list) and all(
        isinstance(row, list) and all(isinstance(cell, str) for cell in row) for row in value
    )


def _too_big(table: list[list[str]]) -> bool:
    return (
        len(table) > MAX_ROWS
        or any(len(row) > MAX_COLUMNS for row in table)
        or any(len(cell) > MAX_CELL_CHARS for row in table for cell in row)
    )


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
    rows = _package_rows(data, names)
    if len(rows) < 2:
        raise RoadMapImportError(
            _(
                "В таблице меньше двух строк: нужны строка заголовка («№», «Мероприятие», "
                "«Срок», «Ответственный», «Результат») и хотя бы одно мероприятие."
            )
        )
    return rows


def _package_rows(data: bytes, names: set[str]) -> list[list[str]]:
    """The rows of a workbook or a Word file, told apart by the names inside the package."""
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return _from_xlsx(data)
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return _from_docx(data)
    if "content.xml" in names:
        raise RoadMapImportError(_opendocument())
    if any(n.startswith("ppt/") for n in names):
        raise RoadMapImportError(_accepted(_("Это презентация, а не таблица.")))
    raise RoadMapImportError(_damaged())


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
        return value.strftime("%d.%m.%Y" if value.time() == time(0, 0) else "%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float):
        return _number_cell(value, number_format)
    return clean_cell(str(value))


def _number_cell(value: float, number_format: str) -> str:
    if "%" in number_format:
        return _number_text(value * 100) + "%"
    return _number_text(float(value)) if isinstance(value, float) else str(value)


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
            rows = _sheet_rows(sheet)
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


def _sheet_rows(sheet: Any) -> list[list[str]]:
    # Read-only mode trusts the sheet's declared dimensions, which some programs get wrong;
    # without them every row present is read.
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
    return collector.table()


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
    numbering = office.DocxNumbering(document)
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
            cells.append(clean_cell("\n".join(texts)))
        collector.add(cells)
    return collector.table()
