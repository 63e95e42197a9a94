"""A person logs in through Chromium and lands on the home page their role should see."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_meeting

pytestmark = pytest.mark.browser


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/auth/login")
    expect(page.get_by_role("heading", name="Вход в систему")).to_be_visible()
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def test_director_sees_own_school_only(world, page):
    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    log_in(page, "director@test.ru")
    expect(page.get_by_test_id("current-user")).to_have_text("Директор Школы Три")
    expect(page.get_by_test_id("membership")).to_contain_text("МОУ «Средняя школа № 3»")
    expect(page.get_by_test_id("inbox-overdue")).to_contain_text("антирисковую программу")
    expect(page.get_by_test_id("organizations")).to_have_text(
        re.compile(r"^\s*МОУ «Средняя школа № 3»\s*$")
    )
    expect(page.get_by_role("link", name="Пользователи")).to_have_count(0)
    page.get_by_test_id("meetings").get_by_role("link").first.click()
    rows = page.get_by_test_id("decision-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("МОУ «Средняя школа № 3»")
    expect(rows.first).not_to_contain_text("МОУ «Средняя школа № 6»")


def test_staff_sees_the_department(world, page):
    make_meeting(world)
    log_in(page, "staff@test.ru")
    expect(page.get_by_test_id("membership")).to_contain_text("Управление образования Города")
    expect(page.get_by_test_id("organizations")).to_contain_text("МОУ «Средняя школа № 6»")
    page.get_by_role("link", name="Совещания").click()
    page.get_by_test_id("meetings-table").get_by_role("link").first.click()
    expect(page.get_by_test_id("decision-row").first).to_contain_text("МОУ «Средняя школа № 6»")


def test_wrong_password_shows_a_russian_message(world, page):
    log_in(page, "director@test.ru", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("Неверная электронная почта или пароль.")


def test_admin_invites_a_user_who_sets_a_password(world, page, browser_instance, live_server):
    log_in(page, "admin@test.ru")
    page.get_by_role("button", name="Администрирование").click()
    page.get_by_role("link", name="Пользователи").click()
    page.get_by_role("link", name="Пригласить").click()
    page.get_by_label("Электронная почта").fill("new.zavuch@test.ru")
    page.get_by_label("ФИО").fill("Новая Завуч")
    page.get_by_label("Организация").select_option(label="— — МОУ «Средняя школа № 3»")
    page.get_by_label("Роль").select_option("school_staff")
    page.get_by_role("button", name="Отправить приглашение").click()
    link = page.get_by_test_id("issued-link").inner_text()
    assert "/auth/link/" in link

    invited = browser_instance.new_context(base_url=live_server).new_page()
    invited.goto(link)
    invited.get_by_label("Новый пароль").fill("Zavuch-pass-2023")
    invited.get_by_label("Повторите пароль").fill("Zavuch-pass-2023")
    invited.get_by_role("button", name="Сохранить пароль").click()
    expect(invited.get_by_test_id("current-user")).to_have_text("Новая Завуч")
    expect(invited.get_by_test_id("membership")).to_contain_text("Сотрудник ОО")
    invited.context.close()


def test_language_switch_to_english(world, page):
    page.goto("/auth/login")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_logout_ends_the_remembered_session_for_a_copied_cookie_too(
    world, page, browser_instance, live_server
):
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill("director@test.ru")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Запомнить меня").check()
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_have_text("Директор Школы Три")
    copied = page.context.cookies()  # what someone at the same computer could take
    assert {c["name"] for c in copied} >= {"session", "remember_token"}
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("heading", name="Вход в систему")).to_be_visible()

    other = browser_instance.new_context(base_url=live_server, locale="ru-RU")
    try:
        other.add_cookies(copied)
        stranger = other.new_page()
        stranger.goto("/")
        expect(stranger.get_by_role("heading", name="Вход в систему")).to_be_visible()
    finally:
        other.close()
