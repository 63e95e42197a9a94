"""Unit tests for tracker.roadmaps.documents, .reading and .export: files built in the tests, no
database, no app."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook

# Every model module, so that the mappers resolve their relationships without create_app().
from tracker.assignments import models as _assignments  # noqa: F401
from tracker.auth import models as _auth  # noqa: F401
from tracker.core.tenancy import Organization
from tracker.cycle import models as _cycle  # noqa: F401
from tracker.evaluations import models as _evaluations  # noqa: F401
from tracker.meetings import models as _meetings  # noqa: F401
from tracker.notify import models as _notify  # noqa: F401
from tracker.roadmaps.documents import (
    FIELDS,
    DraftAction,
    RoadMapImportError,
    guess_mapping,
    parse_rows,
)
from tracker.roadmaps.export import road_map_docx, road_map_xlsx
from tracker.roadmaps.models import RoadMap, RoadMapAction
from tracker.roadmaps.reading import read_table

HEADER = [
    "№ п/п",
    "Наименование мероприятия",
    "Сроки исполнения",
    "Ответственные",
    "Ожидаемый результат",
]
MAPPING = ["number", "text", "deadline", "responsible", "expected_result"]
DATA = [
    ["1.1", "Разработать антирисковую программу", "в срок до 21.02.2023", "Директор", "Программа"],
    ["1.2", "Провести мониторинг результатов", "январь 2024 года", "Зам. директора по УВР", ""],
    ["1.3", "Контроль посещаемости", "постоянно", "Классные руководители", ""],
    ["1.4", "Провести круглый стол", "когда-нибудь", "Зам. директора по УВР", ""],
    ["1.5", "", "до 01.03.2023", "Директор", ""],
]
HEADING = "1. Организационные мероприятия"
UNREADABLE = "Не удалось распознать срок «когда-нибудь»"


def xlsx_bytes(fill) -> bytes:
    wb = Workbook()
    fill(wb.active)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def docx_bytes(fill) -> bytes:
    doc = Document()
    fill(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def plan_xlsx() -> bytes:
    def fill(ws):
        ws.append(["План мероприятий по повышению качества образования на 2023 год"])
        ws.merge_cells("A1:E1")
        ws.append([])
        ws.append(HEADER)
        ws.append([HEADING])
        ws.merge_cells("A4:E4")
        for row in DATA:
            ws.append(row)
        ws.append([2, "Итоговый педсовет", datetime(2023, 5, 31), "Директор", 0.85])
        ws["E10"].number_format = "0%"
        ws.append([])
        ws.append([])

    return xlsx_bytes(fill)


def fill_row(table, index: int, values: list[str]) -> None:
    for column, value in enumerate(values):
        table.cell(index, column).text = value


def plan_docx() -> bytes:
    def fill(doc):
        # A borderless table holding the «УТВЕРЖДАЮ» block comes first: not the plan.
        approval = doc.add_table(rows=1, cols=2)
        approval.cell(0, 1).text = "УТВЕРЖДАЮ\nДиректор МОУ «СОШ № 3»"
        doc.add_paragraph("План мероприятий по повышению качества образования")
        rows = [HEADER, ["1", "2", "3", "4", "5"], [HEADING], *DATA[:2], HEADER, *DATA[2:]]
        table = doc.add_table(rows=len(rows), cols=5)
        for index, values in enumerate(rows):
            if len(values) == 1:
                merged = table.cell(index, 0).merge(table.cell(index, 4))
                merged.text = values[0]
            else:
                fill_row(table, index, values)

    return docx_bytes(fill)


def summary(drafts: list[DraftAction]) -> list[tuple]:
    return [(d.number, d.text, d.level, d.heading, bool(d.errors)) for d in drafts]


# --- reading -----------------------------------------------------------------------------------


def test_xlsx_rows_are_strings_padded_without_empty_rows():
    rows = read_table("plan.xlsx", plan_xlsx())
    assert rows[0] == ["План мероприятий по повышению качества образования на 2023 год"] + [""] * 4
    assert rows[1] == HEADER
    assert rows[2] == [HEADING, "", "", "", ""]  # a merged cell: its value top-left only
    assert rows[3:8] == DATA
    assert rows[8] == ["2", "Итоговый педсовет", "31.05.2023", "Директор", "85%"]
    assert len(rows) == 9
    assert {len(row) for row in rows} == {5}


def test_xlsx_table_away_from_the_corner():
    def fill(ws):
        ws["C3"], ws["D3"], ws["E3"] = "№", "Мероприятие", "Срок"
        ws["C5"], ws["D5"], ws["E5"] = 1, "Провести педсовет", "постоянно"

    assert read_table("plan.xlsx", xlsx_bytes(fill)) == [
        ["№", "Мероприятие", "Срок"],
        ["1", "Провести педсовет", "постоянно"],
    ]


def test_parse_rows_takes_the_table_back_from_json():
    rows = [["№", "Мероприятие", "Срок"], [1, "Провести педсовет", None], ["2"]]
    drafts = parse_rows(rows, 0, ["number", "text", "deadline"])
    assert [(d.number, d.text, d.deadline_text, d.errors) for d in drafts] == [
        ("1", "Провести педсовет", "", []),
        ("2", "", "", ["Не указано мероприятие."]),
    ]


def test_xlsx_mapping_finds_header_under_title():
    assert guess_mapping(read_table("plan.xlsx", plan_xlsx())) == (1, MAPPING)


def test_xlsx_parse_rows_keeps_unreadable_rows():
    rows = read_table("plan.xlsx", plan_xlsx())
    drafts = parse_rows(rows, 1, MAPPING, today=date(2023, 1, 31))
    assert summary(drafts) == [
        ("1", "Организационные мероприятия", 0, True, False),
        ("1.1", "Разработать антирисковую программу", 1, False, False),
        ("1.2", "Провести мониторинг результатов", 1, False, False),
        ("1.3", "Контроль посещаемости", 1, False, False),
        ("1.4", "Провести круглый стол", 1, False, True),
        ("1.5", "", 1, False, True),
        ("2", "Итоговый педсовет", 0, False, False),
    ]
    heading, d11, d12, d13, d14, d15, d2 = drafts
    assert heading.deadline is not None and heading.deadline.kind == "none"
    assert heading.row == 3
    assert (d11.deadline.kind, d11.deadline.due_date) == ("date", date(2023, 2, 21))
    assert d11.deadline_text == "в срок до 21.02.2023"
    assert (d11.responsible, d11.expected_result) == ("Директор", "Программа")
    assert (d12.deadline.kind, d12.deadline.due_date) == ("month", date(2024, 1, 31))
    assert d13.deadline.kind == "ongoing"
    assert d14.deadline is None and d14.deadline_text == "когда-нибудь"
    assert UNREADABLE in d14.errors[0]
    assert d15.errors == ["Не указано мероприятие."]
    assert d15.deadline.due_date == date(2023, 3, 1)
    assert d2.deadline.due_date == date(2023, 5, 31)
    assert d2.expected_result == "85%"


def test_docx_reads_the_plan_table_with_merged_heading_and_repeated_header():
    rows = read_table("plan.docx", plan_docx())
    assert rows[0] == HEADER
    assert rows[2] == [HEADING, "", "", "", ""]  # merged across the row: one value
    header, mapping = guess_mapping(rows)
    assert (header, mapping) == (0, MAPPING)
    drafts = parse_rows(rows, header, mapping)
    assert [(d.number, d.heading, d.level) for d in drafts] == [
        ("1", True, 0),
        ("1.1", False, 1),
        ("1.2", False, 1),
        ("1.3", False, 1),
        ("1.4", False, 1),
        ("1.5", False, 1),
    ]
    assert [d.deadline_text for d in drafts[1:]] == [row[2] for row in DATA]
    assert [bool(d.errors) for d in drafts] == [False, False, False, False, True, True]


def test_docx_word_list_numbers_are_read():
    def fill(doc):
        rows = [["№", "Мероприятие", "Срок"], ["", "Провести педсовет", "постоянно"]]
        rows.append(["", "Провести собрание", "до 01.03.2023"])
        table = doc.add_table(rows=len(rows), cols=3)
        for index, values in enumerate(rows):
            fill_row(table, index, values)
            if index:
                table.cell(index, 0).paragraphs[0].style = doc.styles["List Number"]

    rows = read_table("plan.docx", docx_bytes(fill))
    assert [row[0] for row in rows] == ["№", "1.", "2."]
    drafts = parse_rows(rows, *guess_mapping(rows))
    assert [(d.number, d.level) for d in drafts] == [("1", 0), ("2", 0)]


def test_docx_vertically_merged_cell_repeats_its_value():
    def fill(doc):
        table = doc.add_table(rows=3, cols=3)
        fill_row(table, 0, ["Мероприятие", "Срок", "Ответственный"])
        fill_row(table, 1, ["Провести педсовет", "постоянно", ""])
        fill_row(table, 2, ["Провести собрание", "постоянно", ""])
        table.cell(1, 2).merge(table.cell(2, 2)).text = "Директор"

    rows = read_table("plan.docx", docx_bytes(fill))
    assert [row[2] for row in rows[1:]] == ["Директор", "Директор"]


# --- columns -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["№", "Мероприятие", "Срок", "Ответственный", "Результат"], MAPPING),
        (
            ["N", "Содержание деятельности", "Дата проведения", "Исполнители", "Продукт"],
            MAPPING,
        ),
        (
            [
                "№ п/п",
                "Мероприятия",
                "Период реализации",
                "Ответственный исполнитель",
                "Показатель",
                "Целевое значение",
                "Источник финансирования",
                "Примечание",
            ],
            [
                "number",
                "text",
                "deadline",
                "responsible",
                "indicator",
                "target_value",
                "resources",
                "",
            ],
        ),
        (
            ["Наименование показателя", "Значение показателя", "Наименование мероприятия"],
            ["indicator", "target_value", "text"],
        ),
        (
            ["Мероприятие", "Ожидаемый результат (показатель)", "Показатель результативности"],
            ["text", "expected_result", "indicator"],
        ),
        (["№", "Мероприятие", "Срок (план)", "Срок (факт)"], ["number", "text", "deadline", ""]),
    ],
)
def test_guess_mapping_by_word_stems(header, expected):
    rows = [header, ["1", "Провести педсовет", "до 01.03.2023", "Директор"] + [""] * 4]
    rows = [row[: len(header)] for row in rows]
    assert guess_mapping(rows) == (0, expected)


def test_guess_mapping_without_header_is_positional():
    rows = [
        ["1", "Провести педсовет", "до 01.03.2023", "Директор", "Протокол", "5"],
        ["2", "Провести собрание", "постоянно", "Зам. директора", "Протокол", "6"],
    ]
    assert guess_mapping(rows) == (-1, [*MAPPING, ""])
    assert guess_mapping([["Провести педсовет", "постоянно"]]) == (-1, ["number", "text"])
    drafts = parse_rows(rows, -1, [*MAPPING, ""])
    assert [(d.row, d.number, d.deadline.kind) for d in drafts] == [
        (1, "1", "date"),
        (2, "2", "ongoing"),
    ]


def test_two_level_header():
    rows = [
        ["№", "Мероприятие", "Срок", "Показатели", ""],
        ["", "", "", "наименование", "значение"],
        ["1", "Провести ВПР", "апрель 2024 года", "Доля участников", "100%"],
    ]
    header, mapping = guess_mapping(rows)
    assert (header, mapping) == (0, ["number", "text", "deadline", "indicator", "target_value"])
    [draft] = parse_rows(rows, header, mapping)
    assert (draft.indicator, draft.target_value) == ("Доля участников", "100%")


def test_levels_without_numbers():
    rows = [
        ["№", "Мероприятие", "Срок"],
        ["Работа с педагогами", "", ""],
        ["", "Провести педсовет", "постоянно"],
        ["", "Осуществлять контроль:", "постоянно"],
        ["", "- посещаемости", ""],
        ["", "- успеваемости", ""],
        ["", "Провести собрание", "до 01.03.2023"],
        ["2.", "Работа с родителями", ""],
        ["2.1.", "Провести собрание", "до 01.03.2023"],
        ["2.1.1", "Подготовить протокол", "до 01.03.2023"],
    ]
    drafts = parse_rows(rows, 0, ["number", "text", "deadline"])
    assert [(d.number, d.level, d.heading) for d in drafts] == [
        ("", 0, True),
        ("", 1, False),
        ("", 1, False),
        ("", 2, False),
        ("", 2, False),
        ("", 1, False),
        ("2", 0, True),
        ("2.1", 1, False),
        ("2.1.1", 2, False),
    ]


def test_number_written_into_the_text_is_split_off():
    rows = [["Мероприятие", "Срок"], ["1.2. Провести педсовет", "постоянно"]]
    [draft] = parse_rows(rows, 0, ["text", "deadline"])
    assert (draft.number, draft.text, draft.level) == ("1.2", "Провести педсовет", 1)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (["number", "title", "deadline"], "Неизвестное поле «title» в столбце 2"),
        (["text", "deadline", "deadline"], "«Срок» выбрано для двух столбцов (2 и 3)"),
        (["number", "", "deadline"], "Укажите, в каком столбце мероприятие."),
        ([], "Укажите, в каком столбце мероприятие."),
    ],
)
def test_mapping_is_checked(mapping, message):
    rows = [["№", "Мероприятие", "Срок"], ["1", "Провести педсовет", "постоянно"]]
    with pytest.raises(RoadMapImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rows(rows, 0, mapping)


def test_header_index_out_of_range():
    with pytest.raises(RoadMapImportError):
        parse_rows([["Мероприятие"], ["Провести"]], 5, ["text"])


def test_fields_have_labels():
    assert list(FIELDS)[:3] == ["number", "text", "deadline"]
    assert FIELDS[""] == "не загружать"


# --- refusals ----------------------------------------------------------------------------------


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("plan.xlsx", b"this is not a workbook at all", "повреждён"),
        ("plan.docx", b"PK\x03\x04" + b"\x00" * 200, "повреждён"),
        ("plan.xlsx", b"", "Файл пуст"),
        ("plan.docx", b"  \n ", "Файл пуст"),
        ("plan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "изображение"),
        ("plan.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "изображение"),
        ("plan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        ("plan.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".doc"),
        ("plan.csv", "№;Мероприятие\n1;Провести".encode("cp1251"), ".csv"),
        ("plan.ods", zip_bytes({"content.xml": b"<x/>"}), "OpenDocument"),
        ("plan.zip", zip_bytes({"readme.txt": b"hello"}), "повреждён"),
        ("plan.pptx", zip_bytes({"ppt/presentation.xml": b"<x/>"}), "презентация"),
    ],
)
def test_unreadable_files_are_refused(filename, data, message):
    with pytest.raises(RoadMapImportError, match=message) as error:
        read_table(filename, data)
    assert ".xlsx" in str(error.value)


def test_file_over_the_limit():
    with pytest.raises(RoadMapImportError, match="Файл больше 1 КБ"):
        read_table("plan.xlsx", plan_xlsx(), max_bytes=1000)
    with pytest.raises(RoadMapImportError, match="Файл больше 10 МБ"):
        read_table("plan.xlsx", b"x" * (10 * 1024 * 1024 + 1))


def test_docx_without_a_table():
    data = docx_bytes(lambda doc: doc.add_paragraph("План мероприятий: провести педсовет."))
    with pytest.raises(RoadMapImportError, match="В документе нет таблицы"):
        read_table("plan.docx", data)


def test_table_with_one_row():
    def fill(doc):
        fill_row(doc.add_table(rows=1, cols=3), 0, ["№", "Мероприятие", "Срок"])

    with pytest.raises(RoadMapImportError, match="меньше двух строк"):
        read_table("plan.docx", docx_bytes(fill))
    with pytest.raises(RoadMapImportError, match="меньше двух строк"):
        read_table("plan.xlsx", xlsx_bytes(lambda ws: ws.append(["№", "Мероприятие", "Срок"])))


def test_empty_workbook():
    with pytest.raises(RoadMapImportError, match="нет данных"):
        read_table("plan.xlsx", xlsx_bytes(lambda ws: None))


def test_zip_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w") as part:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(51):
                part.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(RoadMapImportError, match="после распаковки"):
        read_table("plan.docx", data)


# --- export ------------------------------------------------------------------------------------

SCHOOL = "Муниципальное общеобразовательное учреждение «Средняя школа № 3»"


@pytest.fixture
def road_map() -> RoadMap:
    school = Organization(
        short_name="МОУ «СОШ № 3»", full_name=SCHOOL, kind="school", timezone="Europe/Moscow"
    )
    return RoadMap(
        title="по повышению качества образования",
        organization=school,
        period_start=date(2023, 2, 1),
        period_end=date(2024, 5, 31),
        status="approved",
        approved_at=datetime(2023, 2, 10, 22, 30, tzinfo=UTC),  # 11.02 in Moscow
        actions=[
            RoadMapAction(
                position=5,
                number="2",
                text="Провести итоговый педсовет",
                deadline_text="май 2024 года",
                responsible="Директор",
            ),
            RoadMapAction(
                position=1, number="1", text="Организационные мероприятия", deadline_text=""
            ),
            RoadMapAction(
                position=2,
                number="1.1",
                text="Разработать антирисковую программу",
                deadline_text="в срок до 21.02.2023",
                responsible="Директор",
                expected_result="Программа утверждена",
            ),
            RoadMapAction(
                position=3,
                number="1.2",
                text="Отменённое мероприятие",
                deadline_text="постоянно",
                status="dropped",
            ),
            RoadMapAction(
                position=4,
                number="1.3",
                text="Провести мониторинг результатов",
                deadline_text="",
                due_date=date(2024, 1, 31),
                responsible="Зам. директора по УВР",
                expected_result="Справка",
                target_value="100%",
            ),
        ],
    )


EXPECTED = [
    ("1", "Организационные мероприятия", "", 0, True),
    ("1.1", "Разработать антирисковую программу", "в срок до 21.02.2023", 1, False),
    ("1.3", "Провести мониторинг результатов", "31.01.2024", 1, False),
    ("2", "Провести итоговый педсовет", "май 2024 года", 0, False),
]
EXPORT_HEADER = ["№", "Мероприятие", "Срок", "Ответственный", "Результат"]


@pytest.mark.parametrize("export", [road_map_xlsx, road_map_docx])
def test_export_round_trip(road_map, export):
    filename = "plan.xlsx" if export is road_map_xlsx else "plan.docx"
    rows = read_table(filename, export(road_map))
    header, mapping = guess_mapping(rows)
    assert rows[header] == EXPORT_HEADER
    assert mapping == MAPPING
    drafts = parse_rows(rows, header, mapping)
    assert [(d.number, d.text, d.deadline_text, d.level, d.heading) for d in drafts] == EXPECTED
    assert not any(d.errors for d in drafts)
    assert drafts[2].deadline.due_date == date(2024, 1, 31)
    assert drafts[2].expected_result == "Справка\n100%"


def test_xlsx_export_layout(road_map):
    ws = load_workbook(io.BytesIO(road_map_xlsx(road_map))).active
    cells = {cell.coordinate: cell for row in ws.iter_rows() for cell in row if cell.value}
    values = [cell.value for cell in cells.values()]
    assert ws["D1"].value == "УТВЕРЖДАЮ"
    assert ws["D2"].value == f"Директор {SCHOOL}"
    assert "Согласовано: 11.02.2023" in values
    assert "Дорожная карта" in values
    assert "на период с 01.02.2023 по 31.05.2024" in values
    assert "Отменённое мероприятие" not in values
    header_row = next(
        cell.row for cell in cells.values() if cell.value == "Мероприятие" and cell.column == 2
    )
    assert [ws.cell(header_row, c).value for c in range(1, 6)] == EXPORT_HEADER
    assert ws.cell(header_row, 1).font.bold
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width
    by_text = {ws.cell(r, 2).value: ws.cell(r, 2) for r in range(header_row + 1, ws.max_row + 1)}
    assert by_text["Разработать антирисковую программу"].alignment.indent > 0
    assert by_text["Разработать антирисковую программу"].alignment.wrap_text
    assert not by_text["Провести итоговый педсовет"].alignment.indent
    assert by_text["Организационные мероприятия"].font.bold


def test_docx_export_layout(road_map):
    doc = Document(io.BytesIO(road_map_docx(road_map)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[:5] == [
        "УТВЕРЖДАЮ",
        f"Директор {SCHOOL}",
        "____________ / ____________ /",
        '"___" ____________ 20__ г.',
        "Согласовано: 11.02.2023",
    ]
    assert "Дорожная карта" in paragraphs
    assert "по повышению качества образования" in paragraphs
    assert "на период с 01.02.2023 по 31.05.2024" in paragraphs
    section = doc.sections[0]
    assert section.page_width > section.page_height
    [table] = doc.tables
    assert [cell.text for cell in table.rows[0].cells] == EXPORT_HEADER
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    rows = {row.cells[1].text: row.cells for row in table.rows[1:]}
    assert list(rows) == [text for _n, text, _d, _l, _h in EXPECTED]
    indent = rows["Разработать антирисковую программу"][1].paragraphs[0].paragraph_format
    assert indent.left_indent is not None and indent.left_indent > 0
    assert rows["Провести итоговый педсовет"][1].paragraphs[0].paragraph_format.left_indent is None
    assert rows["Провести мониторинг результатов"][2].text == "31.01.2024"
    assert "Отменённое мероприятие" not in doc.element.xml


def test_export_with_own_approver_block_and_draft_status(road_map):
    road_map.status = "draft"
    road_map.approver_block = "УТВЕРЖДАЮ\n\nНачальник управления образования\nИ.И. Иванова"
    road_map.title = "Дорожная карта по повышению качества образования"
    doc = Document(io.BytesIO(road_map_docx(road_map)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[:4] == ["УТВЕРЖДАЮ", "", "Начальник управления образования", "И.И. Иванова"]
    assert not any(t.startswith("Согласовано") for t in texts)
    assert "Дорожная карта" not in texts  # the title already says it
    assert "Дорожная карта по повышению качества образования" in texts


def test_export_without_organization_or_actions():
    road_map = RoadMap(title="План", actions=[])
    doc = Document(io.BytesIO(road_map_docx(road_map)))
    assert "Директор" in [p.text for p in doc.paragraphs]
    assert len(doc.tables[0].rows) == 1
    ws = load_workbook(io.BytesIO(road_map_xlsx(road_map))).active
    assert ws["D1"].value == "УТВЕРЖДАЮ"
