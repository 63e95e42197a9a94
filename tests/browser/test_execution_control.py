"""Seed 001's point 2, from the meeting to the board, clicked through as people would."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tracker.core import clock
from tracker.demo.loader import DEMO_PASSWORD, LoadReport, load_organizations, load_users
from tracker.extensions import db

pytestmark = pytest.mark.browser
MSK = ZoneInfo("Europe/Moscow")
SCHOOLS = [3, 6, 7, 10, 20, 29, 33, 43, 46, 5, 14, 35, 9, 25, 55]
POINT_2 = "Разработать(скорректировать) антирисковую программу МОУ, в срок до 27.02.2023."


@pytest.fixture
def petrozavodsk(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    db.session.commit()
    return orgs


def at(day: int, hour: int = 10) -> None:
    clock.freeze(datetime(2023, 2, day, hour, tzinfo=MSK))


def session_as(browser_instance, live_server, email: str):
    page = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    page.set_default_timeout(15000)
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def test_point_2_from_meeting_to_board(petrozavodsk, browser_instance, live_server, tmp_path):
    at(1)
    staff = session_as(browser_instance, live_server, "chervova@petrozavodsk.demo.test")
    staff.get_by_role("link", name="Контроль", exact=True).click()
    staff.get_by_role("link", name="Новое совещание").click()
    staff.get_by_label("Дата").fill("2023-01-31")
    staff.get_by_label("Время").fill("15:00")
    staff.get_by_label("Место").fill("г. Петрозаводск")
    staff.get_by_label("Совещание (как в заголовке протокола)").fill(
        "совещания руководителей муниципальных общеобразовательных организаций "
        "Петрозаводского городского округа"
    )
    staff.get_by_label("Вопрос повестки").first.fill(
        "Анализ образовательных результатов по итогам процедур оценки качества образования"
    )
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    staff.get_by_role("link", name="Добавить пункт решения").click()
    staff.get_by_label("Номер пункта (1, 1.2, 1.3.1)").fill("2")
    staff.get_by_label("Текст решения").fill(POINT_2)
    # An unreadable deadline is refused with what is expected, and nothing is created.
    staff.get_by_label("Срок — как написано в протоколе").fill("как можно скорее")
    staff.get_by_label("Организации-исполнители").select_option(
        label=[f"МОУ «Средняя школа № {n}»" for n in SCHOOLS]
    )
    staff.get_by_role("button", name="Сохранить и разослать").click()
    expect(staff.locator(".invalid-feedback")).to_contain_text("Не удалось распознать срок")
    staff.get_by_label("Срок — как написано в протоколе").fill("в срок до 27.02.2023")
    staff.get_by_label("Организации-исполнители").select_option(
        label=[f"МОУ «Средняя школа № {n}»" for n in SCHOOLS]
    )
    staff.get_by_role("button", name="Сохранить и разослать").click()
    expect(staff.get_by_role("alert")).to_contain_text("поручения разосланы")
    row = staff.get_by_test_id("decision-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("executor-link")).to_have_count(15)

    # The director of school № 3 sees exactly one assignment and reports with a file.
    at(15)
    director = session_as(browser_instance, live_server, "director.sch3@petrozavodsk.demo.test")
    director.get_by_role("link", name="Мои поручения").click()
    expect(director.get_by_test_id("my-assignment")).to_have_count(1)
    director.get_by_test_id("my-assignment").get_by_role("link").click()
    expect(director.get_by_test_id("deadline")).to_contain_text("27 февраля 2023")
    report_file = tmp_path / "Программа.pdf"
    report_file.write_bytes(b"%PDF-1.4\n% antirisk programme\n")
    director.get_by_label("Что сделано").fill("Программа утверждена приказом от 14.02.2023 № 41")
    director.get_by_label("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)").set_input_files(report_file)
    director.get_by_role("button", name="Отправить отчёт").click()
    expect(director.get_by_test_id("status")).to_contain_text("отчёт представлен")
    expect(director.get_by_test_id("reports")).to_contain_text("Программа.pdf")

    # Staff return it with a comment.
    at(17)
    staff.goto("/board")
    staff.locator("[data-status=reported]").first.click()
    staff.get_by_label("Комментарий").first.fill("Дополните раздел 3: учебная мотивация")
    staff.get_by_role("button", name="Вернуть на доработку").click()
    expect(staff.get_by_test_id("status")).to_contain_text("на доработке")

    # The director sees the comment and reports again; staff accept.
    at(20)
    director.reload()
    expect(director.get_by_test_id("review-comment")).to_contain_text("учебная мотивация")
    director.get_by_label("Что сделано").fill("Раздел 3 дополнен, приказ от 20.02.2023 № 47")
    director.get_by_role("button", name="Отправить отчёт").click()
    at(21)
    staff.reload()
    staff.get_by_role("button", name="Принять, снять с контроля").click()
    expect(staff.get_by_test_id("status")).to_contain_text("исполнено")
    expect(staff.get_by_test_id("history")).to_contain_text("возвращено на доработку")

    # The board as of 28.02.2023: school № 3 on time, the other 14 overdue.
    at(28)
    staff.goto("/board?at=2023-02-28")
    figures = staff.get_by_test_id("figures")
    sch3 = figures.locator("tr", has_text="МОУ «Средняя школа № 3»")
    expect(sch3.locator("[data-col=on-time]")).to_have_text("1")
    expect(sch3.locator("[data-col=overdue]")).to_have_text("0")
    expect(figures.locator("[data-col=overdue]", has_text="1")).to_have_count(14)
    expect(staff.get_by_test_id("board-grid").locator("[data-overdue='1']")).to_have_count(14)
    director.context.close()
    staff.context.close()
