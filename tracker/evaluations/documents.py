"""The comparison table of an expert sheet or diagnostic card as an .xlsx workbook."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from tracker.evaluations.queries import Comparison


def comparison_xlsx(table: Comparison, *, labels: Mapping[str, str]) -> bytes:
    """The comparison table as the seed lays it out, plus the maximum and the percentages.

    `labels` carries the interface words in the reader's language (the caller translates)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from tracker.core import office

    sheet = table.sheet
    wb = Workbook()
    ws = wb.active
    ws.title = labels["sheet_name"][:31]
    n = len(table.columns)
    last = max(3, 2 + n)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)

    def put(row: int, column: int, value: Any, **style: Any) -> Any:
        cell = office.put(ws, row, column, value)
        cell.alignment = style.get("alignment", wrap)
        if style.get("bold"):
            cell.font = bold
        if style.get("number_format"):
            cell.number_format = style["number_format"]
        return cell

    put(1, 1, sheet.title, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    put(2, 1, labels["scale_note"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    head = 4
    put(head, 1, labels["number"], bold=True)
    put(head, 2, labels["criteria"], bold=True)
    put(head, 3, labels["points"], bold=True)
    if n > 1:
        ws.merge_cells(start_row=head, start_column=3, end_row=head, end_column=2 + n)
    for i, col in enumerate(table.columns):
        put(head + 1, 3 + i, col.organization.short_name, bold=True)
    row = head + 2
    for criterion, values in table.rows:
        put(row, 1, f"{criterion.number}." if criterion.number else criterion.position)
        put(row, 2, criterion.text)
        for i, value in enumerate(values):
            put(row, 3 + i, value)
        row += 1
    put(row, 2, labels["total"], bold=True)
    for i, total in enumerate(table.totals):
        put(row, 3 + i, total, bold=True)
    row += 1
    put(row, 2, labels["max_total"])
    for i in range(n):
        put(row, 3 + i, table.max_total)
    row += 1
    put(row, 2, labels["percent"])
    for i, col in enumerate(table.columns):
        put(
            row,
            3 + i,
            None if col.percent is None else col.percent / 100,
            number_format="0.0%",
        )
    if sheet.kind == "diagnostic":
        row += 1
        put(row, 2, labels["low"], bold=True)
        for i, col in enumerate(table.columns):
            put(row, 3 + i, labels["yes"] if col.low else "")
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 70
    for i in range(n):
        ws.column_dimensions[get_column_letter(3 + i)].width = 16
    ws.freeze_panes = ws.cell(row=head + 2, column=3)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
