"""Road map pages: import with mapping and preview, the table editor, review; bad input changes
nothing and says why in Russian."""

import json
from io import BytesIO

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import Workbook

from tracker.extensions import db
from tracker.roadmaps import services
from tracker.roadmaps.models import RoadMap, RoadMapAction
from tracker.roadmaps.services import ActionRow


@pytest.fixture
def road_map(world):
    road_map = services.create_road_map(db.session, world.director, world.school, "План")
    services.save_actions(
        db.session,
        road_map,
        world.director,
        [ActionRow(number="1", text="Создать рабочую группу", deadline_text="до 1 марта 2023 г.")],
    )
    db.session.commit()
    return road_map


def actions() -> list[tuple[str | None, str, str]]:
    db.session.rollback()
    return [
        (a.number, a.text, a.deadline_text)
        for a in db.session.scalars(sa.select(RoadMapAction).order_by(RoadMapAction.position))
    ]


def xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


PLAN = [
    ["План мероприятий на 2023 год"],
    ["№ п/п", "Мероприятие", "Срок", "Ответственный", "Ожидаемый результат"],
    ["2", "Провести самодиагностику", "март 2023 года", "Заместитель директора", "Справка"],
    ["3", "Педагогический совет", "когда-нибудь", "Директор", "Протокол"],
    ["4", "", "до 1 апреля 2023 г.", "Директор", ""],
]


def upload(client, road_map, name: str, data: bytes):
    return client.post(
        f"/roadmaps/{road_map.id}/import",
        {"file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_reads_maps_previews_and_appends(world, client_for, road_map):
    client = client_for(world.director)
    page = upload(client, road_map, "план.xlsx", xlsx(PLAN)).get_data(as_text=True)
    assert 'data-testid="preview"' in page
    assert "Провести самодиагностику" in page and "Педагогический совет" in page
    assert "Не указано мероприятие" in page  # the row without an action is shown, not dropped
    assert actions() == [("1", "Создать рабочую группу", "до 1 марта 2023 г.")]  # not yet
    table = json.dumps(
        [r + [""] * (5 - len(r)) for r in PLAN[1:]], ensure_ascii=False
    )  # as the page posts it back
    mapping = {
        f"column-{i}": f
        for i, f in enumerate(["number", "text", "deadline", "responsible", "expected_result"])
    }
    done = client.post(
        f"/roadmaps/{road_map.id}/import",
        {"table": table, "header": "0", "op": "confirm", **mapping},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Загружено мероприятий: 2" in done and "Не загружено строк без мероприятия: 1" in done
    assert actions() == [
        ("1", "Создать рабочую группу", "до 1 марта 2023 г."),
        ("2", "Провести самодиагностику", "март 2023 года"),
        ("3", "Педагогический совет", "когда-нибудь"),
    ]
    # the unreadable deadline is kept as written and flagged; submission waits for a fix
    detail = client.get(f"/roadmaps/{road_map.id}").get_data(as_text=True)
    assert "когда-нибудь" in detail
    client.post(f"/roadmaps/{road_map.id}/submit", {})
    db.session.rollback()
    assert db.session.get(RoadMap, road_map.id).status == "draft"


def test_a_mapping_without_the_action_column_is_refused(world, client_for, road_map):
    table = json.dumps([["№", "Мероприятие"], ["1", "Провести"]], ensure_ascii=False)
    page = client_for(world.director).post(
        f"/roadmaps/{road_map.id}/import",
        {"table": table, "header": "0", "op": "confirm", "column-0": "number", "column-1": ""},
    )
    assert "Укажите, в каком столбце мероприятие" in page.get_data(as_text=True)
    assert len(actions()) == 1


def docx_without_table() -> bytes:
    document = Document()
    document.add_paragraph("План мероприятий: 1. Провести педсовет до 1 марта.")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("план.xlsx", b"PK\x03\x04 broken zip", "повреждён"),
        ("план.xlsx", b"", "пуст"),
        ("план.docx", docx_without_table(), "нет таблицы"),
        ("фото.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ".xlsx"),
        ("план.xlsx", xlsx([["Мероприятие"]]), "строк"),
    ],
)
def test_bad_files_get_a_message_and_change_nothing(
    world, client_for, road_map, name, data, message
):
    page = upload(client_for(world.director), road_map, name, data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="import-error"' in text and message in text
    assert len(actions()) == 1


def test_a_file_over_the_limit_is_refused(app, world, client_for, road_map):
    app.config["TRACKER_MAX_FILE_MB"] = 1
    try:
        data = b"PK\x03\x04" + b"\x00" * (1024 * 1024 + 10)
        page = upload(client_for(world.director), road_map, "план.xlsx", data)
        assert "больше 1 МБ" in page.get_data(as_text=True)
    finally:
        app.config["TRACKER_MAX_FILE_MB"] = 15
    assert len(actions()) == 1


def rows_form(rows: list[dict]) -> dict:
    form = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            form[f"rows-{i}-{key}"] = value
    return form


def test_editor_buttons_change_the_page_and_save_writes(world, client_for, road_map):
    client = client_for(world.director)
    first = {
        "id": str(road_map.actions[0].id),
        "level": "0",
        "number": "1",
        "text": "Создать рабочую группу",
        "deadline_text": "до 1 марта 2023 г.",
    }
    second = {
        "id": "",
        "level": "0",
        "number": "1.1",
        "text": "Утвердить состав",
        "deadline_text": "в срок до 21.02.2023",
    }
    page = client.post(
        f"/roadmaps/{road_map.id}/edit",
        {"title": "План", **rows_form([first, second]), "op": "indent:1"},
    ).get_data(as_text=True)
    assert 'name="rows-1-level" value="1"' in page
    assert len(actions()) == 1  # the buttons do not save
    page = client.post(
        f"/roadmaps/{road_map.id}/edit",
        {"title": "План", **rows_form([first, second]), "op": "add"},
    ).get_data(as_text=True)
    assert 'name="rows-2-text"' in page
    second["level"] = "1"
    client.post(
        f"/roadmaps/{road_map.id}/edit",
        {"title": "План", **rows_form([first, second]), "op": "save"},
    )
    db.session.rollback()
    saved = db.session.get(RoadMap, road_map.id)
    assert [(a.number, a.parent_id is not None) for a in saved.actions] == [
        ("1", False),
        ("1.1", True),
    ]


def test_a_bad_deadline_in_the_editor_is_shown_on_its_row_and_saves_nothing(
    world, client_for, road_map
):
    row = {
        "id": str(road_map.actions[0].id),
        "level": "0",
        "number": "1",
        "text": "Переименовано",
        "deadline_text": "31.02.2023",
    }
    page = (
        client_for(world.director)
        .post(f"/roadmaps/{road_map.id}/edit", {"title": "План", **rows_form([row]), "op": "save"})
        .get_data(as_text=True)
    )
    assert 'data-testid="row-error"' in page and "Строка 1" in page
    assert actions() == [("1", "Создать рабочую группу", "до 1 марта 2023 г.")]


def test_moves_without_csrf_change_nothing(world, client_for, road_map):
    response = client_for(world.director).post(f"/roadmaps/{road_map.id}/submit", {}, csrf=False)
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(RoadMap, road_map.id).status == "draft"


def test_an_action_of_another_map_in_the_url_is_404(world, client_for, road_map):
    other = services.create_road_map(db.session, world.director, world.school, "Другая")
    services.save_actions(db.session, other, world.director, [ActionRow(text="чужое")])
    db.session.commit()
    response = client_for(world.director).get(
        f"/roadmaps/{road_map.id}/actions/{other.actions[0].id}"
    )
    assert response.status_code == 404


def test_review_with_remarks_per_action_reaches_the_school(world, client_for, road_map):
    services.transition(db.session, road_map, "submit", world.director)
    db.session.commit()
    action_id = road_map.actions[0].id
    staff = client_for(world.staff)
    page = staff.get(f"/roadmaps/{road_map.id}").get_data(as_text=True)
    assert 'data-testid="diff"' in page and f'name="note-{action_id}"' in page
    staff.post(f"/roadmaps/{road_map.id}/review/return", {f"note-{action_id}": "Уточните срок"})
    db.session.rollback()
    assert db.session.get(RoadMap, road_map.id).status == "returned"
    page = client_for(world.director).get(f"/roadmaps/{road_map.id}/edit").get_data(as_text=True)
    assert "Уточните срок" in page
