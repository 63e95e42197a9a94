"""The text of an uploaded protocol: .docx, .odt or .txt.

Pure logic: no Flask, no database. Messages are in the reader's language within a request and
in Russian elsewhere (tracker.core.i18n, imported only when a message is made).

- .docx: paragraphs and table cells in document order (python-docx). A table row becomes one line
  with its cells separated by tabs; Word's automatic list numbering («1.», «1.1.», «а)», bullets)
  is rendered in front of the paragraph (core.office), since python-docx leaves it out of the text.
- .odt: content.xml read with the standard library (paragraphs, headings, lists, tables).
- .txt: UTF-8 (with or without BOM), UTF-16 with a BOM, else a Cyrillic single-byte encoding
  (Windows-1251, KOI8-R, CP866) chosen by charset-normalizer, Windows-1251 when it cannot tell.
- .doc, .pdf, .rtf and anything else are refused with a message saying what to upload instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any
from xml.etree import ElementTree as ET

from charset_normalizer import from_bytes

from tracker.core import office

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024


class ProtocolInputError(ValueError):
    """The upload cannot be read; the message says what to do instead."""


def _(text: str, /, **values: object) -> str:
    """Translate through tracker.core.i18n, imported on use: this module stays free of Flask."""
    from tracker.core.i18n import _ as translate

    return translate(text, **values)


def _accepted(message: str) -> str:
    """The message followed by what may be uploaded instead."""
    return (
        message
        + " "
        + _("Загрузите протокол в формате .docx, .odt или .txt либо вставьте его текст в поле.")
    )


def extract_text(filename: str, data: bytes) -> str:
    """The plain text of an uploaded protocol; raises ProtocolInputError if it cannot be read."""
    if not isinstance(data, bytes | bytearray):
        raise ProtocolInputError(_accepted(_("Файл не получен.")))
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ProtocolInputError(
            _(
                "Файл больше %(mb)s МБ. Загрузите только текст протокола "
                "(без вложенных картинок) в формате .docx, .odt или .txt.",
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    if not data.strip():
        raise ProtocolInputError(_accepted(_("Файл пуст.")))
    suffix = PurePath(filename or "").suffix.lower()

    _refuse_foreign(data, suffix)
    if data.startswith(b"PK\x03\x04") or suffix in (".docx", ".odt"):
        text = _from_package(data, suffix)
    elif suffix in (".txt", ".text", ""):
        text = _from_plain(data)
    else:
        raise ProtocolInputError(
            _accepted(_("Формат «%(suffix)s» не поддерживается.", suffix=suffix))
        )

    if "\x00" in text:
        raise ProtocolInputError(_binary_message(suffix))
    if not text.strip():
        raise ProtocolInputError(_accepted(_("В файле нет текста.")))
    return text


def _refuse_foreign(data: bytes, suffix: str) -> None:
    """A PDF, an old .doc or an RTF is refused with what to do instead (what the bytes are wins
    over what the name says)."""
    if data.startswith(b"%PDF") or suffix == ".pdf":
        raise ProtocolInputError(
            _(
                "PDF не читается: откройте файл, выделите и скопируйте текст протокола и вставьте "
                "его в поле, или загрузите исходный документ Word (.docx)."
            )
        )
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".doc":
        raise ProtocolInputError(
            _(
                "Файлы .doc не читаются: сохраните протокол в Word как .docx («Файл» → "
                "«Сохранить как» → «Документ Word (*.docx)») и загрузите его, или вставьте текст "
                "в поле."
            )
        )
    if data.startswith(b"{\\rtf") or suffix == ".rtf":
        raise ProtocolInputError(
            _(
                "Файлы .rtf не читаются: сохраните протокол как .docx и загрузите его, "
                "или вставьте текст в поле."
            )
        )


def _binary_message(suffix: str) -> str:
    if suffix == ".docx":
        message = _(
            "Файл не является документом Word (.docx): похоже, это другой файл с изменённым "
            "расширением."
        )
    elif suffix == ".odt":
        message = _(
            "Файл не является документом .odt: похоже, это другой файл с изменённым расширением."
        )
    else:
        message = _(
            "Файл не является текстовым файлом: похоже, это другой файл с изменённым расширением."
        )
    return _accepted(message)


# --- .docx and .odt ---------------------------------------------------------------------------


def _from_package(data: bytes, suffix: str) -> str:
    try:
        names = office.part_names(data)
    except office.OfficeFileError as error:
        if error.too_large:
            raise ProtocolInputError(
                _(
                    "Документ слишком большой после распаковки. Сохраните только текст протокола "
                    "и загрузите его ещё раз."
                )
            ) from None
        raise ProtocolInputError(_binary_message(suffix)) from None
    if "word/document.xml" in names:
        return _from_docx(data)
    if "content.xml" in names:
        return _from_odt(data)
    if suffix in (".xlsx", ".pptx") or any(n.startswith(("xl/", "ppt/")) for n in names):
        raise ProtocolInputError(_accepted(_("Это таблица или презентация, а не протокол.")))
    raise ProtocolInputError(_binary_message(suffix or ".docx"))


def _from_docx(data: bytes) -> str:
    try:
        from docx.oxml.ns import qn

        document = office.docx_document(data)
    except Exception:  # python-docx raises many kinds on a damaged package
        log.warning(
            "protocol text: a Word file of %d bytes does not open", len(data), exc_info=True
        )
        raise ProtocolInputError(
            _accepted(
                _(
                    "Документ Word повреждён или не читается. Откройте его в Word, сохраните "
                    "как .docx ещё раз или вставьте текст в поле."
                )
            )
        ) from None
    try:
        numbering = office.DocxNumbering(document)
        lines: list[str] = []
        for block in document.element.body.iterchildren():
            if block.tag == qn("w:p"):
                lines.append(numbering.label(block) + _docx_paragraph_text(block))
            elif block.tag == qn("w:tbl"):
                lines.extend(_docx_table_lines(block))
        return "\n".join(lines)
    except ProtocolInputError:
        raise
    except Exception:
        log.warning(
            "protocol text: the body of a %d-byte Word file does not read", len(data), exc_info=True
        )
        raise ProtocolInputError(
            _(
                "Не удалось прочитать текст документа Word. Сохраните его как .docx ещё раз "
                "или вставьте текст в поле."
            )
        ) from None


def _docx_paragraph_text(paragraph: Any) -> str:
    from docx.oxml.ns import qn

    parts: list[str] = []
    for node in paragraph.iter():
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append("\t")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
    return "".join(parts)


def _docx_table_lines(table: Any) -> list[str]:
    """One line per row, cells joined by tabs; merged cells counted once; nested tables inlined."""
    from docx.oxml.ns import qn

    lines: list[str] = []
    for row in table.iterchildren(qn("w:tr")):
        cells = [_docx_cell_text(cell, qn) for cell in row.iterchildren(qn("w:tc"))]
        if any(cells):
            lines.append("\t".join(cells))
    return lines


def _docx_cell_text(cell: Any, qn: Any) -> str:
    """A cell's paragraphs and nested tables on one line; "" for the rest of a vertically merged
    cell (its text is above)."""
    merged = cell.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
    if merged is not None and merged.get(qn("w:val")) in (None, "continue"):
        return ""
    texts: list[str] = []
    for block in cell.iterchildren():
        if block.tag == qn("w:p"):
            texts.append(_docx_paragraph_text(block))
        elif block.tag == qn("w:tbl"):
            texts.extend(_docx_table_lines(block))
    return " ".join(" ".join(t.split()) for t in texts if t.strip())


_ODF = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}


def _odf(prefix: str, name: str) -> str:
    return f"{{{_ODF[prefix]}}}{name}"


def _from_odt(data: bytes) -> str:
    try:
        raw = office.odt_content(data)
        root = ET.fromstring(raw)  # noqa: S314 - no DTD (refused by office), size limited
    except (ET.ParseError, office.OfficeFileError):
        raise ProtocolInputError(
            _(
                "Документ .odt повреждён или не читается. Сохраните его ещё раз или как .docx "
                "либо вставьте текст в поле."
            )
        ) from None
    body = root.find(f"{_odf('office', 'body')}/{_odf('office', 'text')}")
    if body is None:
        raise ProtocolInputError(_accepted(_("Это не текстовый документ OpenDocument.")))
    return "\n".join(_odt_blocks(body, []))


def _odt_inline(node: ET.Element) -> str:
    parts = [node.text or ""]
    for child in node:
        if child.tag == _odf("text", "s"):
            parts.append(" " * int(child.get(_odf("text", "c"), "1") or 1))
        elif child.tag == _odf("text", "tab"):
            parts.append("\t")
        elif child.tag == _odf("text", "line-break"):
            parts.append("\n")
        elif child.tag in (_odf("text", "note"), _odf("office", "annotation")):
            pass  # footnotes and comments are not the protocol's text
        else:
            parts.append(_odt_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_blocks(node: ET.Element, counters: list[int]) -> Iterator[str]:
    """Paragraphs, headings, list items (numbered «1.», «1.1.» by nesting) and table rows."""
    for child in node:
        tag = child.tag
        if tag in (_odf("text", "p"), _odf("text", "h")):
            yield _odt_inline(child)
        elif tag == _odf("text", "list"):
            yield from _odt_list(child, counters)
        elif tag == _odf("table", "table"):
            for row in child.iter(_odf("table", "table-row")):
                cells = [
                    " ".join(" ".join(_odt_inline(p).split()) for p in cell.iter(_odf("text", "p")))
                    for cell in row.findall(_odf("table", "table-cell"))
                ]
                if any(cells):
                    yield "\t".join(cells)
        elif tag == _odf("text", "section"):
            yield from _odt_blocks(child, counters)


def _odt_list(node: ET.Element, counters: list[int]) -> Iterator[str]:
    # The list style (number or bullet) lives in styles we do not resolve: items are written
    # with a dash, which the protocol reader treats as a list item at its nesting level.
    for item in node.findall(_odf("text", "list-item")):
        for child in item:
            if child.tag in (_odf("text", "p"), _odf("text", "h")):
                yield "- " + _odt_inline(child)
            elif child.tag == _odf("text", "list"):
                yield from _odt_list(child, counters)


# --- .txt -------------------------------------------------------------------------------------

_CYRILLIC_SINGLE_BYTE = ["cp1251", "koi8_r", "cp866"]


def _from_plain(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ProtocolInputError(_binary_message(".txt")) from None
    if b"\x00" in data:
        raise ProtocolInputError(
            _accepted(_("Файл содержит двоичные данные (нулевые байты) и не похож на текст."))
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return data.decode(_guess_single_byte(data), errors="replace")


def _guess_single_byte(data: bytes) -> str:
    """Windows-1251, KOI8-R or CP866, as charset-normalizer (a declared dependency) judges;
    Windows-1251 when it cannot tell."""
    best = from_bytes(data[:200_000], cp_isolation=_CYRILLIC_SINGLE_BYTE).best()
    if best is not None and best.encoding in _CYRILLIC_SINGLE_BYTE:
        return best.encoding
    return "cp1251"
