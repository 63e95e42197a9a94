"""Office files in and out, for every part: one guarded opener for .docx/.xlsx/.odt uploads and one
safe cell writer for every XLSX export.

Opening: a .docx, .xlsx or .odt is a zip archive. Before any parser sees one, every part's
unpacked size, the total and the compression ratio are checked against the declared sizes in the
archive's directory (zipfile never unpacks a part past its declared size, so the check bounds what
a parser can be made to hold). A small file that unpacks to gigabytes is refused here.

Writing: text a user typed (a road map's title, a decision, an indicator's name) is written as
text, never as a formula, whatever it starts with; characters XML cannot hold are dropped. Word
documents start from `new_docx`, which holds the style of official papers.

Reading Word lists: `DocxNumbering` renders the automatic list numbers («1.», «1.2.», «а)») that
python-docx leaves out of a paragraph's text.

Pure logic: no Flask, no database.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
from typing import Any

log = logging.getLogger(__name__)

MAX_PARTS = 10_000
MAX_PART_BYTES = 50 * 1024 * 1024  # one unpacked part (the document's XML, one image)
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # all parts together
MAX_RATIO = 100  # unpacked / packed, for a part that unpacks to more than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024

# A cell whose text starts so would be read as a formula by a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters XML 1.0 (and so both OOXML formats) cannot hold; Word's soft break \x0b is a break.
_ILLEGAL = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\ufffe\uffff]")


class OfficeFileError(ValueError):
    """The upload is not an office package (`too_large` False) or unpacks too far (True)."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


# --- opening ----------------------------------------------------------------------------------


def open_package(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory shows nothing that would unpack beyond the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise OfficeFileError("not a zip archive") from None
    check_limits(infos)
    return archive


def check_limits(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise OfficeFileError(f"{len(infos)} parts", too_large=True)
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > MAX_PART_BYTES:
            raise OfficeFileError(f"{info.filename}: {size} bytes unpacked", too_large=True)
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise OfficeFileError(
                f"{info.filename}: packed {size // info.compress_size}:1", too_large=True
            )
    if total > MAX_TOTAL_BYTES:
        raise OfficeFileError(f"{total} bytes unpacked in all", too_large=True)


def part_names(data: bytes) -> set[str]:
    """The names inside a checked package (to tell a .docx from an .xlsx or an .odt)."""
    with open_package(data) as archive:
        return set(archive.namelist())


def docx_document(data: bytes) -> Any:
    """A python-docx Document of a checked package. Parser errors pass through to the caller."""
    import docx

    open_package(data).close()
    return docx.Document(io.BytesIO(data))


def xlsx_workbook(data: bytes) -> Any:
    """An openpyxl workbook (read-only, values not formulas) of a checked package."""
    import openpyxl

    open_package(data).close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # «no default style» and the like
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)


def odt_content(data: bytes) -> bytes:
    """content.xml of a checked OpenDocument package, refused if it declares a DTD (entities
    could expand it past any limit)."""
    with open_package(data) as archive:
        try:
            raw = archive.read("content.xml")
        except KeyError:
            raise OfficeFileError("no content.xml") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise OfficeFileError("damaged content.xml") from None
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise OfficeFileError("a DTD in content.xml")
    return raw


# --- writing ----------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    return _ILLEGAL.sub("", value)


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; text stays text (no formula, whatever it starts with)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        text = clean_text(value)
        cell.value = text
        if text.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    else:
        cell.value = value
    return cell


def append(ws: Any, values: list[Any]) -> int:
    """`ws.append` through `put`; returns the row written."""
    row = ws._current_row + 1  # the row openpyxl's own append would write
    for column, value in enumerate(values, start=1):
        put(ws, row, column, value)
    return row


def print_layout(ws: Any, header_row: int) -> None:
    """An XLSX sheet as our exports print: the header frozen and repeated on every page,
    landscape A4, as wide as the page and as long as it takes."""
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def new_docx(body_pt: int) -> Any:
    """A Word document in the style of official papers: Normal is Times New Roman of `body_pt`,
    Russian, single-spaced, with no space around paragraphs. The page is the caller's."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(body_pt)
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
    return doc


# --- Word numbering ---------------------------------------------------------------------------


def _roman(n: int) -> str:
    values = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in values:
        while n >= value:
            out += letters
            n -= value
    return out


_NUMBER_FORMATS = {
    "decimal": lambda n: str(n),
    "decimalZero": lambda n: f"{n:02d}",
    "lowerLetter": lambda n: "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26],
    "upperLetter": lambda n: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n - 1) % 26],
    "russianLower": lambda n: "абвгдежзиклмнопрстуфхцчшщэюя"[(n - 1) % 28],
    "russianUpper": lambda n: "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"[(n - 1) % 28],
    "lowerRoman": lambda n: _roman(n).lower(),
    "upperRoman": lambda n: _roman(n),
}
_DEFAULT_LEVEL = ("decimal", "", 1)


class DocxNumbering:
    """Renders Word's automatic list numbers («1.», «1.2.», «а)», «-» for bullets), which
    python-docx leaves out of a paragraph's text. Paragraphs must be asked in document order:
    the counters advance with each numbered paragraph."""

    def __init__(self, document: Any):
        from docx.oxml.ns import qn

        self.qn = qn
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> fmt
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        try:
            part = document.part.numbering_part
        except NotImplementedError:  # python-docx cannot add the missing part: there are no lists
            return
        except Exception:
            log.warning("Word numbering unreadable; lists read without numbers", exc_info=True)
            return
        abstract = {
            node.get(qn("w:abstractNumId"), ""): self._levels(node)
            for node in part.element.iterchildren(qn("w:abstractNum"))
        }
        for num in part.element.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.levels[num.get(qn("w:numId"), "")] = abstract.get(ref.get(qn("w:val")), {})
        for style in document.styles.element.iterchildren(qn("w:style")):
            found = self._num_pr(style.find(f"{qn('w:pPr')}/{qn('w:numPr')}"))
            if found is not None:
                self.style_num[style.get(qn("w:styleId"), "")] = found

    def _val(self, node: Any, default: str) -> str:
        return node.get(self.qn("w:val"), default) if node is not None else default

    def _levels(self, abstract_num: Any) -> dict[int, tuple[str, str, int]]:
        """ilvl → (number format, level text such as «%1.%2.», start) of one abstract list."""
        qn = self.qn
        return {
            int(lvl.get(qn("w:ilvl"), "0")): (
                self._val(lvl.find(qn("w:numFmt")), "decimal"),
                self._val(lvl.find(qn("w:lvlText")), ""),
                int(self._val(lvl.find(qn("w:start")), "1")),
            )
            for lvl in abstract_num.iterchildren(qn("w:lvl"))
        }

    def _num_pr(self, num_pr: Any) -> tuple[str, int] | None:
        """(numId, ilvl) of a <w:numPr>, None without one or without its numId."""
        if num_pr is None:
            return None
        num_id = num_pr.find(self.qn("w:numId"))
        if num_id is None:
            return None
        return self._val(num_id, ""), int(self._val(num_pr.find(self.qn("w:ilvl")), "0"))

    def _list_of(self, paragraph: Any) -> tuple[str | None, int]:
        """(numId, ilvl) of a paragraph: its own numbering, else its style's."""
        qn = self.qn
        num_pr = paragraph.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is not None:
            node = num_pr.find(qn("w:numId"))
            num_id = node.get(qn("w:val")) if node is not None else None
            return num_id, int(self._val(num_pr.find(qn("w:ilvl")), "0"))
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is not None and style.get(qn("w:val")) in self.style_num:
            return self.style_num[style.get(qn("w:val"))]
        return None, 0

    def label(self, paragraph: Any) -> str:
        """The paragraph's list number followed by a space («1.2. », «- »), or ""."""
        num_id, ilvl = self._list_of(paragraph)
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        ilvl = max(0, min(ilvl, 8))
        levels = self.levels[num_id]
        counters = self.counters.setdefault(num_id, [0] * 9)
        start = levels.get(ilvl, _DEFAULT_LEVEL)[2]
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        fmt, text, _start = levels.get(ilvl, ("decimal", f"%{ilvl + 1}.", 1))
        if fmt in ("bullet", "none"):
            return "- " if fmt == "bullet" else ""

        def render(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            if not 0 <= level <= 8:
                return ""
            value = counters[level] or levels.get(level, _DEFAULT_LEVEL)[2]
            level_fmt = levels.get(level, _DEFAULT_LEVEL)[0]
            return _NUMBER_FORMATS.get(level_fmt, _NUMBER_FORMATS["decimal"])(value)

        rendered = re.sub(r"%(\d)", render, text).strip()
        return rendered + " " if rendered else ""
