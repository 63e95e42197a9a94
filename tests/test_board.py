"""The control board, discipline figures, «my assignments», search, and overdue across zones."""

from datetime import UTC, date, datetime

import pytest

from tests.factories import make_meeting, make_org
from tracker.assignments import queries, services
from tracker.assignments.queries import BoardFilter
from tracker.core import clock
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings


def test_board_grid_and_figures_as_of_a_date(world, client_for):
    _m, decision = make_meeting(world)
    school = next(a for a in decision.assignments if a.organization_id == world.school.id)
    with clock.frozen(datetime(2023, 2, 20, 9, tzinfo=UTC)):
        services.submit_report(db.session, school, world.director, "Готово")
    services.transition(db.session, school, "accept", world.staff)
    db.session.commit()
    rows = queries.board_rows(db.session, world.staff, BoardFilter(at=date(2023, 2, 28)))
    grid = queries.grid(db.session, world.staff, rows)
    assert [o.short_name for o in grid.organizations] == [
        "МОУ «Средняя школа № 3»",
        "МОУ «Средняя школа № 6»",
    ]
    figures = {
        f.organization.id: f
        for f in queries.figures(db.session, world.staff, BoardFilter(at=date(2023, 2, 28)))
    }
    assert (figures[world.school.id].done_on_time, figures[world.school.id].overdue) == (1, 0)
    assert (figures[world.sibling.id].done_on_time, figures[world.sibling.id].overdue) == (0, 1)
    assert (
        figures[world.school.id].on_time_pct == 100 and figures[world.sibling.id].on_time_pct == 0
    )
    page = client_for(world.staff).get("/board?at=2023-02-28").get_data(as_text=True)
    assert 'data-overdue="1"' in page and "исполнено" in page


def test_board_filters(world):
    _m1, d1 = make_meeting(world)
    m2, _d2 = make_meeting(world, deadline="до 1 марта 2024 г.")
    staff = world.staff
    total = queries.count(db.session, staff, BoardFilter())
    assert total == 4
    assert queries.count(db.session, staff, BoardFilter(meeting_id=m2.id)) == 2
    assert queries.count(db.session, staff, BoardFilter(organization_id=world.school.id)) == 2
    assert queries.count(db.session, staff, BoardFilter(status="overdue", at=date(2023, 3, 1))) == 2
    assert queries.count(db.session, staff, BoardFilter(due_within=5, at=date(2023, 2, 24))) == 2
    assert queries.count(db.session, staff, BoardFilter(status="done")) == 0
    # Search over decision texts and report texts, case-insensitive in Cyrillic.
    a = d1.assignments[0]
    services.submit_report(
        db.session,
        a,
        world.director if a.organization_id == world.school.id else world.sibling_director,
        "Приказ № 41 о ПЕДСОВЕТЕ",
    )
    db.session.commit()
    assert queries.count(db.session, staff, BoardFilter(q="педсовет")) == 1
    assert queries.count(db.session, staff, BoardFilter(q="АНТИРИСКОВУЮ")) == 4


def test_board_is_filtered_by_permissions(world):
    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    assert queries.count(db.session, world.staff, BoardFilter()) == 2
    assert queries.count(db.session, world.other_staff, BoardFilter()) == 1
    assert queries.count(db.session, world.director, BoardFilter()) == 1
    assert queries.count(db.session, world.admin, BoardFilter()) == 3


def test_directors_go_to_my_assignments(world, client_for):
    make_meeting(world)
    response = client_for(world.director).get("/board")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my")


def test_my_assignments_overdue_on_top_then_soonest(world, client_for):
    make_meeting(world, deadline="до 1 марта 2024 г.")
    make_meeting(world, deadline="в срок до 27.02.2023")
    make_meeting(world, deadline="постоянно")
    make_meeting(world, deadline="до 1 апреля 2023 г.")
    rows = queries.my_assignments(
        db.session, world.director, BoardFilter(at=date(2023, 3, 10), tab="open")
    )
    assert [str(a.due_date) for a in rows] == ["2023-02-27", "2023-04-01", "2024-03-01", "None"]
    assert {a.organization_id for a in rows} == {world.school.id}
    page = client_for(world.director).get("/my?at=2023-03-10").get_data(as_text=True)
    assert page.count('data-testid="my-assignment"') == 4


ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Vladivostok", "Asia/Kamchatka"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("server_tz", ["UTC", "Asia/Tokyo"])
def test_overdue_at_midnight_local(world, zone, server_tz, monkeypatch):
    import time
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("TZ", server_tz)
    time.tzset()
    school = make_org("school", f"Школа ({zone})", world.dept, tz=zone)
    _m, decision = make_meeting(world, schools=[school])
    a = decision.assignments[0]
    local = ZoneInfo(zone)
    before = datetime(2023, 2, 27, 23, 59, tzinfo=local)
    after = datetime(2023, 2, 28, 0, 0, tzinfo=local)
    try:
        assert not services.is_overdue(a, before) and services.is_overdue(a, after)
        for moment, expected in ((before, 0), (after, 1)):
            with clock.frozen(moment):
                n = queries.count(
                    db.session,
                    world.staff,
                    BoardFilter(status="overdue", organization_id=school.id),
                )
            assert n == expected, (zone, moment)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_organization_page(world, client_for):
    make_meeting(world)
    page = client_for(world.staff).get(f"/organizations/{world.school.id}?at=2023-02-28")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "МОУ «Средняя школа № 3»" in text and 'data-overdue="1"' in text
    assert client_for(world.director).get(f"/organizations/{world.school.id}").status_code == 200
    assert client_for(world.director).get(f"/organizations/{world.sibling.id}").status_code == 404
    assert client_for(world.other_staff).get(f"/organizations/{world.school.id}").status_code == 404


def test_a_granted_extension_shows_one_deadline_in_the_board_cell(world, client_for):
    _m, decision = make_meeting(world)
    school = next(a for a in decision.assignments if a.organization_id == world.school.id)
    request = services.request_extension(
        db.session, school, world.director, "Нужно больше времени", date(2023, 3, 15)
    )
    services.decide_extension(db.session, request, world.staff, True, "Согласовано")
    db.session.commit()
    page = client_for(world.staff).get("/board").get_data(as_text=True)
    cell = page.split(f'data-cell="{decision.id}-{world.school.id}"')[1].split("</td>")[0]
    assert "до 15.03.2023, перенесён с 27.02.2023" in cell
    other = page.split(f'data-cell="{decision.id}-{world.sibling.id}"')[1].split("</td>")[0]
    assert "moved-deadline" not in other


def test_board_pages_follow_the_order_of_the_whole_list(world):
    """A page is read from the decisions it spans only; it holds the same rows, in the same
    order, as the whole sorted list cut at the same place, a decision split or not."""
    meeting, _d = make_meeting(world)
    for i in range(4):
        decision = meetings.add_decision(
            db.session,
            meeting,
            number=str(3 + i),
            text=f"Пункт {i}",
            deadline_text="постоянно",
            actor=system_actor(db.session),
        )
        meetings.fan_out(
            db.session, decision, [world.school, world.sibling], actor=system_actor(db.session)
        )
    make_meeting(world, deadline="до 1 марта 2024 г.")
    db.session.commit()
    for f in (BoardFilter(), BoardFilter(organization_id=world.school.id)):
        counts = queries.decision_counts(db.session, world.staff, f)
        everything = [a.id for a in queries.board_rows(db.session, world.staff, f)]
        assert (
            sum(n for _d, n in counts)
            == len(everything)
            == queries.count(db.session, world.staff, f)
        )
        for limit in (1, 3, 4):
            for offset in range(0, len(everything) + 1):
                page = queries.board_page(db.session, world.staff, f, counts, limit, offset)
                assert [a.id for a in page] == everything[offset : offset + limit]
