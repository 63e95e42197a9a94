"""The inbox per role: each section's rows, links, counts, scope, and the same items by API."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.core import clock
from tracker.cycle.models import MonitoringCampaign
from tracker.extensions import db
from tracker.inbox.queries import inbox_for
from tracker.roadmaps.models import RoadMap

MSK = ZoneInfo("Europe/Moscow")
# A row may open with the bulk actions' checkbox (staff's reports, extensions, overdue, week).
ROW = re.compile(
    r'data-kind="(\w+)" data-id="(\d+)">\s*(?:<input[^>]*>\s*)?<div[^>]*>\s*<a href="([^"]+)"'
)


def at(day: int, month: int = 2) -> None:
    clock.freeze(datetime(2023, month, day, 10, tzinfo=MSK))


def sections(user) -> dict[str, list[tuple[str, int]]]:
    inbox = inbox_for(db.session, user)
    return {s.key: [(r.kind, r.object_id) for r in s.rows] for s in inbox.sections}


def counts(user) -> dict[str, int]:
    return {s.key: s.count for s in inbox_for(db.session, user).sections}


@pytest.fixture
def point_2(world):
    at(1)
    _meeting, decision = make_meeting(world)
    by_org = {a.organization_id: a for a in decision.assignments}
    return by_org[world.school.id], by_org[world.sibling.id]


def test_staff_sees_reports_extensions_overdue_and_the_week(world, point_2):
    mine, sibling = point_2
    at(21)  # the deadline 27.02 is this week
    assert sections(world.staff)["week"] == [("due", mine.id), ("due", sibling.id)]
    services.submit_report(db.session, mine, world.director, "Готово")
    request = services.request_extension(
        db.session, sibling, world.sibling_director, "Болезнь", date(2023, 3, 10)
    )
    db.session.commit()
    got = sections(world.staff)
    assert got["reports"] == [("report", mine.id)]
    assert got["extensions"] == [("extension", request.id)]
    # The reported one is no longer due: it waits for the staff, not the school.
    assert got["week"] == [("due", sibling.id)]
    inbox = inbox_for(db.session, world.staff)
    report_row = inbox.sections[0].rows[0]
    assert report_row.link == f"/assignments/{mine.id}#review"
    assert report_row.detail == "МОУ «Средняя школа № 3»"
    assert report_row.title.startswith("п. 2. Разработать")
    at(1, 3)
    assert sections(world.staff)["overdue"] == [("overdue", sibling.id)]
    assert inbox_for(db.session, world.staff).total == 3


def test_the_director_sees_returned_overdue_week_and_accepted_of_the_own_school(world, point_2):
    mine, _sibling = point_2
    at(21)
    assert sections(world.director)["week"] == [("due", mine.id)]
    services.submit_report(db.session, mine, world.director, "Готово")
    services.transition(db.session, mine, "return", world.staff, comment="Нет приказа")
    db.session.commit()
    assert sections(world.director)["returned"] == [("returned", mine.id)]
    at(1, 3)
    assert sections(world.director)["overdue"] == [("overdue", mine.id)]
    services.submit_report(db.session, mine, world.director, "С приказом")
    services.transition(db.session, mine, "accept", world.staff)
    db.session.commit()
    got = sections(world.director)
    assert got["accepted"] == [("accepted", mine.id)]
    assert got["returned"] == got["overdue"] == got["week"] == []
    assert inbox_for(db.session, world.director).role == "school"


def test_road_maps_reach_the_approver_and_remarks_the_school(world):
    road_map = RoadMap(
        organization_id=world.school.id, title="Дорожная карта ШНРО", status="submitted"
    )
    db.session.add(road_map)
    db.session.commit()
    assert sections(world.staff)["road_maps"] == [("road_map", road_map.id)]
    assert sections(world.other_staff)["road_maps"] == []
    assert sections(world.director)["road_maps"] == []
    road_map.status = "returned"
    db.session.commit()
    assert sections(world.director)["road_maps"] == [("road_map", road_map.id)]
    assert sections(world.sibling_director)["road_maps"] == []
    assert sections(world.staff)["road_maps"] == []


def test_monitoring_not_submitted_and_to_fill_in(world, point_2):
    mine, _sibling = point_2
    campaign = MonitoringCampaign(
        organization_id=world.dept.id,
        title="Мониторинг 2023",
        period="2023",
        decision_id=mine.decision_id,
    )
    db.session.add(campaign)
    db.session.commit()
    staff = inbox_for(db.session, world.staff).sections
    monitoring = next(s for s in staff if s.key == "monitoring")
    assert monitoring.rows[0].detail == "не сдали 2 из 2"
    assert monitoring.rows[0].link == f"/cycle/campaigns/{campaign.id}"
    school = next(
        s for s in inbox_for(db.session, world.director).sections if s.key == "monitoring"
    )
    assert [r.link for r in school.rows] == [
        f"/cycle/campaigns/{campaign.id}/values/{world.school.id}"
    ]
    # A monitoring assignment is counted once, under monitoring, not also as due.
    at(21)
    assert sections(world.director)["week"] == []


def test_attacker_sees_only_rows_of_the_own_school_and_department(world, point_2):
    mine, sibling = point_2
    services.submit_report(db.session, sibling, world.sibling_director, "Готово")
    db.session.commit()
    at(1, 3)
    for user in (world.director, world.school_staff):
        got = sections(user)
        ids = {object_id for rows in got.values() for _kind, object_id in rows}
        assert sibling.id not in ids
        assert got["overdue"] == [("overdue", mine.id)]
    # The other department's staff see nothing of this department.
    assert all(count == 0 for count in counts(world.other_staff).values())
    # Nobody of a school reviews: the director's inbox has no reports to accept.
    assert "reports" not in sections(world.sibling_director)


def test_the_home_page_links_every_row_and_says_what_to_do_when_empty(world, client_for):
    page = client_for(world.director).get("/").get_data(as_text=True)
    assert "Сегодня ничего не ждёт вашего внимания" in page
    assert "Возвращённых отчётов нет." in page
    at(1)
    _meeting, decision = make_meeting(world)
    at(21)
    page = client_for(world.director).get("/").get_data(as_text=True)
    rows = ROW.findall(page)
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    assert rows == [("due", str(assignment.id), f"/assignments/{assignment.id}")]


def test_the_api_returns_the_items_of_the_home_page(world, point_2, api, client_for):
    mine, _sibling = point_2
    at(21)
    services.submit_report(db.session, mine, world.director, "Готово")
    db.session.commit()
    for user in (world.staff, world.sibling_director):
        response = api(user, "GET", "/api/v1/inbox")
        assert response.status_code == 200
        body = response.get_json()
        from_api = [
            (item["kind"], str(item["object_id"]), item["link"])
            for section in body["sections"]
            for item in section["items"]
        ]
        page = client_for(user).get("/").get_data(as_text=True)
        on_page = ROW.findall(page)
        assert from_api == on_page and from_api
        assert body["total"] == inbox_for(db.session, user).total
    assert api(world.staff, "GET", "/api/v1/inbox").get_json()["role"] == "staff"


def test_the_inbox_is_in_the_openapi_document(app, client_for):
    spec = client_for().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/inbox" in spec["paths"]
    assert "Inbox" in spec["components"]["schemas"]
