"""Office files at the edges: every XLSX export writes user text as text (never a formula), every
import opens .docx/.xlsx/.odt through one guarded opener that refuses a zip bomb before parsing,
the road map import's mapping step is bounded like an upload, and protocols in KOI8-R and CP866
are read as Russian."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.factories import make_meeting
from tracker.core import office
from tracker.core.tenancy import system_actor
from tracker.cycle.models import Direction
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.protocols.text import extract_text
from tracker.roadmaps import services as roadmaps
from tracker.roadmaps.models import RoadMapAction
from tracker.roadmaps.services import ActionRow

ROOT = Path(__file__).resolve().parent.parent
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+7 (999) 1", "-2+3", "@SUM(1+1)"]


# --- 10. user text never becomes a formula --------------------------------------------------


def assert_text_only(data: bytes) -> int:
    """No formula in any sheet; every cell whose text could read as one is marked as text.
    Returns how many such cells were seen."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    seen = 0
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(office.FORMULA_STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                    seen += 1
    return seen


@pytest.fixture
def formula_world(world):
    """Data whose every user-typed text starts like a formula, in each part that exports."""
    from tracker.cycle import services as cycle
    from tracker.evaluations import services as evaluations

    meeting, _decision = make_meeting(world)
    decision = meetings.add_decision(
        db.session, meeting, number="3", text=FORMULAS[0], actor=system_actor(db.session)
    )
    meetings.fan_out(db.session, decision, [world.school], actor=system_actor(db.session))
    road_map = roadmaps.create_road_map(db.session, world.director, world.school, FORMULAS[0])
    roadmaps.save_actions(
        db.session,
        road_map,
        world.director,
        [ActionRow(number="1", text=FORMULAS[1], deadline_text="до 1 марта 2023 г.")],
    )
    direction = Direction(framework="OTHER", name=FORMULAS[2], position=99)
    db.session.add(direction)
    db.session.flush()
    indicator = cycle.create_indicator(
        db.session,
        world.staff,
        world.dept,
        code="П-1",
        name=FORMULAS[3],
        unit="percent",
        direction_id=direction.id,
    )
    campaign = cycle.open_campaign(
        db.session,
        world.staff,
        world.dept,
        title=FORMULAS[0],
        period="2023",
        indicators=[indicator],
        organizations=[world.school],
        deadline_text="до 1 марта 2023 г.",
    )
    cycle.save_values(db.session, world.staff, world.school, "2023", {indicator: "10"})
    sheet = evaluations.create_sheet(
        db.session,
        organization=world.dept,
        title=FORMULAS[1],
        actor=world.staff,
        criteria=evaluations.criteria_from_lines(f"1. {FORMULAS[2]}"),
    )
    evaluations.save_evaluation(
        db.session, sheet, world.school, actor=world.staff, scores={c.id: 1 for c in sheet.criteria}
    )
    db.session.commit()
    return {
        "board": "/board.xlsx",
        "road map summary": "/roadmaps/summary.xlsx",
        "road map": f"/roadmaps/{road_map.id}.xlsx",
        "direction analysis": (
            f"/cycle/directions/{direction.id}.xlsx?department_id={world.dept.id}"
        ),
        "campaign template": f"/cycle/campaigns/{campaign.id}/values/{world.school.id}.xlsx",
        "comparison": f"/evaluations/sheets/{sheet.id}/comparison.xlsx",
    }


def test_every_xlsx_export_writes_user_text_as_text(world, client_for, formula_world):
    client = client_for(world.staff)
    for name, url in formula_world.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        assert assert_text_only(response.data) >= 1, name


def test_the_safe_cell_writer_keeps_the_text_and_drops_what_xml_cannot_hold():
    wb = Workbook()
    ws = wb.active
    for column, text in enumerate([*FORMULAS, "\tтаб", "обычный текст\x01"], start=1):
        office.put(ws, 1, column, text)
    office.append(ws, ["=1+1", 5, None])
    out = io.BytesIO()
    wb.save(out)
    assert assert_text_only(out.getvalue()) == 6
    values = [c.value for c in load_workbook(io.BytesIO(out.getvalue())).active[1]]
    assert values[:4] == FORMULAS and values[5] == "обычный текст"


# --- 11. one guarded opener for every import --------------------------------------------------


def docx_with_text(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_with_rows(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_bomb(data: bytes, name: str, megabytes: int = 8) -> bytes:
    """The package with one more part that is tiny packed and `megabytes` unpacked."""
    out = io.BytesIO(data)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w") as part,
    ):
        for _ in range(megabytes):
            part.write(b"\0" * (1024 * 1024))
    packed = out.getvalue()
    assert len(packed) < 100 * 1024  # a small upload...
    return packed


def odt_with_text(text: str) -> bytes:
    out = io.BytesIO()
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f"<text:p>{text}</text:p></office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    return out.getvalue()


def test_the_opener_checks_every_part_the_total_and_the_ratio_before_parsing():
    plain = docx_with_text("РЕШИЛИ: 1. Провести педсовет.")
    office.open_package(plain).close()
    with pytest.raises(office.OfficeFileError) as refused:
        office.docx_document(with_bomb(plain, "word/media/image1.png"))
    assert refused.value.too_large
    with pytest.raises(office.OfficeFileError) as refused:
        office.xlsx_workbook(with_bomb(xlsx_with_rows([["a"]]), "xl/media/image1.png"))
    assert refused.value.too_large
    with pytest.raises(office.OfficeFileError) as refused:
        office.odt_content(with_bomb(odt_with_text("текст"), "Pictures/1.png"))
    assert refused.value.too_large
    with pytest.raises(office.OfficeFileError) as refused:
        office.open_package(b"not a zip")
    assert not refused.value.too_large


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("протокол.docx", lambda: with_bomb(docx_with_text("РЕШИЛИ:"), "word/media/image1.png")),
        ("протокол.odt", lambda: with_bomb(odt_with_text("РЕШИЛИ:"), "Pictures/1.png")),
    ],
)
def test_protocol_import_refuses_a_zip_bomb_with_a_message(world, client_for, name, make):
    response = client_for(world.staff).post(
        "/protocols/import",
        {"organization_id": str(world.dept.id), "text": "", "file": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "слишком большой после распаковки" in response.get_data(as_text=True)


@pytest.fixture
def road_map(world):
    road_map = roadmaps.create_road_map(db.session, world.director, world.school, "План")
    db.session.commit()
    return road_map


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("план.xlsx", lambda: with_bomb(xlsx_with_rows([["№", "Мероприятие"]]), "xl/media/1.png")),
        ("план.docx", lambda: with_bomb(docx_with_text("План"), "word/media/image1.png")),
    ],
)
def test_road_map_import_refuses_a_zip_bomb_with_a_message(world, client_for, road_map, name, make):
    response = client_for(world.director).post(
        f"/roadmaps/{road_map.id}/import",
        {"file": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "слишком большой после распаковки" in response.get_data(as_text=True)


def test_campaign_values_upload_refuses_a_zip_bomb_with_a_message(world, client_for):
    from tracker.cycle import services as cycle

    indicator = cycle.create_indicator(
        db.session, world.staff, world.dept, code="П-1", name="Доля", unit="percent"
    )
    campaign = cycle.open_campaign(
        db.session,
        world.staff,
        world.dept,
        title="Мониторинг",
        period="2023",
        indicators=[indicator],
        organizations=[world.school],
        deadline_text="до 1 марта 2023 г.",
    )
    db.session.commit()
    bomb = with_bomb(xlsx_with_rows([["Код", "Значение"], ["П-1", 5]]), "xl/media/1.png")
    response = client_for(world.director).post(
        f"/cycle/campaigns/{campaign.id}/values/{world.school.id}",
        {"file": (io.BytesIO(bomb), "значения.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "слишком большой после распаковки" in response.get_data(as_text=True)


# --- 12. the mapping step is bounded like an upload -------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        [["№", "Мероприятие"]] + [[str(n), "Провести"] for n in range(3001)],
        [["№", "Мероприятие", *[f"c{n}" for n in range(40)]], ["1", "Провести"]],
        [["№", "Мероприятие"], ["1", "П" * 30_000]],
    ],
    ids=["rows", "columns", "cell"],
)
def test_the_mapping_step_refuses_a_table_larger_than_an_upload_could_give(
    world, client_for, road_map, table
):
    response = client_for(world.director).post(
        f"/roadmaps/{road_map.id}/import",
        {
            "table": json.dumps(table, ensure_ascii=False),
            "header": "0",
            "op": "confirm",
            "column-0": "number",
            "column-1": "text",
        },
    )
    assert response.status_code == 200
    assert "Таблица больше, чем принимается из файла" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoadMapAction)) == 0


def test_the_mapping_step_refuses_what_is_not_a_table(world, client_for, road_map):
    for table in ("{}", '[["a", 1]]', "not json", '[["a"]]' + " " * 10):
        response = client_for(world.director).post(
            f"/roadmaps/{road_map.id}/import",
            {"table": table, "header": "x", "op": "confirm", "column-0": "text"},
        )
        assert response.status_code == 200
        assert "загрузите файл ещё раз" in response.get_data(as_text=True)


# --- 14. the encodings a protocol comes in ----------------------------------------------------

PROTOCOL = (
    "ПРОТОКОЛ N 12\nсовещания руководителей образовательных организаций\n"
    "РЕШИЛИ:\n1. Руководителям ОО обеспечить участие педагогов в семинаре.\n"
    "Срок: до 27 февраля 2023 года.\n2. Информацию принять к сведению.\n"
)


@pytest.mark.parametrize("encoding", ["koi8_r", "cp866", "cp1251"])
def test_a_protocol_in_a_cyrillic_single_byte_encoding_is_read_as_russian(encoding):
    assert extract_text("протокол.txt", PROTOCOL.encode(encoding)) == PROTOCOL
