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
