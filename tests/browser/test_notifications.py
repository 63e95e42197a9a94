"""Notification settings and the administrator's outbox, clicked through."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_flow import log_in
from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage

pytestmark = pytest.mark.browser


def test_director_switches_to_the_daily_digest(world, page):
    log_in(page, "director@test.ru")
    page.get_by_test_id("current-user").click()
    expect(page.get_by_label("Каждое напоминание отдельным письмом")).to_be_checked()
    page.get_by_label("Одна сводка в день", exact=False).check()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_have_text("Настройки уведомлений сохранены.")
    db.session.rollback()
    assert world.director.notify_mode == "digest"


def test_admin_resends_a_failed_letter(world, page):
    db.session.add(
        OutboxMessage(
            key="test:failed",
            kind="test",
            recipient_id=world.director.id,
            recipient_email=world.director.email,
            subject="Просрочено поручение: п. 2",
            body_text="x",
            state="failed",
            attempts=3,
            last_error="550 5.1.1 Mailbox unavailable",
            send_after=clock.now(),
        )
    )
    db.session.commit()
    log_in(page, "admin@test.ru")
    page.get_by_role("button", name="Администрирование").click()
    page.get_by_role("link", name="Письма").click()
    page.get_by_label("Состояние").select_option("failed")
    page.get_by_role("button", name="Показать").click()
    row = page.get_by_test_id("outbox").locator("tr[data-state=failed]")
    expect(row).to_contain_text("550 5.1.1")
    row.get_by_role("button", name="Отправить снова").click()
    expect(page.get_by_role("alert")).to_have_text("Готово.")
    db.session.rollback()
    # Sent again right away (delivery is suppressed in tests).
    assert db.session.query(OutboxMessage).one().state == "sent"


def test_admin_edits_the_reminder_policy(world, page):
    log_in(page, "admin@test.ru")
    page.goto("/admin/reminders")
    page.get_by_label("За сколько дней до срока").fill("5, 2")
    page.get_by_label("Час отправки", exact=False).fill("25")
    page.get_by_role("button", name="Сохранить").first.click()
    expect(page.locator(".invalid-feedback")).to_contain_text("23")
    page.get_by_label("Час отправки", exact=False).fill("10")
    page.get_by_role("button", name="Сохранить").first.click()
    expect(page.get_by_role("alert")).to_have_text("Правила напоминаний сохранены.")
    expect(page.get_by_label("За сколько дней до срока")).to_have_value("5, 2")
