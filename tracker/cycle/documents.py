"""XLSX of the cycle: the values template a school fills in, reading it back, and the analysis of
a direction as a workbook and as a PDF."""

from __future__ import annotations

import logging
from io import BytesIO
from pathlib import Path
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.core import office
from tracker.core.i18n import _
from tracker.cycle.models import Indicator
from tracker.cycle.queries import IndicatorSummary
from tracker.cycle.values import UNIT_LABELS, CycleError, plain

log = logging.getLogger(__name__)

MAX_ROWS = 5000  # far more indicators than any monitoring asks for
HEADER = ("Код", "Показатель", "Единица", "Значение")


def values_template(
    title: str, organization: str, period: str, indicators: list[Indicator], current: dict
) -> bytes:
    """One row per indicator; the school fills the «Значение» column and uploads the file."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Значения")[:31]
    office.append(ws, [title])
    office.append(ws, [f"{organization}, {period}"])
    office.append(ws, list(HEADER))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for indicator in indicators:
        unit = str(UNIT_LABELS[indicator.unit])
        if indicator.unit == "score" and indicator.max_value is not None:
            unit += f" (0–{plain(indicator.max_value)})"
        value = current.get(indicator.id)
        office.append(
            ws, [indicator.code, indicator.name, unit, plain(value) if value is not None else None]
        )
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(ws.max_row, 4).fill = PatternFill("solid", fgColor="FFF9DB")
    yes_no = DataValidation(type="list", formula1='"да,нет"', allow_blank=True)
    ws.add_data_validation(yes_no)
    for row, indicator in enumerate(indicators, start=4):
        if indicator.unit == "bool":
            yes_no.add(f"D{row}")
    for letter, width in zip("ABCD", (12, 70, 18, 14), strict=True):
        ws.column_dimensions[letter].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def read_values(data: bytes, indicators: list[Indicator]) -> dict[Indicator, str]:
    """The «Значение» column by indicator code; unknown or repeated codes refuse the file."""
    rows = _rows(data)
    header_at, code_col, value_col = _header(rows)
    by_code = {i.code.casefold(): i for i in indicators}
    found: dict[Indicator, str] = {}
    problems = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        code = _text(row[code_col] if code_col < len(row) else None)
        if not code:
            continue
        indicator = by_code.get(code.casefold())
        if indicator is None:
            problems.append(
                _("строка %(n)s: нет показателя с кодом «%(code)s»", n=number, code=code)
            )
        elif indicator in found:
            problems.append(_("строка %(n)s: показатель %(code)s повторяется", n=number, code=code))
        else:
            found[indicator] = _text(row[value_col] if value_col < len(row) else None)
    if problems:
        raise CycleError(_("Файл не принят: %(list)s.", list="; ".join(problems)))
    if not found:
        raise CycleError(_("В файле нет ни одного показателя этого мониторинга."))
    return found


def _rows(data: bytes) -> list[list[Any]]:
    """The first sheet's rows of an uploaded workbook, opened through core.office's limits."""
    if not data:
        raise CycleError(_("Файл пустой: заполните шаблон и загрузите его снова."))
    not_xlsx = _("Это не таблица .xlsx: скачайте шаблон, заполните столбец «Значение» в Excel.")
    try:
        if "xl/workbook.xml" not in office.part_names(data):
            raise CycleError(not_xlsx)
    except office.OfficeFileError as error:
        if error.too_large:
            raise CycleError(_("Файл слишком большой после распаковки.")) from None
        raise CycleError(not_xlsx) from None
    try:
        sheet = office.xlsx_workbook(data).worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS)]
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        log.warning(
            "indicator values: a workbook of %d bytes does not read", len(data), exc_info=True
        )
        raise CycleError(_("Таблица повреждена: откройте её в Excel и сохраните снова.")) from None


def _header(rows: list[list[Any]]) -> tuple[int, int, int]:
    for index, row in enumerate(rows[:10]):
        cells = [_text(c).casefold() for c in row]
        if "код" in cells and "значение" in cells:
            return index, cells.index("код"), cells.index("значение")
    raise CycleError(
        _("Не найдена строка заголовка со столбцами «Код» и «Значение»: используйте шаблон.")
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def direction_xlsx(title: str, summaries: list[IndicatorSummary]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Анализ")[:31]
    office.append(ws, [title])
    ws["A1"].font = Font(bold=True)
    periods = summaries[0].periods if summaries else []
    header = [_("Код"), _("Показатель"), _("Цель")]
    for period in periods:
        header += [period, _("в зоне риска")]
    header.append(_("Изменение"))
    office.append(ws, header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for s in summaries:
        row: list[Any] = [s.indicator.code, s.indicator.name, s.indicator.target_value]
        for period in periods:
            mean = s.means.get(period)
            row += [float(mean) if mean is not None else None, s.at_risk.get(period, 0)]
        row.append(float(s.change) if s.change is not None else None)
        office.append(ws, row)
    ws.column_dimensions["B"].width = 60
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"


def direction_pdf(title: str, subtitle: str, summaries: list[IndicatorSummary]) -> bytes:
    """The direction's analysis on A4 landscape: means by period, change, target, at risk."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    periods = summaries[0].periods if summaries else []
    header = [_("Код"), _("Показатель"), _("Цель"), *periods, _("Изменение"), _("В зоне риска")]
    widths = (18, 110, 20, *[20] * len(periods), 24, 24)
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=widths, text_align="LEFT", repeat_headings=1) as table:
        row = table.row()
        for cell in header:
            row.cell(str(cell))
        for s in summaries:
            row = table.row()
            row.cell(s.indicator.code)
            row.cell(s.indicator.name)
            row.cell(plain(s.indicator.target_value))
            for period in periods:
                row.cell(plain(s.means.get(period)))
            row.cell(plain(s.change) if s.change is not None else "")
            row.cell(str(s.at_risk.get(periods[-1], 0)) if periods else "")
    return bytes(pdf.output())
