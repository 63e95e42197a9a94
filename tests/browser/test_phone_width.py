"""No page named in the issue is wider than a 390 px phone screen: «Мои поручения», an
assignment with its report form, the road-map overview and a road map's table of actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_flow import log_in
from tests.factories import make_meeting
from tests.test_roadmaps import new_map
from tracker.core import clock
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings

pytestmark = pytest.mark.browser

LONG = (
    "Обеспечить объективность проведения процедур оценки качества образования и "
    "олимпиад школьников (Всероссийские проверочные работы, муниципальные диагностические "
    "работы) через организацию общественного наблюдения и видеонаблюдения: "
    "https://edu.example.ru/monitoring/vpr/2023/instructions/obshchestvennoe-nablyudenie.pdf"
)


def login(browser_instance, live_server, user, width: int):
    context = browser_instance.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": width, "height": 800}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    log_in(page, user.email)
    expect(page.get_by_test_id("current-user")).to_be_attached()
    return page


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_pages_fit_a_390px_phone(world, browser_instance, live_server):
    clock.freeze(datetime(2023, 2, 10, 9, tzinfo=UTC))
    meeting, decision = make_meeting(world)
    for n in range(3):
        extra = meetings.add_decision(
            db.session,
            meeting,
            number=f"3.{n + 1}",
            deadline_text="в срок до 1 марта 2023 года",
            text=LONG,
            actor=system_actor(db.session),
        )
        meetings.fan_out(db.session, extra, [world.school], actor=system_actor(db.session))
    db.session.commit()
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    road_map = new_map(world, assignment)
    director = login(browser_instance, live_server, world.director, 390)
    pages = {
        "Мои поручения": "/my",
        "Мои поручения по совещаниям": "/my?group=decision",
        "поручение с формой отчёта": f"/assignments/{assignment.id}",
        "дорожные карты": "/roadmaps",
        "таблица дорожной карты": f"/roadmaps/{road_map.id}",
    }
    widths = {}
    for name, url in pages.items():
        director.goto(url)
        widths[name] = overflow(director)
    director.goto(f"/assignments/{assignment.id}")
    expect(director.get_by_label("Что сделано")).to_be_visible()
    staff = login(browser_instance, live_server, world.staff, 390)
    for name, url in {"доска": "/board", "дорожные карты (специалист)": "/roadmaps"}.items():
        staff.goto(url)
        widths[name] = overflow(staff)
    assert widths == dict.fromkeys(widths, 0), widths
