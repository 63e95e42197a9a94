"""The controller accepts five reports at once from the board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_width import login
from tests.factories import make_meeting
from tracker.assignments import services
from tracker.core import clock
from tracker.extensions import db

pytestmark = pytest.mark.browser


def test_bulk_accepting_five_reports_from_the_board(world, browser_instance, live_server):
    clock.freeze(datetime(2023, 2, 20, 9, tzinfo=UTC))
    rows = []
    for _ in range(3):
        rows += make_meeting(world)[1].assignments
    for a in rows[:5]:
        who = world.director if a.organization_id == world.school.id else world.sibling_director
        services.submit_report(db.session, a, who, "Сделано, приказ приложен")
    db.session.commit()
    staff = login(browser_instance, live_server, world.staff, 1366)
    staff.goto("/board")
    staff.get_by_label("Состояние").select_option(label="отчёт представлен")
    staff.get_by_role("button", name="Найти").click()
    grid = staff.get_by_test_id("board-grid")
    expect(grid.locator("input[name=ids]")).to_have_count(5)
    staff.get_by_label("Отметить все поручения на странице").check()
    expect(staff.locator("[data-bulk-count]")).to_have_text("✓ 5")
    staff.get_by_label("Действие с отмеченными").select_option(label="принять отчёты")
    staff.get_by_role("button", name="Применить к отмеченным").click()
    expect(staff.get_by_role("alert")).to_contain_text("«принять отчёты» — поручений: 5")
    expect(grid.locator("input[name=ids]")).to_have_count(0)
    staff.goto("/board?status=done")
    expect(staff.get_by_test_id("board-grid").locator("[data-status=done]")).to_have_count(5)
    db.session.rollback()
    assert sorted(a.status for a in rows) == ["assigned"] + ["done"] * 5


def test_the_inbox_takes_the_same_bulk_actions(world, browser_instance, live_server):
    clock.freeze(datetime(2023, 2, 20, 9, tzinfo=UTC))
    rows = make_meeting(world)[1].assignments + make_meeting(world)[1].assignments
    for a in rows[:3]:
        who = world.director if a.organization_id == world.school.id else world.sibling_director
        services.submit_report(db.session, a, who, "Сделано")
    db.session.commit()
    staff = login(browser_instance, live_server, world.staff, 1366)
    staff.goto("/")
    reports = staff.get_by_test_id("inbox-reports")
    boxes = reports.locator("input[name=ids]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    staff.get_by_label("Действие с отмеченными").select_option(label="вернуть на доработку")
    staff.get_by_role("button", name="Применить к отмеченным").click()
    # One comment is needed for a return: refused whole, with the reason, nothing changed.
    expect(staff.get_by_role("alert")).to_contain_text("Напишите комментарий")
    expect(staff.get_by_test_id("inbox-reports").locator("input[name=ids]")).to_have_count(3)
    staff.get_by_test_id("inbox-reports").locator("input[name=ids]").nth(0).check()
    staff.get_by_label("Действие с отмеченными").select_option(label="вернуть на доработку")
    staff.get_by_label("Комментарий").fill("Приложите приказ")
    staff.get_by_role("button", name="Применить к отмеченным").click()
    expect(staff.get_by_role("alert")).to_contain_text("поручений: 1")
    expect(staff.get_by_test_id("inbox-reports").locator("input[name=ids]")).to_have_count(2)
    db.session.rollback()
    assert sorted(a.status for a in rows) == ["assigned", "reported", "reported", "returned"]
