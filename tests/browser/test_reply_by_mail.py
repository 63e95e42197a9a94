"""A director answers the reminder from a mail program; the report is on the page «по почте»,
with the original letter, and the controller accepts it there."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_flow import log_in
from tests.inbound_helpers import PDF, reminder_letter, reply_to, send

pytestmark = pytest.mark.browser


def test_report_by_mail_is_seen_and_accepted_on_the_page(
    app, world, live_server, browser_instance, inbound, mailbox
):
    assignment, original = reminder_letter(app, world, mailbox)
    reply = reply_to(
        original,
        f"Директор Школы Три <{world.director.email}>",
        "Антирисковая программа утверждена приказом от 20.02.2023 № 47.\n\n"
        "С уважением,\nДиректор Школы Три",
        files=[("Приказ № 47.pdf", PDF)],
    )
    send(inbound.port, reply)

    director = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    director.set_default_timeout(15000)
    log_in(director, world.director.email)
    director.get_by_role("link", name="Мои поручения").click()
    director.get_by_test_id("my-assignment").first.get_by_role("link").first.click()
    expect(director.get_by_test_id("status")).to_contain_text("отчёт представлен")
    reports = director.get_by_test_id("reports")
    expect(reports).to_contain_text("Антирисковая программа утверждена приказом от 20.02.2023")
    expect(reports).not_to_contain_text("С уважением")
    expect(reports.get_by_test_id("by-mail")).to_contain_text("по почте")
    expect(reports).to_contain_text("Приказ № 47.pdf")
    expect(director.get_by_test_id("history")).to_contain_text("по почте")
    with director.expect_download() as download:
        reports.get_by_role("link", name="исходное письмо").click()
    assert download.value.suggested_filename.endswith(".eml")

    staff = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    staff.set_default_timeout(15000)
    log_in(staff, world.staff.email)
    staff.goto(f"/assignments/{assignment.id}")
    expect(staff.get_by_test_id("reports").get_by_test_id("by-mail")).to_be_visible()
    staff.get_by_role("button", name="Принять, снять с контроля").click()
    expect(staff.get_by_test_id("status")).to_contain_text("исполнено")
    director.reload()
    expect(director.get_by_test_id("status")).to_contain_text("исполнено")
    director.context.close()
    staff.context.close()
