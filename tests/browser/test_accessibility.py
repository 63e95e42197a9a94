"""axe-core (vendored in tests/browser/axe/) run in Chromium on the pages people work in every
day: the inboxes, the board, «Мои поручения», an assignment with its report form, road maps.
No serious or critical WCAG 2.1 A/AA violation is allowed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_flow import log_in
from tests.factories import make_meeting
from tests.test_roadmaps import new_map
from tracker.assignments import services
from tracker.core import clock
from tracker.core.tenancy import system_actor
from tracker.extensions import db

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + ": " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""


def session(browser_instance, live_server, user, width: int = 1366):
    # The app's CSP forbids inline scripts; the checker is injected past it, the app is not.
    context = browser_instance.new_context(
        base_url=live_server,
        locale="ru-RU",
        bypass_csp=True,
        viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    log_in(page, user.email)
    expect(page.get_by_test_id("current-user")).to_be_attached()
    return page


def violations(page, url: str) -> list[str]:
    page.goto(url)
    page.evaluate(AXE)
    return page.evaluate(RUN)


def test_no_serious_or_critical_violations(world, browser_instance, live_server):
    clock.freeze(datetime(2023, 2, 20, 9, tzinfo=UTC))
    _m, decision = make_meeting(world)
    mine = next(a for a in decision.assignments if a.organization_id == world.school.id)
    other = next(a for a in decision.assignments if a.organization_id != world.school.id)
    services.submit_report(db.session, other, world.sibling_director, "Программа утверждена")
    road_map = new_map(world, mine)
    db.session.commit()
    found = {}
    director = session(browser_instance, live_server, world.director)
    for url in ("/", "/my", f"/assignments/{mine.id}", "/roadmaps", f"/roadmaps/{road_map.id}"):
        found[f"директор {url}"] = violations(director, url)
    staff = session(browser_instance, live_server, world.staff)
    for url in ("/", "/board", f"/assignments/{other.id}", "/roadmaps", "/my", "/notifications"):
        found[f"специалист {url}"] = violations(staff, url)
    bad = [f"{page}: {v}" for page, items in found.items() for v in items]
    assert bad == [], "\n".join(bad)


def test_top_bar_one_line_at_1366_and_focus_visible(world, browser_instance, live_server):
    from tests.factories import make_user
    from tracker.orgs import services as orgs

    # The longest menu: a department's staff who also administer the region, with a long name.
    boss = make_user(
        "boss@test.ru", world.dept, "staff", "Константинопольская Анастасия-Александра Вячеславовна"
    )
    orgs.grant_role(db.session, boss, world.region, "admin", actor=system_actor(db.session))
    db.session.commit()
    page = session(browser_instance, live_server, boss, 1366)
    page.goto("/board")
    tops = page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '.app-bar .navbar-nav > .nav-item, .app-bar .navbar-text, .app-bar form'))
             .map((e) => Math.round(e.getBoundingClientRect().top + e.offsetHeight / 2))"""
    )
    assert max(tops) - min(tops) <= 4, tops
    assert page.evaluate("() => document.querySelector('.app-bar').offsetHeight") < 70
    # The keyboard focus shows: a 3 px outline on every element Tab reaches in the top bar.
    for _ in range(6):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
                       return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }"""
        )
        assert style[1] == "solid" and style[2] == "3px", style
