"""Exports to Excel, Word and iCalendar.

Pure functions: they take model objects the caller has already loaded through the permission
filter and return the file's bytes. They read attributes and relationships only, so they also
work on transient objects; defaults SQLAlchemy would fill in on insert may be None here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Cm, Length, Mm, Pt
from docx.text.paragraph import Paragraph
from icalendar import Alarm, Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.assignments.services import deadline_in_force
from tracker.core import office
from tracker.core.tenancy import Organization
from tracker.meetings.models import Decision, Meeting

DEFAULT_TZ = "Europe/Moscow"

HEADINGS = {
    "protocol": "ПРОТОКОЛ",
    "extract": "ВЫПИСКА ИЗ ПРОТОКОЛА",
    "reference": "ИНФОРМАЦИОННАЯ СПРАВКА",
    "order": "РАСПОРЯЖЕНИЕ",
    "prikaz": "ПРИКАЗ",
    "resolution": "ПОСТАНОВЛЕНИЕ",
    "decision": "РЕШЕНИЕ",
}
EXTRACT_HEADINGS = {
    "protocol": "ВЫПИСКА ИЗ ПРОТОКОЛА",
    "extract": "ВЫПИСКА ИЗ ПРОТОКОЛА",
    "reference": "ВЫПИСКА ИЗ ИНФОРМАЦИОННОЙ СПРАВКИ",
    "order": "ВЫПИСКА ИЗ РАСПОРЯЖЕНИЯ",
    "prikaz": "ВЫПИСКА ИЗ ПРИКАЗА",
    "resolution": "ВЫПИСКА ИЗ ПОСТАНОВЛЕНИЯ",
    "decision": "ВЫПИСКА ИЗ РЕШЕНИЯ",
}
DOCUMENT_NAMES = {
    "protocol": "Протокол",
    "extract": "Выписка из протокола",
    "reference": "Информационная справка",
    "order": "Распоряжение",
    "prikaz": "Приказ",
    "resolution": "Постановление",
    "decision": "Решение",
}


def _clean(value: str | None) -> str:
    return office.clean_text(value).strip() if value else ""


def _one_line(value: str | None) -> str:
    return " ".join(_clean(value).split())


def _short_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _long_date(value: date) -> str:
    return format_date(value, "d MMMM y", locale="ru") + " г."


def _local_date(moment: datetime | None, tz: str | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # columns hold UTC; a naive value from a test means the same
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz or DEFAULT_TZ)).date()


def _protocol_label(meeting: Meeting | None) -> str:
    """«31.01.2023 № 12»."""
    if meeting is None:
        return ""
    label = _short_date(meeting.held_on)
    return f"{label} № {meeting.number}" if meeting.number else label


def _executor(assignment: Assignment) -> str:
    if assignment.assignee is not None:
        return assignment.assignee.full_name
    return assignment.organization.short_name if assignment.organization else ""


# --- Excel -------------------------------------------------------------------------------------

BOARD_COLUMNS: list[tuple[str, float]] = [
    ("№ п/п", 6),
    ("Протокол", 16),
    ("Пункт", 8),
    ("Решение", 60),
    ("Исполнитель", 28),
    ("Срок", 22),
    ("Дата срока", 12),
    ("Первоначальный срок", 14),
    ("Переносов", 11),
    ("Состояние", 24),
    ("Отчёт представлен", 14),
    ("Исполнено", 12),
]
FIGURES_COLUMNS: list[tuple[str, float]] = [
    ("Организация", 45),
    ("Назначено", 12),
    ("Исполнено в срок", 14),
    ("Исполнено с опозданием", 16),
    ("Просрочено", 12),
    ("Переносов срока", 12),
    ("Исполнено в срок, %", 14),
]
DATE_FORMAT = "DD.MM.YYYY"
OVERDUE_FILL = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
HEADER_ROW = 3
TOP = Alignment(vertical="top")
TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def _set(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    return office.put(ws, row, column, value.strip() if isinstance(value, str) else value)


def _sheet_head(
    ws: Worksheet, title: str, filters_line: str, columns: list[tuple[str, float]]
) -> None:
    _set(ws, 1, 1, title).font = Font(bold=True, size=14)
    _set(ws, 2, 1, filters_line).font = Font(italic=True)
    for index, (name, width) in enumerate(columns, start=1):
        cell = _set(ws, HEADER_ROW, index, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(index)].width = width
    office.print_layout(ws, HEADER_ROW)


def _finish_sheet(ws: Worksheet, columns: int, rows: int) -> None:
    last = get_column_letter(columns)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(rows, 1)}"


def board_xlsx(
    rows: list[Assignment],
    figures: list[Any],
    *,
    title: str,
    filters: dict[str, str],
    overdue_ids: set[int],
    state_labels: dict[str, str],
) -> bytes:
    """The control board: the assignments, and executive discipline per organization."""
    applied = [f"{name}: {value}" for name, value in filters.items() if value]
    filters_line = "Фильтры: " + ("; ".join(applied) if applied else "нет")

    wb = Workbook()
    ws = wb.active
    ws.title = "Поручения"
    _sheet_head(ws, title, filters_line, BOARD_COLUMNS)
    for index, a in enumerate(rows, start=1):
        overdue = a.id in overdue_ids
        state = state_labels.get(a.status, a.status or "")
        _board_row(ws, HEADER_ROW + index, _board_values(index, a, state, overdue), overdue)
    _finish_sheet(ws, len(BOARD_COLUMNS), len(rows))

    ws = wb.create_sheet("Исполнительская дисциплина")
    _sheet_head(ws, title, filters_line, FIGURES_COLUMNS)
    for index, f in enumerate(figures, start=1):
        values = [
            f.organization.short_name,
            f.assigned,
            f.done_on_time,
            f.done_late,
            f.overdue,
            f.extensions,
            f.on_time_pct,
        ]
        row = HEADER_ROW + index
        for column, value in enumerate(values, start=1):
            _set(ws, row, column, value).alignment = TOP_WRAP if column == 1 else TOP
        if f.overdue:
            ws.cell(row=row, column=5).fill = OVERDUE_FILL
    _finish_sheet(ws, len(FIGURES_COLUMNS), len(figures))

    wb.properties.creator = "Контроль исполнения решений"
    wb.properties.title = title
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


_WRAPPED = {4, 5, 6, 10}  # board columns of long text
_DATED = {7, 8, 11, 12}


def _board_values(index: int, a: Assignment, state: str, overdue: bool) -> list[Any]:
    decision = a.decision
    tz = a.organization.timezone if a.organization else None
    return [
        index,
        _protocol_label(decision.meeting),
        decision.number or "",
        decision.text,
        _executor(a),
        # One deadline in force: a moved one is not shown with the protocol's old words.
        deadline_in_force(a),
        a.due_date,
        a.original_due_date,
        a.extension_count or 0,
        state + (" (просрочено)" if overdue else ""),
        _local_date(a.reported_at, tz),
        _local_date(a.done_at, tz),
    ]


def _board_row(ws: Worksheet, row: int, values: list[Any], overdue: bool) -> None:
    for column, value in enumerate(values, start=1):
        cell = _set(ws, row, column, value)
        cell.alignment = TOP_WRAP if column in _WRAPPED else TOP
        if column in _DATED:
            cell.number_format = DATE_FORMAT
        if overdue:
            cell.fill = OVERDUE_FILL


# --- Word --------------------------------------------------------------------------------------

BODY_PT = 14
SMALL_PT = 12
INDENT_STEP_CM = 1.0


def _setup_document() -> DocxDocument:
    doc = office.new_docx(BODY_PT)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    return doc


def _para(
    doc: DocxDocument,
    text: str = "",
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    size: int | None = None,
    indent: Length | None = None,
    space_before: int = 0,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    if text:
        run = paragraph.add_run(re.sub(r"\n\s*\n+", "\n", _clean(text)))
        if bold:
            run.bold = True
        if size:
            run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if indent is not None:
        paragraph.paragraph_format.left_indent = indent
    if space_before:
        paragraph.paragraph_format.space_before = Pt(space_before)
    return paragraph


def _labelled(doc: DocxDocument, label: str, value: str | None) -> None:
    """«Председатель: …» with the label in bold; nothing when the value is empty."""
    value = _clean(value)
    if not value:
        return
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


def _plain_number(decision: Decision) -> str:
    return (decision.number or "").strip().rstrip(".")


def _depth(decision: Decision) -> int:
    """1 → 0, 1.2 → 1, 1.3.1 → 2; a dash item sits one level under its parent."""
    extra = 0
    node: Decision | None = decision
    while node is not None and not _plain_number(node):
        extra += 1
        node = node.parent
        if extra > 20:  # a broken parent chain must not hang the export
            break
    if node is None:
        return max(extra - 1, 0)
    return _plain_number(node).count(".") + extra


def _deadline_line(decision: Decision) -> str:
    words = _one_line(decision.deadline_text)
    if not words or words in _one_line(decision.text):
        return ""
    return words if words.lower().startswith("срок") else f"Срок: {words}"


def protocol_docx(
    meeting: Meeting,
    decisions: list[Decision],
    executors: dict[int, list[str]],
    *,
    organization: Organization | None = None,
) -> bytes:
    """The protocol as a whole, or with `organization` an extract of the decisions passed in."""
    doc = _setup_document()
    heading = _protocol_heading(doc, meeting, extract=organization is not None)
    if organization is not None:
        line = _para(doc, space_before=12)
        line.add_run("для: ").bold = True
        line.add_run(_one_line(organization.full_name))

    _para(doc)
    _labelled(doc, "Председатель", meeting.chair)
    _labelled(doc, "Секретарь", meeting.secretary)
    _labelled(doc, "Присутствовали", meeting.attendees)
    _labelled(doc, "Тема", meeting.topic)

    items = sorted(meeting.agenda_items, key=lambda item: item.position or 0)
    _agenda(doc, items)
    for number, item in enumerate(items, start=1):
        _heard(doc, item, f"{number}. СЛУШАЛИ:" if len(items) > 1 else "СЛУШАЛИ:")

    _para(doc, "РЕШИЛИ:", bold=True, space_before=12)
    _decisions(doc, decisions, {} if organization is not None else executors)
    _signatures(doc, meeting)

    doc.core_properties.title = _one_line(f"{heading} {meeting.title or ''}")
    doc.core_properties.language = "ru-RU"
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _protocol_heading(doc: DocxDocument, meeting: Meeting, *, extract: bool) -> str:
    """«ПРОТОКОЛ № 3» (or the extract's heading), the title, and the place and date line."""
    headings = EXTRACT_HEADINGS if extract else HEADINGS
    heading = headings.get(meeting.kind or "protocol", headings["protocol"])
    if meeting.number:
        heading += f" № {_one_line(meeting.number)}"
    _para(doc, heading, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if meeting.title:
        _para(doc, meeting.title, align=WD_ALIGN_PARAGRAPH.CENTER)
    when = _long_date(meeting.held_on)
    if meeting.time_text:
        when += f", {_one_line(meeting.time_text)}"
    place_line = _para(doc, space_before=12)
    place_line.paragraph_format.tab_stops.add_tab_stop(Mm(170), WD_TAB_ALIGNMENT.RIGHT)
    place_line.add_run(f"{_one_line(meeting.place)}\t{when}")
    return heading


def _agenda(doc: DocxDocument, items: list[Any]) -> None:
    if not items:
        return
    _para(doc, "ПОВЕСТКА ДНЯ:", bold=True, space_before=12)
    for number, item in enumerate(items, start=1):
        text = f"{number}. {_one_line(item.title)}"
        if item.speaker:
            text += f" — {_one_line(item.speaker)}"
        _para(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)


def _heard(doc: DocxDocument, item: Any, label: str) -> None:
    """«СЛУШАЛИ:» of an agenda item, if anything was heard: the speaker, then the text."""
    if not _clean(item.heard):
        return
    paragraph = _para(doc, space_before=12)
    paragraph.add_run(label).bold = True
    if item.speaker:
        paragraph.add_run(f" {_one_line(item.speaker)}")
    for chunk in _clean(item.heard).split("\n"):
        if chunk.strip():
            body = _para(doc, chunk.strip(), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            body.paragraph_format.first_line_indent = Cm(1.25)


def _decisions(
    doc: DocxDocument, decisions: list[Decision], executors: dict[int, list[str]]
) -> None:
    """The decisions in order, a section's title before its first one."""
    section: str | None = None
    for decision in decisions:
        current = _one_line(decision.section) or None
        if current and current != section:
            _para(doc, current, bold=True, space_before=6)
        section = current
        _decision_paragraphs(doc, decision, executors.get(decision.id, []))


def _signatures(doc: DocxDocument, meeting: Meeting) -> None:
    first = True
    for label, name in (("Председатель", meeting.chair), ("Секретарь", meeting.secretary)):
        if _one_line(name):
            _para(doc, f"{label} ______ {_one_line(name)}", space_before=36 if first else 18)
            first = False


def _decision_paragraphs(doc: DocxDocument, decision: Decision, executors: list[str]) -> None:
    """The decision numbered and indented as deep as it sits, its executors and deadline."""
    indent = Cm(INDENT_STEP_CM * _depth(decision))
    number = _plain_number(decision)
    if number:
        text = f"{number}. {_clean(decision.text)}"
    else:
        text = "– " + _clean(decision.text).lstrip("-–— ")
    _para(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=indent)
    names = [_one_line(n) for n in executors if _one_line(n)]
    if names:
        _para(doc, "Исполнители: " + "; ".join(names), size=SMALL_PT, indent=indent)
    deadline = _deadline_line(decision)
    if deadline:
        _para(doc, deadline, size=SMALL_PT, indent=indent)


# --- iCalendar ---------------------------------------------------------------------------------

SUMMARY_CHARS = 80


def _stamp(assignment: Assignment) -> datetime:
    """DTSTAMP from the row's own time, so the same data gives the same feed byte for byte."""
    moment = assignment.updated_at or assignment.created_at
    if moment is None:
        return datetime.combine(assignment.due_date or date(2000, 1, 1), time(), UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _summary(assignment: Assignment, overdue: bool) -> str:
    decision = assignment.decision
    text = _one_line(decision.text)
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rstrip() + "…"
    number = _plain_number(decision)
    summary = f"Срок: п. {number} — {text}" if number else f"Срок: {text}"
    return summary + (" (просрочено)" if overdue else "")


def _description(assignment: Assignment, url: str) -> str:
    decision = assignment.decision
    lines = [_clean(decision.text), ""]
    if decision.deadline_text:
        lines.append(f"Срок в протоколе: {_one_line(decision.deadline_text)}")
    lines.append(f"Срок: {_short_date(assignment.due_date)}")
    executor = _executor(assignment)
    if assignment.assignee is not None and assignment.organization is not None:
        executor += f" ({assignment.organization.short_name})"
    if executor:
        lines.append(f"Исполнитель: {executor}")
    meeting = decision.meeting
    if meeting is not None:
        name = DOCUMENT_NAMES.get(meeting.kind or "protocol", "Протокол")
        source = f"{name} от {_protocol_label(meeting)}"
        if meeting.title:
            source += f" ({_one_line(meeting.title)})"
        lines.append(source)
    lines.append(url)
    return "\n".join(lines)


def calendar_ics(
    assignments: list[Assignment],
    *,
    calendar_name: str,
    base_url: str,
    is_overdue: Callable[[Assignment], bool],
) -> bytes:
    """All-day deadline events with a reminder the day before; rows without a date are skipped."""
    cal = Calendar()
    cal.add("prodid", "-//tracker//Контроль исполнения решений//RU")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    cal.add("name", calendar_name)
    base = base_url.rstrip("/")
    dated = [a for a in assignments if a.due_date is not None]
    for a in sorted(dated, key=lambda a: (a.due_date, a.id)):
        url = f"{base}/assignments/{a.id}"
        summary = _summary(a, is_overdue(a))
        event = Event()
        event.add("uid", f"assignment-{a.id}@tracker")
        event.add("dtstamp", _stamp(a))
        event.add("dtstart", a.due_date)
        event.add("dtend", a.due_date + timedelta(days=1))
        # Each extension moves the event; a higher sequence tells clients to take the new date.
        event.add("sequence", a.extension_count or 0)
        event.add("summary", summary)
        event.add("description", _description(a, url))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        if a.status == AssignmentStatus.CANCELLED:
            event.add("status", "CANCELLED")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(days=-1))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
