"""Seed 001's point 4, the road map of school № 3, clicked through as people would: import from
Excel, return with a remark, resubmit, approve with the diff, the assignment closed on time,
execution marked with evidence."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tracker.core import clock
from tracker.core.tenancy import User
from tracker.demo.loader import DEMO_PASSWORD, LoadReport, load_organizations, load_users
from tracker.extensions import db
from tracker.meetings import services as meetings

pytestmark = pytest.mark.browser
MSK = ZoneInfo("Europe/Moscow")
STAFF = "chervova@petrozavodsk.demo.test"
DIRECTOR = "director.sch3@petrozavodsk.demo.test"
SCHOOL = "МОУ «Средняя школа № 3»"
POINT_4 = (
    "Разработать «Дорожную карту»/ «План мероприятий по повышению качества в МОУ на 2023 год "
    "по повышению качества образования в школе», в срок до 21.02.2023."
)
COUNCIL = "Методический совет «Качество образования: итоги оценочных процедур»"


def at(day: int, hour: int = 10) -> None:
    clock.freeze(datetime(2023, 2, day, hour, tzinfo=MSK))


@pytest.fixture
def point_4(ctx):
    """The demo organizations and users, and point 4 of the meeting of 31.01.2023 sent to
    schools № 3 and № 6 (the meeting itself is clicked through in test_execution_control)."""
    at(1)
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    staff = db.session.scalar(sa.select(User).where(User.email == STAFF))
    meeting = meetings.create_meeting(
        db.session,
        organization=orgs["ptz-uo"],
        held_on=date(2023, 1, 31),
        time_text="15:00",
        place="г. Петрозаводск",
        title="совещания руководителей муниципальных общеобразовательных организаций "
        "Петрозаводского городского округа",
        actor=staff,
    )
    decision = meetings.add_decision(
        db.session,
        meeting,
        number="4",
        text=POINT_4,
        deadline_text="в срок до 21.02.2023",
        actor=staff,
    )
    meetings.fan_out(db.session, decision, [orgs["ptz-sch3"], orgs["ptz-sch6"]], actor=staff)
    db.session.commit()
    return decision


def plan_xlsx(path):
    """The plan as a school would type it in Excel: a title, a header, a merged section row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "План"
    sheet.append(["План мероприятий по повышению качества образования на 2023 год"])
    sheet.append(["№ п/п", "Мероприятие", "Срок", "Ответственный", "Ожидаемый результат"])
    sheet.append(["1. Организационные мероприятия"])
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=5)
    sheet.append(
        [
            "1.1",
            "Анализ результатов ВПР и ОГЭ 2022 года по предметам",
            "в срок до 21.02.2023",
            "Заместитель директора по УВР",
            "Аналитическая справка",
        ]
    )
    sheet.append(["1.2", COUNCIL, "март 2023 года", "Директор", "Протокол методического совета"])
    sheet.append(
        [
            "2",
            "Утверждение плана мероприятий приказом директора",
            "до 15.02.2023",
            "Директор",
            "Приказ по школе",
        ]
    )
    book.save(path)
    return path


def session_as(browser_instance, live_server, email: str):
    page = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    page.set_default_timeout(15000)
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def mark_done(page, action_text: str, on: str, evidence: str) -> None:
    row = page.get_by_test_id("actions").locator("tr[data-action]", has_text=action_text)
    row.get_by_role("link", name="Отметить выполнение").click()
    expect(page.get_by_test_id("mark-form")).to_be_visible()
    page.get_by_label("Состояние").select_option(label="выполнено")
    page.get_by_label("Дата выполнения").fill(on)
    page.get_by_label("Подтверждение").fill(evidence)
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Выполнение отмечено")


def test_point_4_road_map_from_excel_to_execution(point_4, browser_instance, live_server, tmp_path):
    # The director of school № 3 starts the road map from the assignment.
    at(10)
    director = session_as(browser_instance, live_server, DIRECTOR)
    director.get_by_role("link", name="Мои поручения").click()
    expect(director.get_by_test_id("my-assignment")).to_have_count(1)
    director.get_by_test_id("my-assignment").get_by_role("link").click()
    expect(director.get_by_test_id("deadline")).to_contain_text("21 февраля 2023")
    assignment_url = director.url
    director.get_by_test_id("road-maps").get_by_role(
        "link", name="Составить дорожную карту по поручению"
    ).click()
    form = director.get_by_test_id("road-map-form")
    expect(form.get_by_label("Организация").locator("option:checked")).to_have_text(SCHOOL)
    expect(form.get_by_label("Название")).to_have_value(POINT_4)
    form.get_by_label("Период с").fill("2023-02-01")
    form.get_by_label("по", exact=True).fill("2023-12-31")
    director.get_by_role("button", name="Создать").click()
    expect(director.get_by_role("alert")).to_contain_text("Дорожная карта создана")
    expect(director.get_by_test_id("editor")).to_be_visible()

    # It imports the plan from Excel, sees how each row is read, and loads it.
    director.get_by_role("link", name="Загрузить из файла").click()
    director.get_by_label("Файл с таблицей (.xlsx или .docx)").set_input_files(
        plan_xlsx(tmp_path / "План мероприятий.xlsx")
    )
    director.get_by_role("button", name="Прочитать файл").click()
    preview = director.get_by_test_id("preview").locator("tbody tr")
    expect(preview).to_have_count(4)
    expect(preview.nth(0)).to_contain_text("Организационные мероприятия")
    expect(preview.nth(0)).to_contain_text("раздел")
    expect(preview.nth(2)).to_contain_text("март 2023 года")
    expect(director.get_by_test_id("preview").locator("tr[data-errors='0']")).to_have_count(4)
    director.get_by_role("button", name="Загрузить в дорожную карту").click()
    expect(director.get_by_role("alert")).to_contain_text("Загружено мероприятий: 4.")

    # In the table editor it adds one more sub-action under 1.2 and saves.
    editor = director.get_by_test_id("editor")
    expect(editor.locator("tr[data-row]")).to_have_count(4)
    editor.locator("tr[data-row='2']").get_by_role("button", name="Вставить строку ниже").click()
    expect(editor.locator("tr[data-row]")).to_have_count(5)
    new_row = editor.locator("tr[data-row='3']")
    new_row.get_by_label("№", exact=True).fill("1.3")
    new_row.get_by_label("Мероприятие").fill(
        "Индивидуальные планы работы с обучающимися группы риска"
    )
    new_row.get_by_label("Срок").fill("до 20.02.2023")
    new_row.get_by_label("Ответственный").fill("Классные руководители")
    editor.get_by_role("button", name="Сохранить", exact=True).click()
    expect(director.get_by_role("alert")).to_contain_text("Сохранено")
    expect(editor.locator("tr[data-row]")).to_have_count(5)
    expect(editor.locator("tr[data-row='3']").get_by_label("№", exact=True)).to_have_value("1.3")

    # On the map's page it submits the plan.
    director.get_by_role("link", name=re.compile(r"^← ")).click()
    actions = director.get_by_test_id("actions").locator("tr[data-action]")
    expect(actions).to_have_count(5)
    expect(director.get_by_test_id("progress")).to_have_text("0% (0/4)")
    director.get_by_role("button", name="Направить на согласование").click()
    expect(director.get_by_role("alert")).to_contain_text("направлена на согласование")
    expect(director.get_by_test_id("status")).to_contain_text("на согласовании")
    road_map_url = director.url

    # Staff find it in the department's list and return it with a remark on action 1.2.
    at(13)
    staff = session_as(browser_instance, live_server, STAFF)
    staff.get_by_role("link", name="Дорожные карты", exact=True).click()
    listed = staff.get_by_test_id("road-maps").locator("tr[data-road-map]")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(SCHOOL)
    expect(listed).to_contain_text("на согласовании")
    listed.get_by_role("link").click()
    review = staff.get_by_test_id("review")
    expect(review.locator("tr[data-change='added']")).to_have_count(5)
    review.get_by_label("Замечание к мероприятию 1.2", exact=True).fill(
        "Методический совет провести до срока поручения, не позднее 20.02.2023"
    )
    staff.get_by_role("button", name="Вернуть на доработку").click()
    expect(staff.get_by_role("alert")).to_contain_text("возвращена на доработку")
    expect(staff.get_by_test_id("status")).to_contain_text("на доработке")

    # The director sees the remark, moves the date in the table and submits again.
    at(15)
    director.goto(road_map_url)
    expect(director.get_by_test_id("status")).to_contain_text("на доработке")
    note = director.get_by_test_id("actions").locator("tr", has_text=COUNCIL)
    expect(note.get_by_test_id("note")).to_contain_text("не позднее 20.02.2023")
    director.get_by_role("link", name="Редактировать таблицу").click()
    council = editor.locator("tr[data-row]", has=director.get_by_test_id("note"))
    expect(council.get_by_label("Мероприятие")).to_have_value(COUNCIL)
    expect(council.get_by_label("Срок")).to_have_value("март 2023 года")
    council.get_by_label("Срок").fill("до 20.02.2023")
    editor.get_by_role("button", name="Сохранить", exact=True).click()
    expect(director.get_by_role("alert")).to_contain_text("Сохранено")
    director.get_by_role("link", name=re.compile(r"^← ")).click()
    director.get_by_role("button", name="Направить на согласование").click()
    expect(director.get_by_test_id("status")).to_contain_text("на согласовании")
    expect(director.get_by_test_id("status")).to_contain_text("версия 2")

    # Staff see exactly what changed since version 1 and approve.
    at(16)
    staff.reload()
    diff = staff.get_by_test_id("diff")
    changed = diff.locator("tr[data-change='changed']")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(COUNCIL)
    expect(changed.locator("del")).to_have_text("март 2023 года")
    expect(changed.locator("ins")).to_have_text("до 20.02.2023")
    expect(diff.locator("tr[data-change='same']")).to_have_count(4)
    staff.get_by_role("button", name="Согласовать").click()
    expect(staff.get_by_role("alert")).to_contain_text("Дорожная карта согласована")
    expect(staff.get_by_test_id("status")).to_contain_text("согласовано")

    # The assignment that asked for the map is closed, on time.
    staff.get_by_test_id("assignment-link").click()
    expect(staff).to_have_url(assignment_url)
    status = staff.get_by_test_id("status")
    expect(status).to_contain_text("исполнено")
    expect(status).not_to_contain_text("с опозданием")
    expect(staff.get_by_test_id("road-maps")).to_contain_text("Дорожная карта")

    # The director marks two actions done with evidence; the progress shows it.
    at(20)
    director.goto(road_map_url)
    expect(director.get_by_test_id("status")).to_contain_text("согласовано")
    mark_done(
        director,
        "Утверждение плана мероприятий",
        "2023-02-14",
        "Приказ от 14.02.2023 № 38 «Об утверждении плана мероприятий»",
    )
    mark_done(
        director,
        "Анализ результатов ВПР",
        "2023-02-17",
        "Аналитическая справка размещена на сайте школы: https://sch3.example/vpr-2022",
    )
    expect(director.get_by_test_id("progress")).to_have_text("50% (2/4)")
    expect(director.get_by_test_id("progress-detail")).to_contain_text(
        "выполнено в срок: 2, просрочено: 0"
    )
    done = director.get_by_test_id("actions").locator(
        "tr[data-action]", has_text="Утверждение плана мероприятий"
    )
    expect(done.get_by_test_id("action-status")).to_contain_text("выполнено 14.02.2023")
    expect(done.get_by_test_id("action-status")).to_contain_text("Приказ от 14.02.2023 № 38")

    # And the department's list shows the same.
    staff.get_by_role("link", name="Дорожные карты", exact=True).click()
    expect(staff.get_by_test_id("road-maps").get_by_test_id("progress")).to_have_text("50% (2/4)")
    director.context.close()
    staff.context.close()
