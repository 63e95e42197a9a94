"""Export of a road map: ``road_map_xlsx`` and ``road_map_docx`` lay the plan out as schools print
it: the «УТВЕРЖДАЮ» block top right, the centred title, then the table. They read attributes only,
so they also work on transient objects (defaults SQLAlchemy fills in on flush may be None there).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tracker.core import office
from tracker.roadmaps.documents import number_depth, plain_number
from tracker.roadmaps.models import ActionStatus, RoadMapStatus

if TYPE_CHECKING:
    from tracker.roadmaps.models import RoadMap, RoadMapAction

# --- export ------------------------------------------------------------------------------------

DEFAULT_TZ = "Europe/Moscow"
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
    return "" if value is None else office.clean_text(str(value)).strip()


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
    shown = _shown(actions)
    numbers = [plain_number(a.number or "") for a in shown]
    parent_ids = {a.parent_id for a in actions if a.parent_id is not None}
    prefixes = _prefixes(numbers)
    return [
        _line(action, by_id, action.id in parent_ids or number in prefixes)
        for action, number in zip(shown, numbers, strict=True)
    ]


def _prefixes(numbers: list[str]) -> set[str]:
    """The numbers others extend: «1.2» makes «1» a parent."""
    return {n.rsplit(".", 1)[0] for n in numbers if "." in n}


def _shown(actions: list[RoadMapAction]) -> list[RoadMapAction]:
    """The actions not dropped, in the plan's order."""
    return sorted(
        (a for a in actions if (a.status or ActionStatus.PLANNED) != ActionStatus.DROPPED),
        key=lambda a: (a.position is None, a.position or 0),
    )


def _line(action: RoadMapAction, by_id: dict[int, RoadMapAction], parent: bool) -> _Line:
    return _Line(
        number=_one_line(action.number),
        text=_clean(action.text),
        deadline=_one_line(action.deadline_text) or _short_date(action.due_date),
        responsible=_responsible(action),
        result=_result(action),
        level=_level(action, by_id),
        parent=parent,
    )


def _level(action: RoadMapAction, by_id: dict[int, RoadMapAction]) -> int:
    """How deep the action sits: under its parent, and as deep as its number says."""
    result, node, steps = 0, action, 0
    while node is not None and steps <= 20:  # a broken parent chain must not hang
        result = max(result, steps + (number_depth(node.number) or 0))
        if node.parent_id is None:
            break
        parent = by_id.get(node.parent_id)
        steps += 1
        if parent is None:
            result = max(result, steps)
        node = parent
    return result


def _responsible(action: RoadMapAction) -> str:
    responsible = _clean(action.responsible)
    if not responsible and getattr(action, "responsible_user", None) is not None:
        responsible = _one_line(action.responsible_user.full_name)
    return responsible


def _result(action: RoadMapAction) -> str:
    """The expected result, with the target value under it unless the result says it."""
    result = _clean(action.expected_result)
    target = _one_line(action.target_value)
    if target and target not in result:
        result = f"{result}\n{target}" if result else target
    return result


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
            cell.alignment = _xlsx_alignment(column, line.level)
            if line.parent:
                cell.font = Font(bold=True)

    office.print_layout(ws, header_row)
    wb.properties.creator = "Контроль исполнения решений"
    wb.properties.title = " ".join(_title_lines(road_map))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def road_map_docx(road_map: RoadMap) -> bytes:
    """The plan as a Word document on landscape A4, the table header repeated on every page."""
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm

    doc = office.new_docx(12)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin, section.right_margin = Cm(2), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.5)

    for line in _approver_lines(road_map):
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(17)  # the block stands at the right
        _write(paragraph, line)
    doc.add_paragraph()
    for line in _title_lines(road_map):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _write(paragraph, line, bold=True, size=14)
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
        _write(paragraph, name, bold=True)
    for line in _lines(road_map):
        _docx_row(table.add_row().cells, line, widths)

    doc.core_properties.title = " ".join(_title_lines(road_map))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _write(paragraph: Any, text: str, *, bold: bool = False, size: int | None = None) -> None:
    from docx.shared import Pt

    if text:
        run = paragraph.add_run(text)  # python-docx turns "\n" into line breaks
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)


def _docx_row(cells: Any, line: _Line, widths: list[Any]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    values = [line.number, line.text, line.deadline, line.responsible, line.result]
    for column, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
        cell.width = width
        paragraph = cell.paragraphs[0]
        if column == 0:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if column == 1 and line.level:
            paragraph.paragraph_format.left_indent = Cm(0.75 * line.level)
        _write(paragraph, value, bold=line.parent)


def _xlsx_alignment(column: int, level: int) -> Any:
    from openpyxl.styles import Alignment

    if column == 1:
        return Alignment(horizontal="center", vertical="top", wrap_text=True)
    if column == 2 and level:
        # Excel indents only left-aligned text.
        return Alignment(horizontal="left", vertical="top", wrap_text=True, indent=2 * level)
    return Alignment(vertical="top", wrap_text=True)
