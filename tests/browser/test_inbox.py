"""The daily loop clicked through: a school acts, the controller is told at once and acts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_meeting
from tracker.core import clock
from tracker.extensions import db

pytestmark = pytest.mark.browser
MSK = ZoneInfo("Europe/Moscow")


def session_as(browser_instance, live_server, email: str):
    page = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    page.set_default_timeout(15000)
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


@pytest.fixture
def point_2(world):
    clock.freeze(datetime(2023, 2, 15, 10, tzinfo=MSK))
    _meeting, decision = make_meeting(world)
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    db.session.commit()
    return assignment


def test_a_report_reaches_the_controller_who_accepts_it(
    world, point_2, browser_instance, live_server
):
    staff = session_as(browser_instance, live_server, "staff@test.ru")
    expect(staff.get_by_test_id("unread-count")).to_have_count(0)

    director = session_as(browser_instance, live_server, "director@test.ru")
    director.goto(f"/assignments/{point_2.id}")
    director.get_by_label("Что сделано").fill("Антирисковая программа утверждена приказом № 12")
    director.get_by_role("button", name="Отправить отчёт").click()
    expect(director.get_by_test_id("status")).to_contain_text("отчёт представлен")

    # The controller's top bar counts the new event on the next page she opens.
    staff.reload()
    expect(staff.get_by_test_id("unread-count")).to_contain_text("1")
    staff.get_by_test_id("notifications-link").click()
    staff.get_by_role("link", name="Отчёт на проверку: МОУ «Средняя школа № 3», п. 2").click()
    expect(staff.get_by_test_id("review")).to_be_visible()
    expect(staff.get_by_test_id("reports")).to_contain_text("приказом № 12")
    expect(staff.get_by_test_id("unread-count")).to_have_count(0)
    staff.get_by_role("button", name="Принять, снять с контроля").click()
    expect(staff.get_by_test_id("status")).to_contain_text("исполнено")
    staff.goto("/")
    expect(staff.get_by_test_id("inbox-reports").get_by_test_id("count")).to_have_text("0")
    expect(staff.get_by_test_id("inbox-reports").get_by_test_id("empty")).to_be_visible()

    # The director is told in turn.
    director.reload()
    expect(director.get_by_test_id("unread-count")).to_contain_text("1")
    director.get_by_test_id("notifications-link").click()
    expect(director.get_by_test_id("notification").first).to_contain_text("Отчёт принят: п. 2")
    # The director's inbox shows it done, linked to the assignment.
    director.get_by_role("link", name="Главная").click()
    accepted = director.get_by_test_id("inbox-accepted")
    expect(accepted.get_by_test_id("inbox-row")).to_have_count(1)
    expect(accepted.get_by_test_id("inbox-row")).to_contain_text("исполнено")
    accepted.get_by_role("link", name="п. 2. Разработать", exact=False).click()
    expect(director.get_by_test_id("status")).to_contain_text("исполнено")


def test_an_extension_request_reaches_the_controller_who_grants_it(
    world, point_2, browser_instance, live_server
):
    director = session_as(browser_instance, live_server, "director@test.ru")
    director.goto(f"/assignments/{point_2.id}")
    director.get_by_text("Попросить перенести срок").click()
    director.get_by_label("Новый срок").fill("2023-03-15")
    director.get_by_label("Причина").fill("Педсовет переносится на март")
    director.get_by_role("button", name="Отправить просьбу").click()
    expect(director.get_by_test_id("extensions")).to_contain_text("15.03.2023")

    staff = session_as(browser_instance, live_server, "staff@test.ru")
    expect(staff.get_by_test_id("unread-count")).to_contain_text("1")
    # The request waits in the staff's inbox too.
    expect(staff.get_by_test_id("inbox-extensions").get_by_test_id("inbox-row")).to_contain_text(
        "27.02.2023 → 15.03.2023"
    )
    staff.get_by_test_id("notifications-link").click()
    staff.get_by_role("link", name="Просят перенести срок", exact=False).click()
    expect(staff.get_by_test_id("extensions")).to_contain_text("Педсовет переносится на март")
    staff.get_by_test_id("extensions").get_by_role("button", name="Перенести").click()
    # One deadline in force: the new date, not the protocol's words beside it.
    expect(staff.get_by_test_id("deadline")).to_have_text(
        "до 15 марта 2023, перенесён с 27 февраля 2023"
    )
    staff.goto("/")
    expect(staff.get_by_test_id("inbox-extensions").get_by_test_id("count")).to_have_text("0")

    director.reload()
    director.get_by_test_id("notifications-link").click()
    expect(director.get_by_test_id("notification").first).to_contain_text(
        "Срок перенесён на 15.03.2023: п. 2"
    )
