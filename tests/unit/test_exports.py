"""Unit tests for tracker.reports.exports on transient objects: no database, no app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from docx import Document
from icalendar import Calendar
from openpyxl import load_workbook

from tracker.assignments.models import Assignment
from tracker.assignments.queries import Figures
from tracker.core.tenancy import Organization, User
from tracker.meetings.models import AgendaItem, Decision, Meeting
from tracker.reports.exports import board_xlsx, calendar_ics, protocol_docx

TITLE_001 = (
    "совещания руководителей муниципальных общеобразовательных организаций "
    "Петрозаводского городского округа"
)
TEXT_2 = "Разработать(скорректировать) антирисковую программу МОУ, в срок до 27.02.2023."
TEXT_4 = (
    "Разработать «Дорожную карту»/ «План мероприятий по повышению качества в МОУ на 2023 год "
    "по повышению качества образования в школе»"
)
STATE_LABELS = {
    "assigned": "назначено",
    "in_progress": "в работе",
    "reported": "отчёт представлен",
    "returned": "на доработке",
    "done": "исполнено",
    "cancelled": "отменено",
}


@dataclass
class Seed:
    meeting: Meeting
    d1: Decision
    d11: Decision
    d12: Decision
    dash: Decision
    d2: Decision
    d4: Decision
    school3: Organization
    school6: Organization
    a3: Assignment
    a6: Assignment
    a_undated: Assignment
    a_person: Assignment


@pytest.fixture
def seed() -> Seed:
    """Seed 001 (Петрозаводск, 31.01.2023), built by hand without a session."""
    department = Organization(
        id=1, kind="department", short_name="УО Петрозаводск", full_name="Управление образования"
    )
    school3 = Organization(
        id=3,
        kind="school",
        short_name="МОУ «Средняя школа № 3»",
        full_name="Муниципальное общеобразовательное учреждение «Средняя школа № 3»",
        timezone="Europe/Moscow",
    )
    school6 = Organization(
        id=6,
        kind="school",
        short_name="МОУ «Средняя школа № 6»",
        full_name="Муниципальное общеобразовательное учреждение «Средняя школа № 6»",
        timezone="Europe/Moscow",
    )
    meeting = Meeting(
        id=1,
        organization=department,
        kind="protocol",
        number=None,
        held_on=date(2023, 1, 31),
        time_text="15:00",
        place="г. Петрозаводск",
        title=TITLE_001,
        topic="Управление качеством образовательных результатов.",
        chair="С.А. Пахомова",
        secretary="С.В. Червова",
        attendees="Руководители муниципальных образовательных организаций",
    )
    meeting.agenda_items = [
        AgendaItem(
            id=1,
            position=1,
            title="Анализ образовательных результатов за 2022 год",
            speaker="С.В. Червова",
            heard="Результаты процедур оценки качества.\n\nВыводы по школам.",
        ),
        AgendaItem(id=2, position=2, title="Эффективная практика «Проекты в помощь школе»"),
    ]
    d1 = Decision(
        id=10,
        meeting=meeting,
        position=1,
        number="1",
        text="Руководителям общеобразовательных организаций:",
        deadline_text="",
    )
    d11 = Decision(
        id=11,
        meeting=meeting,
        parent=d1,
        position=2,
        number="1.1",
        text="Принять к сведению информацию.",
        deadline_text="",
    )
    d12 = Decision(
        id=12,
        meeting=meeting,
        parent=d1,
        position=3,
        number="1.2",
        text="Осуществлять в системе:",
        deadline_text="на постоянной основе",
    )
    dash = Decision(
        id=13,
        meeting=meeting,
        parent=d12,
        position=4,
        number=None,
        text="- анализ причин низких результатов образовательных результатов обучающихся",
        deadline_text="",
    )
    d2 = Decision(
        id=20,
        meeting=meeting,
        position=5,
        number="2",
        text=TEXT_2,
        deadline_text="в срок до 27.02.2023",
        deadline_kind="date",
        due_date=date(2023, 2, 27),
    )
    d4 = Decision(
        id=40,
        meeting=meeting,
        position=6,
        number="4",
        text=TEXT_4,
        deadline_text="в срок до 21.02.2023",
        deadline_kind="date",
        due_date=date(2023, 2, 21),
    )
    a3 = Assignment(
        id=101,
        decision=d2,
        organization=school3,
        status="in_progress",
        due_date=date(2023, 3, 10),
        original_due_date=date(2023, 2, 27),
        extension_count=1,
        created_at=datetime(2023, 2, 1, 7, 0, tzinfo=UTC),
        updated_at=datetime(2023, 2, 20, 9, 30, 15, 123456, tzinfo=UTC),
    )
    a6 = Assignment(
        id=102,
        decision=d2,
        organization=school6,
        status="done",
        due_date=date(2023, 2, 27),
        original_due_date=date(2023, 2, 27),
        extension_count=0,
        # 22:30 UTC is already the next day in Moscow.
        reported_at=datetime(2023, 2, 20, 22, 30, tzinfo=UTC),
        done_at=datetime(2023, 2, 22, 8, 0, tzinfo=UTC),
        on_time=True,
        updated_at=datetime(2023, 2, 22, 8, 0, tzinfo=UTC),
    )
    a_undated = Assignment(
        id=103, decision=d12, organization=school3, status="assigned", due_date=None
    )
    a_person = Assignment(
        id=104,
        decision=d4,
        organization=school6,
        assignee=User(id=7, email="ivanova@example.org", full_name="Иванова Мария Петровна"),
        status="assigned",
        due_date=date(2023, 2, 21),
        original_due_date=date(2023, 2, 21),
        updated_at=datetime(2023, 2, 1, 7, 0, tzinfo=UTC),
    )
    return Seed(meeting, d1, d11, d12, dash, d2, d4, school3, school6, a3, a6, a_undated, a_person)


# --- board_xlsx --------------------------------------------------------------------------------


def make_board(seed: Seed, filters: dict[str, str] | None = None) -> bytes:
    rows = [seed.a3, seed.a6, seed.a_undated, seed.a_person]
    figures = [
        Figures(seed.school3, assigned=2, done_on_time=0, done_late=0, overdue=1, extensions=1),
        Figures(seed.school6, assigned=2, done_on_time=1, done_late=0, overdue=0, extensions=0),
    ]
    return board_xlsx(
        rows,
        figures,
        title="Контроль исполнения поручений",
        filters=filters if filters is not None else {"Совещание": "31.01.2023", "Состояние": ""},
        overdue_ids={seed.a3.id},
        state_labels=STATE_LABELS,
    )


def test_board_layout_and_headers(seed: Seed) -> None:
    wb = load_workbook(BytesIO(make_board(seed)))
    assert wb.sheetnames == ["Поручения", "Исполнительская дисциплина"]
    ws = wb["Поручения"]
    assert ws["A1"].value == "Контроль исполнения поручений"
    assert ws["A2"].value == "Фильтры: Совещание: 31.01.2023"
    headers = [c.value for c in ws[3]]
    assert headers == [
        "№ п/п",
        "Протокол",
        "Пункт",
        "Решение",
        "Исполнитель",
        "Срок",
        "Дата срока",
        "Первоначальный срок",
        "Переносов",
        "Состояние",
        "Отчёт представлен",
        "Исполнено",
    ]
    assert all(c.font.bold for c in ws[3])
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:L7"
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width
    assert ws["D4"].alignment.wrap_text


def test_board_rows(seed: Seed) -> None:
    ws = load_workbook(BytesIO(make_board(seed)))["Поручения"]
    first = [c.value for c in ws[4]]
    assert first[:6] == [
        1,
        "31.01.2023",
        "2",
        TEXT_2,
        "МОУ «Средняя школа № 3»",
        # One deadline in force: moved by an extension, the protocol's words are not repeated.
        "до 10.03.2023, перенесён с 27.02.2023",
    ]
    # Dates are real dates with a Russian display format.
    assert first[6] == datetime(2023, 3, 10)
    assert ws["G4"].is_date and ws["G4"].number_format == "DD.MM.YYYY"
    assert first[7] == datetime(2023, 2, 27)
    assert first[8] == 1
    assert first[9] == "в работе (просрочено)"
    assert first[10] is None and first[11] is None

    done = [c.value for c in ws[5]]
    assert done[9] == "исполнено"
    assert done[10] == datetime(2023, 2, 21)  # local date in Moscow, not the UTC one
    assert done[11] == datetime(2023, 2, 22)
    assert ws["K5"].number_format == "DD.MM.YYYY"

    assert ws["G6"].value is None  # no due date: an empty cell, not a zero
    assert ws["E7"].value == "Иванова Мария Петровна"


def test_board_overdue_fill(seed: Seed) -> None:
    ws = load_workbook(BytesIO(make_board(seed)))["Поручения"]
    assert all(c.fill.fill_type == "solid" for c in ws[4])
    assert ws["D4"].fill.start_color.rgb.endswith("FFC7CE")
    assert all(c.fill.fill_type is None for c in ws[5])


def test_board_without_filters(seed: Seed) -> None:
    ws = load_workbook(BytesIO(make_board(seed, filters={})))["Поручения"]
    assert ws["A2"].value == "Фильтры: нет"


def test_board_two_filters_joined(seed: Seed) -> None:
    filters = {"Совещание": "31.01.2023", "Состояние": "в работе"}
    ws = load_workbook(BytesIO(make_board(seed, filters=filters)))["Поручения"]
    assert ws["A2"].value == "Фильтры: Совещание: 31.01.2023; Состояние: в работе"


def test_board_figures_sheet(seed: Seed) -> None:
    ws = load_workbook(BytesIO(make_board(seed)))["Исполнительская дисциплина"]
    assert [c.value for c in ws[3]] == [
        "Организация",
        "Назначено",
        "Исполнено в срок",
        "Исполнено с опозданием",
        "Просрочено",
        "Переносов срока",
        "Исполнено в срок, %",
    ]
    assert [c.value for c in ws[4]] == ["МОУ «Средняя школа № 3»", 2, 0, 0, 1, 1, 0]
    assert [c.value for c in ws[5]] == ["МОУ «Средняя школа № 6»", 2, 1, 0, 0, 0, 100]
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:G5"


def test_board_text_is_never_a_formula(seed: Seed) -> None:
    seed.d2.text = '=HYPERLINK("http://evil")\x07'
    ws = load_workbook(BytesIO(make_board(seed)))["Поручения"]
    assert ws["D4"].data_type == "s"
    assert ws["D4"].value == '=HYPERLINK("http://evil")'


def test_board_empty(seed: Seed) -> None:
    data = board_xlsx(
        [], [], title="Пусто", filters={}, overdue_ids=set(), state_labels=STATE_LABELS
    )
    ws = load_workbook(BytesIO(data))["Поручения"]
    assert ws.max_row == 3


# --- protocol_docx -----------------------------------------------------------------------------


def texts(data: bytes) -> list[str]:
    return [p.text for p in Document(BytesIO(data)).paragraphs]


def full_protocol(seed: Seed) -> bytes:
    decisions = [seed.d1, seed.d11, seed.d12, seed.dash, seed.d2, seed.d4]
    executors = {
        seed.d2.id: ["МОУ «Средняя школа № 3»", "МОУ «Средняя школа № 6»"],
        seed.d4.id: ["Иванова Мария Петровна"],
    }
    return protocol_docx(seed.meeting, decisions, executors)


def test_protocol_header(seed: Seed) -> None:
    lines = texts(full_protocol(seed))
    doc = Document(BytesIO(full_protocol(seed)))
    assert lines[0] == "ПРОТОКОЛ"
    assert doc.paragraphs[0].runs[0].bold
    assert lines[1] == TITLE_001
    assert "г. Петрозаводск\t31 января 2023 г., 15:00" in lines
    assert "Председатель: С.А. Пахомова" in lines
    assert "Секретарь: С.В. Червова" in lines
    assert "Присутствовали: Руководители муниципальных образовательных организаций" in lines
    assert "Тема: Управление качеством образовательных результатов." in lines
    agenda = lines.index("ПОВЕСТКА ДНЯ:")
    assert lines[agenda + 1] == "1. Анализ образовательных результатов за 2022 год — С.В. Червова"
    assert lines[agenda + 2] == "2. Эффективная практика «Проекты в помощь школе»"
    heard = lines.index("1. СЛУШАЛИ: С.В. Червова")
    assert lines[heard + 1 : heard + 3] == [
        "Результаты процедур оценки качества.",
        "Выводы по школам.",
    ]
    assert not any("2. СЛУШАЛИ" in line for line in lines)


def test_protocol_number_and_kind(seed: Seed) -> None:
    seed.meeting.number = "12"
    seed.meeting.kind = "extract"
    assert texts(full_protocol(seed))[0] == "ВЫПИСКА ИЗ ПРОТОКОЛА № 12"
    seed.meeting.kind = "reference"
    assert texts(full_protocol(seed))[0] == "ИНФОРМАЦИОННАЯ СПРАВКА № 12"
    seed.meeting.kind = "order"
    seed.meeting.number = None
    assert texts(full_protocol(seed))[0] == "РАСПОРЯЖЕНИЕ"


def test_protocol_decisions_in_order(seed: Seed) -> None:
    data = full_protocol(seed)
    lines = texts(data)
    start = lines.index("РЕШИЛИ:")
    assert lines[start + 1 : start + 6] == [
        "1. Руководителям общеобразовательных организаций:",
        "1.1. Принять к сведению информацию.",
        "1.2. Осуществлять в системе:",
        "Срок: на постоянной основе",
        "– анализ причин низких результатов образовательных результатов обучающихся",
    ]
    # Deadline already in the text: no separate «Срок» line.
    assert lines[start + 6 : start + 8] == [
        f"2. {TEXT_2}",
        "Исполнители: МОУ «Средняя школа № 3»; МОУ «Средняя школа № 6»",
    ]
    assert lines[start + 8 : start + 11] == [
        f"4. {TEXT_4}",
        "Исполнители: Иванова Мария Петровна",
        "Срок: в срок до 21.02.2023",
    ]
    assert lines[-2:] == ["Председатель ______ С.А. Пахомова", "Секретарь ______ С.В. Червова"]

    paragraphs = Document(BytesIO(data)).paragraphs
    indents = [paragraphs[start + i].paragraph_format.left_indent or 0 for i in (1, 2, 5, 6)]
    assert indents[0] == 0 and indents[3] == 0  # 1 and 2
    assert 0 < indents[1] < indents[2]  # 1.1, then the dash item under 1.2


def test_protocol_sections(seed: Seed) -> None:
    seed.d1.section = "Руководителям ОО"
    seed.d11.section = "Руководителям ОО"
    seed.d2.section = "Управлению образования"
    lines = texts(protocol_docx(seed.meeting, [seed.d1, seed.d11, seed.d2], {}))
    start = lines.index("РЕШИЛИ:")
    assert lines[start + 1 :][:5] == [
        "Руководителям ОО",
        "1. Руководителям общеобразовательных организаций:",
        "1.1. Принять к сведению информацию.",
        "Управлению образования",
        f"2. {TEXT_2}",
    ]


def test_protocol_style(seed: Seed) -> None:
    doc = Document(BytesIO(full_protocol(seed)))
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size.pt == 14
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.cm, 1) == 2.0 and round(section.right_margin.cm, 1) == 2.0


def test_extract_for_one_school(seed: Seed) -> None:
    seed.meeting.number = "1"
    executors = {seed.d2.id: ["МОУ «Средняя школа № 3»", "МОУ «Средняя школа № 6»"]}
    data = protocol_docx(seed.meeting, [seed.d2], executors, organization=seed.school3)
    lines = texts(data)
    assert lines[0] == "ВЫПИСКА ИЗ ПРОТОКОЛА № 1"
    assert lines[1] == TITLE_001
    assert "для: Муниципальное общеобразовательное учреждение «Средняя школа № 3»" in lines
    start = lines.index("РЕШИЛИ:")
    assert lines[start + 1] == f"2. {TEXT_2}"
    body = "\n".join(lines)
    assert "Исполнители" not in body
    assert "Средняя школа № 6" not in body
    assert "1.1. Принять к сведению" not in body
    assert "4. Разработать" not in body


def test_extract_keeps_ancestors_and_deadline(seed: Seed) -> None:
    data = protocol_docx(
        seed.meeting,
        [seed.d1, seed.d12, seed.dash],
        {seed.dash.id: ["x"]},
        organization=seed.school6,
    )
    lines = texts(data)
    start = lines.index("РЕШИЛИ:")
    assert lines[start + 1 :][:4] == [
        "1. Руководителям общеобразовательных организаций:",
        "1.2. Осуществлять в системе:",
        "Срок: на постоянной основе",
        "– анализ причин низких результатов образовательных результатов обучающихся",
    ]


# --- calendar_ics ------------------------------------------------------------------------------


def make_calendar(seed: Seed) -> Calendar:
    data = calendar_ics(
        [seed.a3, seed.a6, seed.a_undated, seed.a_person],
        calendar_name="Сроки поручений — МОУ «Средняя школа № 3»",
        base_url="https://tracker.example.org/",
        is_overdue=lambda a: a.id == seed.a3.id,
    )
    assert isinstance(data, bytes)
    return Calendar.from_ical(data)


def test_calendar_header(seed: Seed) -> None:
    cal = make_calendar(seed)
    assert str(cal["X-WR-CALNAME"]) == "Сроки поручений — МОУ «Средняя школа № 3»"
    assert str(cal["PRODID"]) == "-//tracker//Контроль исполнения решений//RU"
    assert str(cal["VERSION"]) == "2.0"


def test_calendar_events(seed: Seed) -> None:
    events = {str(e["UID"]): e for e in make_calendar(seed).walk("VEVENT")}
    assert set(events) == {
        "assignment-101@tracker",
        "assignment-102@tracker",
        "assignment-104@tracker",
    }
    late = events["assignment-101@tracker"]
    assert late["DTSTART"].dt == date(2023, 3, 10)
    assert not isinstance(late["DTSTART"].dt, datetime)
    assert late["DTSTART"].params["VALUE"] == "DATE"
    assert late["DTEND"].dt == date(2023, 3, 11)
    assert str(late["URL"]) == "https://tracker.example.org/assignments/101"
    assert str(late["SUMMARY"]) == f"Срок: п. 2 — {TEXT_2[:80]} (просрочено)"
    assert late["DTSTAMP"].dt == datetime(2023, 2, 20, 9, 30, 15, tzinfo=UTC)
    description = str(late["DESCRIPTION"])
    assert TEXT_2 in description
    assert "в срок до 27.02.2023" in description
    assert "МОУ «Средняя школа № 3»" in description
    assert "Протокол от 31.01.2023" in description
    alarms = late.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].dt == timedelta(days=-1)

    on_time = events["assignment-102@tracker"]
    assert "(просрочено)" not in str(on_time["SUMMARY"])
    person = events["assignment-104@tracker"]
    assert str(person["SUMMARY"]).endswith("…")
    assert len(str(person["SUMMARY"])) == len("Срок: п. 4 — ") + 80 + 1
    assert "Иванова Мария Петровна" in str(person["DESCRIPTION"])


def test_calendar_is_stable(seed: Seed) -> None:
    def render() -> bytes:
        return calendar_ics(
            [seed.a3, seed.a6, seed.a_person],
            calendar_name="Сроки",
            base_url="https://tracker.example.org",
            is_overdue=lambda a: False,
        )

    assert render() == render()


def test_calendar_empty(seed: Seed) -> None:
    data = calendar_ics(
        [seed.a_undated], calendar_name="Сроки", base_url="http://x", is_overdue=lambda a: False
    )
    assert Calendar.from_ical(data).walk("VEVENT") == []
