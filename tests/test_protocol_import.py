"""Protocol import: read → review → confirm, the CLI and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import date
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from tracker.api.schemas import ProtocolReadingSchema
from tracker.assignments.models import Assignment
from tracker.auth.services import create_api_token
from tracker.core.models import AuditLog
from tracker.core.tenancy import User, system_actor
from tracker.demo.loader import LoadReport, load_organizations, load_users
from tracker.extensions import db
from tracker.meetings.models import AgendaItem, Decision, Meeting
from tracker.meetings.services import MeetingError
from tracker.orgs.services import grant_role
from tracker.protocols import services

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_001 = (SEEDS / "001_petrozavodsk_protocol_2023-01-31.txt").read_text(encoding="utf-8")
SEED_003 = SEEDS / "003_krasny_kholm_extract_12.txt"
SEED_004 = (SEEDS / "004_smolensk_moc_talk.txt").read_text(encoding="utf-8")
SCHOOLS_001 = [3, 6, 7, 10, 20, 29, 33, 43, 46, 5, 14, 35, 9, 25, 55]
STAFF_001 = "chervova@petrozavodsk.demo.test"

SMALL = """ПРОТОКОЛ № 7
совещания руководителей образовательных организаций

15.03.2024

РЕШИЛИ:
1. МОУ «Средняя школа № 3» разработать план мероприятий в срок до 01.04.2024.
2. МОУ «Гимназия № 99» провести анализ результатов. Срок: апрель 2024 года.
3. Руководителям общеобразовательных организаций:
3.1. Представить отчёт в срок до 20.04.2024.

Председатель И.И. Иванов
"""


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def nothing_created() -> bool:
    return count(Meeting) == 0 and count(Decision) == 0 and count(Assignment) == 0


@pytest.fixture
def petrozavodsk(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    db.session.commit()
    return orgs


def staff_001() -> User:
    return db.session.scalar(sa.select(User).where(User.email == STAFF_001))


def read_page(client, department_id, text=None, file=None):
    data = {"organization_id": str(department_id), "text": text or ""}
    if file is not None:
        data["file"] = file
    return client.post("/protocols/import", data, content_type="multipart/form-data")


def review_form(response) -> tuple[str, MultiDict]:
    """The review form as a browser would send it: (action, values)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    assert 'data-testid="review-form"' in html, html[:3000]
    document = lxml.html.fromstring(html)
    form = next(f for f in document.forms if f.get("data-testid") == "review-form")
    # a browser drops the newline right after <textarea>; lxml keeps it
    values = [
        (name, value[1:] if value.startswith("\n") else value)
        for name, value in ((n, v.replace("\r\n", "\n")) for n, v in form.form_values())
    ]
    return form.get("action"), MultiDict(values)


def rows_of(response) -> dict[str, str]:
    """Row number -> field prefix, for numbered rows (first occurrence)."""
    document = lxml.html.fromstring(response.get_data(as_text=True))
    rows: dict[str, str] = {}
    for tr in document.xpath('//*[@data-testid="review-row"]'):
        number = tr.get("data-number")
        textarea = tr.xpath(".//textarea")[0]
        prefix = textarea.get("name").rsplit("-", 1)[0]
        if number and number not in rows:
            rows[number] = prefix
    return rows


def confirm(client, action: str, values: MultiDict):
    return client.open(action, method="POST", data=values)


# --- the service ------------------------------------------------------------------------------


def test_directory_is_the_department_subtree_with_aliases(petrozavodsk, ctx):
    directory = services.directory_for(db.session, petrozavodsk["ptz-uo"])
    ids = {entry.id for entry in directory.scope}
    assert petrozavodsk["ptz-uo"].id in ids and petrozavodsk["ptz-sch55"].id in ids
    assert petrozavodsk["lih-oo"].id not in ids
    school = directory.by_id[petrozavodsk["ptz-sch3"].id]
    assert "СОШ № 3" in school.aliases and school.kind == "school"
    assert directory.resolve("школа № 55").entry.id == petrozavodsk["ptz-sch55"].id


def test_reading_seed_001_matches_the_fifteen_schools_and_creates_nothing(petrozavodsk, ctx):
    reading = services.read(db.session, petrozavodsk["ptz-uo"], SEED_001)
    point_1 = reading["decisions"][0]
    wanted = {petrozavodsk[f"ptz-sch{n}"].id for n in SCHOOLS_001}
    assert {e["organization_id"] for e in point_1["executors"]} == wanted
    assert services.suggest_title(SEED_001) == (
        "совещания руководителей муниципальных общеобразовательных организаций "
        "Петрозаводского городского округа"
    )
    assert services.heading_positions(reading["decisions"]) == {0}
    assert nothing_created()


def test_confirm_builds_the_meeting_in_order_with_parents_and_assignments(petrozavodsk, ctx):
    department = petrozavodsk["ptz-uo"]
    staff = staff_001()
    reading = services.read(db.session, department, SEED_001)
    reading["title"] = services.suggest_title(SEED_001)
    meeting = services.confirm(db.session, department, staff, reading)
    db.session.commit()

    assert meeting.held_on == date(2023, 1, 31) and meeting.kind == "protocol"
    assert meeting.chair == "С.А.Пахомова" and meeting.secretary == "С.В. Червова"
    assert [a.position for a in meeting.agenda_items] == [1, 2, 3]
    decisions = meeting.decisions
    assert len(decisions) == 10
    by_number = {d.number: d for d in decisions if d.number}
    assert by_number["1.3.1"].parent is by_number["1.3"]
    assert by_number["1.1"].parent is by_number["1"]
    # «1.2. Осуществлять в системе: – … – …» is one obligation: its dashes are in its text
    assert not [d for d in decisions if d.number is None]
    assert "– сопоставление результатов по учебным годам" in by_number["1.2"].text
    assert by_number["2"].parent is None and by_number["2"].due_date == date(2023, 2, 27)
    assert by_number["1.4"].deadline_kind == "ongoing"
    assert by_number["3"].deadline_kind == "relative" and by_number["3"].deadline_offset_days == 3
    assert all(d.controller_id == staff.id for d in decisions)
    # the heading gets nothing, «1.1. Принять к сведению информацию» nothing (kept, marked as
    # needing no report); every other item one assignment per school, 1.2 included (not six)
    assert by_number["1"].assignments == []
    assert by_number["1.1"].assignments == [] and by_number["1.1"].needs_report is False
    assert len(by_number["1.2"].assignments) == 15
    assert count(Assignment) == 8 * 15
    point_2 = by_number["2"].assignments
    assert {a.organization_id for a in point_2} == {
        petrozavodsk[f"ptz-sch{n}"].id for n in SCHOOLS_001
    }
    assert {a.due_date for a in point_2} == {date(2023, 2, 27)}
    assert services.created_counts(db.session, meeting) == (10, 120)
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting.import"))


def test_confirm_leaves_out_items_and_moves_their_children_up(petrozavodsk, ctx):
    department = petrozavodsk["ptz-uo"]
    reading = services.read(db.session, department, SEED_001)
    reading["title"] = "совещание"
    reading["decisions"][0]["skip"] = True  # the heading «Руководителям …:»
    meeting = services.confirm(db.session, department, staff_001(), reading)
    numbers = [d.number for d in meeting.decisions]
    assert "1" not in numbers and len(numbers) == 9
    assert next(d for d in meeting.decisions if d.number == "1.1").parent is None


def test_confirm_refuses_what_is_not_right_and_names_the_item(petrozavodsk, world, ctx):
    department = petrozavodsk["ptz-uo"]
    staff = staff_001()

    def reading(**changes):
        result = services.read(db.session, department, SEED_001)
        result["title"] = "совещание"
        for number, change in changes.items():
            decision = next(d for d in result["decisions"] if d["number"] == number)
            decision.update(change)
        return result

    with pytest.raises(MeetingError, match=r"Пункт 2: Не удалось распознать срок"):
        services.confirm(
            db.session,
            department,
            staff,
            reading(**{"2": {"deadline": {"text": "как можно скорее"}}}),
        )
    with pytest.raises(MeetingError, match=r"Пункт 4: организация .* не входит"):
        services.confirm(
            db.session,
            department,
            staff,
            reading(**{"4": {"executors": [{"organization_id": world.other_school.id}]}}),
        )
    with pytest.raises(MeetingError, match="Пункт 5: текст пункта не может быть пустым"):
        services.confirm(db.session, department, staff, reading(**{"5": {"text": "  "}}))
    no_date = reading()
    no_date["date"] = None
    with pytest.raises(MeetingError, match="дату совещания"):
        services.confirm(db.session, department, staff, no_date)
    with pytest.raises(MeetingError, match="орган управления"):
        services.confirm(db.session, petrozavodsk["ptz-sch3"], staff, reading())
    db.session.rollback()
    assert nothing_created()


# --- the pages --------------------------------------------------------------------------------


def test_import_page_for_staff_only(world, client_for):
    staff_page = client_for(world.staff).get("/protocols/import")
    assert staff_page.status_code == 200
    html = staff_page.get_data(as_text=True)
    assert "Импорт протокола" in html and world.dept.short_name in html
    assert world.other_dept.short_name not in html
    assert "Импорт протокола" in client_for(world.staff).get("/").get_data(as_text=True)
    director = client_for(world.director)
    assert director.get("/protocols/import").status_code == 403
    assert "Импорт протокола" not in director.get("/").get_data(as_text=True)
    assert db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "access.denied", AuditLog.actor_id == world.director.id
        )
    )


def test_review_shows_what_was_read_before_anything_is_created(world, client_for):
    response = read_page(client_for(world.staff), world.dept.id, SMALL)
    html = response.get_data(as_text=True)
    action, values = review_form(response)
    assert action == "/protocols/import/confirm"
    assert nothing_created()
    rows = rows_of(response)
    assert list(rows) == ["1", "2", "3", "3.1"]
    # matched executor pre-selected; the unknown school in red with its words
    assert values.getlist(f"{rows['1']}-organization_ids") == [str(world.school.id)]
    assert "«МОУ «Гимназия № 99»» — не найдено в справочнике." in html
    assert values.getlist(f"{rows['2']}-organization_ids") == []
    # the heading carries the group to its sub-item, and gets no select itself
    assert f"{rows['3']}-organization_ids" not in html
    assert sorted(values.getlist(f"{rows['3.1']}-organization_ids")) == sorted(
        [str(world.school.id), str(world.sibling.id)]
    )
    assert values["held_on"] == "2024-03-15" and values["number"] == "7"
    assert values["title"] == "совещания руководителей образовательных организаций"
    assert "до 01.04.2024 включительно" in html
    assert "до 30.04.2024 (последний день месяца)" in html


def test_ambiguous_executor_offers_its_candidates_to_tick(world, client_for):
    from tests.factories import make_org

    middle = make_org("school", "МОУ «Средняя школа № 8»", world.dept)
    basic = make_org("school", "МОУ «Основная школа № 8»", world.dept)
    db.session.commit()
    text = (
        "ПРОТОКОЛ № 1\nсовещания\n\n01.02.2024\n\n"
        "РЕШИЛИ:\n1. Школе № 8 провести анализ до 01.03.2024.\n"
    )
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, text)
    html = response.get_data(as_text=True)
    assert "неоднозначен" in html and 'data-testid="ambiguous"' in html
    action, values = review_form(response)
    prefix = rows_of(response)["1"]
    assert values.getlist(f"{prefix}-organization_ids") == []  # nothing chosen for the user
    document = lxml.html.fromstring(html)
    boxes = document.xpath('//*[@data-testid="ambiguous"]//input[@type="checkbox"]')
    assert {int(b.get("value")) for b in boxes} == {middle.id, basic.id}
    values.add(f"{prefix}-organization_ids", str(basic.id))  # the box ticked
    assert confirm(client, action, values).status_code == 302
    assert [a.organization_id for a in db.session.scalars(sa.select(Assignment))] == [basic.id]


@pytest.mark.parametrize(
    ("seed", "department"),
    [("000", "lih-oo"), ("002", "zar-uo"), ("003", "krh-oo")],
)
def test_other_seeds_confirm_with_their_structure(petrozavodsk, ctx, seed, department):
    text = next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8")
    reading = services.read(db.session, petrozavodsk[department], text)
    reading["title"] = services.suggest_title(text) or "совещание"
    # The one confirming becomes the controller, so they work in that department.
    grant_role(
        db.session, staff_001(), petrozavodsk[department], "staff", actor=system_actor(db.session)
    )
    meeting = services.confirm(db.session, petrozavodsk[department], staff_001(), reading)
    created = meeting.decisions
    assert len(created) == len(reading["decisions"])
    for read, made in zip(reading["decisions"], created, strict=True):
        assert made.number == read["number"] and made.text == read["text"].strip()
        parent = read["parent"]
        if parent is None:
            assert made.parent is None
        elif "/" not in parent:
            assert made.parent is not None and made.parent.number == parent
        else:
            assert made.parent is not None and made.parent.number is None
        if read["deadline"]:
            assert made.deadline_kind == read["deadline"]["kind"]
            assert (made.due_date.isoformat() if made.due_date else None) == read["deadline"][
                "date"
            ]
    assert count(Assignment) > 0


def test_titles_of_the_seeds():
    title = {
        seed: services.suggest_title(next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8"))
        for seed in ("000", "002", "003", "004")
    }
    assert title["000"] == (
        "заседания ОМО заместителей директоров , директоров МОУ "
        "Лихославльского муниципального округа"
    )
    assert title["002"].startswith("по итогам собеседования с управленческими командами")
    assert title["003"] == (
        "проведения совещания с руководителями образовательных организаций "
        "Краснохолмского муниципального округа"
    )
    assert title["004"] == ""


def test_confirm_from_the_review_with_edits(world, client_for):
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    rows = rows_of(response)
    values[f"{rows['1']}-text"] = "Разработать план мероприятий по повышению качества."
    values.setlist(f"{rows['2']}-organization_ids", [str(world.sibling.id)])
    values[f"{rows['2']}-deadline_text"] = "до 30.04.2024"
    values.setlist(f"{rows['3.1']}-organization_ids", [str(world.school.id)])
    values["place"] = "г. Город"
    result = confirm(client, action, values)
    assert result.status_code == 302, result.get_data(as_text=True)[:3000]
    meeting = db.session.scalars(sa.select(Meeting)).one()
    assert result.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert meeting.place == "г. Город" and meeting.number == "7"
    by_number = {d.number: d for d in meeting.decisions}
    assert by_number["1"].text == "Разработать план мероприятий по повышению качества."
    assert [a.organization_id for a in by_number["2"].assignments] == [world.sibling.id]
    assert by_number["2"].deadline_text == "до 30.04.2024"
    assert by_number["2"].due_date == date(2024, 4, 30)
    assert by_number["3"].assignments == []  # heading
    assert [a.organization_id for a in by_number["3.1"].assignments] == [world.school.id]
    page = client.get(result.headers["Location"]).get_data(as_text=True)
    assert "Протокол сохранён: 4 пунктов, 3 поручений" in page


def test_leaving_an_item_out_on_the_review(world, client_for):
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    rows = rows_of(response)
    values[f"{rows['2']}-skip"] = "y"
    assert confirm(client, action, values).status_code == 302
    assert [d.number for d in db.session.scalars(sa.select(Decision))] == ["1", "3", "3.1"]


def test_errors_on_confirm_show_the_review_again_and_create_nothing(world, client_for):
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    rows = rows_of(response)
    values[f"{rows['1']}-deadline_text"] = "как можно скорее"
    values["title"] = ""
    result = confirm(client, action, values)
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "Не удалось распознать срок «как можно скорее»" in html
    assert "ничего не сохранено" in html and 'data-testid="review-form"' in html
    assert nothing_created()
    # fixed, it goes through
    _, again = review_form(result)
    again[f"{rows['1']}-deadline_text"] = "до 01.04.2024"
    again["title"] = "совещание"
    assert confirm(client, action, again).status_code == 302
    assert count(Meeting) == 1


def test_confirm_is_one_transaction(world, client_for, monkeypatch):
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    # The second bulk audit write comes after the decisions and their assignments are written.
    real_record_many = services.audit.record_many
    calls = []

    def failing_record_many(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise MeetingError("Сбой при рассылке поручений.")
        return real_record_many(*args, **kwargs)

    monkeypatch.setattr(services.audit, "record_many", failing_record_many)
    result = confirm(client, action, values)
    assert result.status_code == 200
    assert "Сбой при рассылке поручений." in result.get_data(as_text=True)
    assert len(calls) == 2
    assert nothing_created()
    assert count(AgendaItem) == 0
    assert not db.session.scalar(sa.select(AuditLog).where(AuditLog.action.like("meeting.%")))


def test_foreign_executor_id_is_404_and_audited(world, client_for):
    client = client_for(world.staff)
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    rows = rows_of(response)
    values.add(f"{rows['1']}-organization_ids", str(world.other_school.id))
    result = confirm(client, action, values)
    assert result.status_code == 404
    assert nothing_created()
    denied = [
        row.details
        for row in db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied"))
    ]
    assert any(
        d["target_type"] == "organizations" and d["target_id"] == world.other_school.id
        for d in denied
    )


def test_foreign_department_is_404_and_audited(world, client_for):
    client = client_for(world.staff)
    assert read_page(client, world.other_dept.id, SMALL).status_code == 404
    # a school of one's own department is no department either
    assert read_page(client, world.school.id, SMALL).status_code == 404
    response = read_page(client, world.dept.id, SMALL)
    action, values = review_form(response)
    values["organization_id"] = str(world.other_dept.id)
    assert confirm(client, action, values).status_code == 404
    # a tampered structure is refused
    _, values = review_form(response)
    values["structure"] = values["structure"][:-3] + "abc"
    assert confirm(client, action, values).status_code == 400
    assert nothing_created()
    assert any(
        row.details["target_id"] == world.other_dept.id
        for row in db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied"))
    )


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_upload_reads_like_the_text(world, client_for):
    response = read_page(
        client_for(world.staff), world.dept.id, file=(io.BytesIO(docx_bytes(SMALL)), "p.docx")
    )
    review_form(response)
    assert list(rows_of(response)) == ["1", "2", "3", "3.1"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "Файл пуст"),
        ("protocol.docx", os.urandom(4096), "Файл не является документом Word (.docx)"),
        ("protocol.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "Файлы .doc не читаются"),
        ("protocol.pdf", b"%PDF-1.4\n" + b"0" * 100, "PDF не читается"),
        ("big.txt", b"a" * (30 * 1024 * 1024), "Файл больше 10 МБ"),
    ],
)
def test_broken_uploads_say_why_and_create_nothing(world, client_for, name, data, message):
    response = read_page(client_for(world.staff), world.dept.id, file=(io.BytesIO(data), name))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'data-testid="import-errors"' in html
    assert nothing_created()


def test_empty_input_and_both_inputs(world, client_for):
    client = client_for(world.staff)
    html = read_page(client, world.dept.id, "   ").get_data(as_text=True)
    assert "Вставьте текст протокола в поле или загрузите файл" in html
    html = read_page(
        client, world.dept.id, SMALL, file=(io.BytesIO(SMALL.encode()), "p.txt")
    ).get_data(as_text=True)
    assert "Загрузите файл или вставьте текст — что-то одно" in html
    assert nothing_created()


def test_text_without_decisions_says_so_and_creates_nothing(world, client_for):
    html = read_page(client_for(world.staff), world.dept.id, SEED_004).get_data(as_text=True)
    assert "В тексте не найдены пункты решения" in html
    assert 'data-testid="review-form"' not in html
    assert SEED_004[:40] in html  # the pasted text stays in the field
    assert nothing_created()


def test_request_over_the_total_limit_is_413_in_russian(world, client_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = read_page(
        client_for(world.staff),
        world.dept.id,
        file=(io.BytesIO(b"a" * (2 * 1024 * 1024)), "big.txt"),
    )
    assert response.status_code == 413
    assert "Файл слишком большой" in response.get_data(as_text=True)
    assert nothing_created()


def test_a_long_review_is_not_refused_for_its_many_fields(world, client_for):
    """More than Werkzeug's default 1000 form parts: one per executor per item."""
    from tests.factories import make_org

    for n in range(40):
        make_org("school", f"МОУ «Школа № {100 + n}»", world.dept)
    db.session.commit()
    items = "\n".join(f"{n}. Провести анализ результатов {n}." for n in range(1, 41))
    text = f"ПРОТОКОЛ № 1\nсовещания\n\n01.02.2024\n\nРЕШИЛИ:\nРуководителям ОО:\n{items}\n"
    client = client_for(world.staff)
    action, values = review_form(read_page(client, world.dept.id, text))
    assert len(list(values.items(multi=True))) > 1000
    result = confirm(client, action, values)
    assert result.status_code == 302, result.get_data(as_text=True)[:2000]
    assert count(Decision) == 40 and count(Assignment) == 40 * 42


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_prints_the_reading_of_seed_003(app, ctx):
    result = app.test_cli_runner().invoke(args=["protocol", "parse", str(SEED_003), "--json"])
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output)
    deadlines = [d["deadline"] for d in reading["decisions"] if d["deadline"]]
    january = next(d for d in deadlines if d["text"] == "Срок: январь 2024 года")
    assert january["kind"] == "month" and january["date"] == "2024-01-31"
    assert any(d["text"] == "Срок: постоянно" and d["kind"] == "ongoing" for d in deadlines)
    assert '"2024-01-31"' in result.output and '"ongoing"' in result.output
    assert "январь 2024 года" in result.output  # not \u-escaped
    assert nothing_created()


def test_cli_summary_and_department(app, petrozavodsk, tmp_path):
    seed = SEEDS / "001_petrozavodsk_protocol_2023-01-31.txt"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["protocol", "parse", str(seed), "--department", "ptz-uo"])
    assert result.exit_code == 0, result.output
    assert "Протокол от 2023-01-31" in result.output
    assert "Пунктов решения: 10, из них с отчётом: 8" in result.output
    assert "1.1 Принять к сведению информацию. [без отчёта]" in result.output
    assert re.search(
        r"2 Разработать\(скорректировать\).*\[15 исп\.\] — в срок до 27\.02\.2023", result.output
    )
    as_json = runner.invoke(
        args=[
            "protocol",
            "parse",
            str(seed),
            "--json",
            "--department",
            str(petrozavodsk["ptz-uo"].id),
        ]
    )
    point_1 = json.loads(as_json.output)["decisions"][0]
    assert len([e for e in point_1["executors"] if e["kind"] == "organization"]) == 15
    missing = runner.invoke(args=["protocol", "parse", str(seed), "--department", "nowhere"])
    assert missing.exit_code != 0 and "не найдена" in missing.output
    school = runner.invoke(args=["protocol", "parse", str(seed), "--department", "ptz-sch3"])
    assert school.exit_code != 0 and "не орган управления образованием" in school.output
    bad = tmp_path / "not-a-protocol.pdf"
    bad.write_bytes(b"%PDF-1.4")
    refused = runner.invoke(args=["protocol", "parse", str(bad)])
    assert refused.exit_code != 0 and "PDF не читается" in refused.output


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def api(client_for):
    tokens: dict[int, str] = {}

    def call(user, *, json=None, data=None):
        if user.id not in tokens:
            tokens[user.id] = create_api_token(db.session, user, "t")
            db.session.commit()
        return client_for().open(
            "/api/v1/protocols/parse",
            method="POST",
            json=json,
            data=data,
            headers={"Authorization": f"Bearer {tokens[user.id]}"},
        )

    return call


def test_api_reads_seed_001_with_fifteen_matched_schools(petrozavodsk, api):
    department = petrozavodsk["ptz-uo"]
    response = api(staff_001(), json={"organization_id": department.id, "text": SEED_001})
    assert response.status_code == 200, response.json
    point_1 = response.json["decisions"][0]
    assert point_1["number"] == "1"
    matched = [e for e in point_1["executors"] if e["kind"] == "organization"]
    assert [e["organization_id"] for e in matched] == [
        petrozavodsk[f"ptz-sch{n}"].id for n in SCHOOLS_001
    ]
    assert response.json["date"] == "2023-01-31"
    assert nothing_created()


def test_api_upload_as_multipart(petrozavodsk, api):
    department = petrozavodsk["ptz-uo"]
    response = api(
        staff_001(),
        data={
            "organization_id": str(department.id),
            "file": (io.BytesIO(docx_bytes(SEED_001)), "protocol.docx"),
        },
    )
    assert response.status_code == 200, response.json
    assert len(response.json["decisions"]) == 10
    broken = api(
        staff_001(),
        data={
            "organization_id": str(department.id),
            "file": (io.BytesIO(os.urandom(999)), "p.docx"),
        },
    )
    assert broken.status_code == 422
    assert "не является документом Word" in broken.json["message"]


def test_api_refusals(world, api):
    text = {"organization_id": world.dept.id, "text": SMALL}
    assert api(world.staff, json=text).status_code == 200
    assert api(world.director, json=text).status_code == 404  # cannot even see it
    assert api(world.admin, json=text).status_code == 403  # sees it, records no meetings
    foreign = api(world.staff, json={**text, "organization_id": world.other_dept.id})
    assert foreign.status_code == 404
    assert api(world.staff, json={"organization_id": world.dept.id}).status_code == 422
    empty = api(world.staff, json={"organization_id": world.dept.id, "text": "  "})
    assert empty.status_code == 422 and "пуст" in empty.json["message"]
    school = api(world.staff, json={**text, "organization_id": world.school.id})
    assert school.status_code == 422 and "орган управления" in school.json["message"]
    no_file = api(world.staff, data={"organization_id": str(world.dept.id)})
    assert no_file.status_code == 422 and "file" in no_file.json["message"]
    assert nothing_created()


def _check(value, schema: dict, components: dict, where: str) -> None:
    """Validate a JSON value against an OpenAPI 3 schema: refs, types, required keys, items."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        failures = []
        for alternative in alternatives:
            try:
                _check(value, alternative, components, where)
                return
            except AssertionError as error:
                failures.append(str(error))
        raise AssertionError(f"{where}: matches none of {failures}")
    if value is None:
        assert schema.get("nullable") or None in (schema.get("type") or []), f"{where}: null"
        return
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    python = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }
    if kinds:
        assert any(isinstance(value, python[k]) for k in kinds if k in python), (
            f"{where}: {value!r} is not {kinds}"
        )
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            assert key in value, f"{where}: {key} missing"
        assert set(value) <= set(properties), (
            f"{where}: undocumented {set(value) - set(properties)}"
        )
        for key, item in value.items():
            _check(item, properties[key], components, f"{where}.{key}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, schema["items"], components, f"{where}[{index}]")


def test_api_answer_for_seed_001_matches_its_openapi_schema(petrozavodsk, api, client_for):
    answer = api(
        staff_001(), json={"organization_id": petrozavodsk["ptz-uo"].id, "text": SEED_001}
    ).json
    document = client_for().get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/protocols/parse"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    components = document["components"]["schemas"]
    _check(answer, schema, components, "answer")
    reading = components[schema["$ref"].rsplit("/", 1)[-1]]
    assert set(reading["properties"]) == set(answer)
    decision = components["ProtocolDecision"]
    assert set(decision["properties"]) == set(answer["decisions"][0])
    assert set(components["ProtocolExecutor"]["properties"]) == set(
        answer["decisions"][0]["executors"][0]
    )
    assert set(components["ProtocolDeadline"]["properties"]) == set(
        answer["decisions"][6]["deadline"]
    )
    # the same marshmallow schema loads it back without errors
    assert ProtocolReadingSchema().validate(answer) == {}
    body = operation["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}


ORDER = """УПРАВЛЕНИЕ ОБРАЗОВАНИЯ АДМИНИСТРАЦИИ ПЕТРОЗАВОДСКОГО ГОРОДСКОГО ОКРУГА
ПРИКАЗ
05.02.2024                                                   № 45
О мерах по повышению объективности оценочных процедур
По итогам анализа результатов ВПР 2023 года ПРИКАЗЫВАЮ:
1. Информацию о результатах ВПР 2023 года принять к сведению.
2. Руководителям МОУ «Средняя школа № 3» и МОУ «Средняя школа № 6» разработать планы \
в срок до 01.03.2024.
3. Поручить МОУ «Средняя школа № 10» (Иванова И.И.) провести семинар в течение месяца.
4. Контроль за исполнением приказа оставляю за собой.
Начальник управления образования                          С.А. Пахомова
"""


def test_page_cli_and_api_give_the_same_reading(petrozavodsk, api, app, tmp_path):
    """One reading everywhere: the import page (services.read), `flask protocol parse --json`
    and `POST /api/v1/protocols/parse`."""
    department = petrozavodsk["ptz-uo"]
    page = services.read(db.session, department, ORDER)
    path = tmp_path / "приказ.txt"
    path.write_text(ORDER, encoding="utf-8")
    cli = app.test_cli_runner().invoke(
        args=["protocol", "parse", str(path), "--json", "--department", "ptz-uo"]
    )
    from_api = api(staff_001(), json={"organization_id": department.id, "text": ORDER}).json
    assert json.loads(cli.output) == page == from_api
    assert (page["document"], page["kind"], page["number"]) == ("prikaz", "prikaz", "45")
    assert page["controller"] == "С.А. Пахомова"
    decisions = {d["number"]: d for d in page["decisions"]}
    assert [decisions[n]["needs_report"] for n in "1234"] == [False, True, True, False]
    assert {e["organization_id"] for e in decisions["2"]["executors"]} == {
        petrozavodsk["ptz-sch3"].id,
        petrozavodsk["ptz-sch6"].id,
    }
    assert decisions["3"]["deadline"]["date"] == "2024-03-05"  # a month from 05.02.2024
    assert nothing_created()
