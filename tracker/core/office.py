"""Office files in and out, for every part: one guarded opener for .docx/.xlsx/.odt uploads and one
safe cell writer for every XLSX export.

Opening: a .docx, .xlsx or .odt is a zip archive. Before any parser sees one, every part's
unpacked size, the total and the compression ratio are checked against the declared sizes in the
archive's directory (zipfile never unpacks a part past its declared size, so the check bounds what
a parser can be made to hold). A small file that unpacks to gigabytes is refused here.

Writing: text a user typed (a road map's title, a decision, an indicator's name) is written as
text, never as a formula, whatever it starts with; characters XML cannot hold are dropped.

Pure logic: no Flask, no database.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from typing import Any

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
