"""«Мои поручения» and the board at scale: filters, tabs, grouping, bounded paging with a
constant number of statements per page, and saved filters that only their owner can open."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.assignments.models import SavedFilter
from tracker.core.tenancy import system_actor
from tracker.cycle.models import Direction
from tracker.extensions import db
from tracker.meetings import services as meetings


def add_decisions(world, meeting, n: int, *, deadline="в срок до 27.02.2023", direction=None):
    for i in range(n):
        decision = meetings.add_decision(
            db.session,
            meeting,
            number=str(10 + i),
            deadline_text=deadline,
            text=f"Пункт номер {i} о работе с педагогами",
            direction_id=direction.id if direction else None,
            actor=system_actor(db.session),
        )
        meetings.fan_out(
            db.session, decision, [world.school, world.sibling], actor=system_actor(db.session)
        )
    db.session.commit()


def rows_of(html: str) -> int:
    return html.count('data-testid="my-assignment"')


def test_my_tabs_filters_and_grouping(world, client_for):
    meeting, decision = make_meeting(world)
    m2, _d2 = make_meeting(world, deadline="до 1 марта 2024 г.")
    direction = Direction(framework="VSOKO", name="Оценка предметных результатов", position=1)
    db.session.add(direction)
    db.session.flush()
    add_decisions(world, m2, 2, deadline="постоянно", direction=direction)
    mine = next(a for a in decision.assignments if a.organization_id == world.school.id)
    services.submit_report(db.session, mine, world.director, "Готово")
    services.transition(db.session, mine, "accept", world.staff)
    db.session.commit()
    director = client_for(world.director)
    # The open tab is the default; the done one holds what was accepted.
    assert rows_of(director.get("/my").get_data(as_text=True)) == 3
    done = director.get("/my?tab=done").get_data(as_text=True)
    assert rows_of(done) == 1 and "исполнено" in done
    assert rows_of(director.get("/my?tab=").get_data(as_text=True)) == 4
    assert rows_of(director.get(f"/my?meeting_id={meeting.id}").get_data(as_text=True)) == 0
    assert rows_of(director.get(f"/my?direction_id={direction.id}").get_data(as_text=True)) == 2
    assert rows_of(director.get("/my?due_period=none&at=2023-02-01").get_data(as_text=True)) == 2
    assert rows_of(director.get("/my?due_period=overdue&at=2024-03-02").get_data(as_text=True)) == 1
    assert rows_of(director.get("/my?status=assigned").get_data(as_text=True)) == 3
    org = world.school.id
    assert rows_of(director.get(f"/my?organization_id={org}").get_data(as_text=True)) == 3
    grouped = director.get("/my?group=decision&tab=").get_data(as_text=True)
    assert grouped.count('data-testid="group-meeting"') == 2
    assert grouped.count('data-testid="group-decision"') == 4
    # Bad filter values are a warning and the unfiltered list, never a 500.
    bad = director.get("/my?due_period=yesterday&meeting_id=abc&page=-4")
    assert bad.status_code == 200 and "Фильтр содержит ошибки" in bad.get_data(as_text=True)
    # A director's organization list holds only their school.
    foreign = director.get(f"/my?organization_id={world.sibling.id}")
    assert "Фильтр содержит ошибки" in foreign.get_data(as_text=True)


def test_my_paging_is_bounded(world, client_for):
    meeting, _d = make_meeting(world)
    add_decisions(world, meeting, 60)
    director = client_for(world.director)
    first = director.get("/my").get_data(as_text=True)
    assert rows_of(first) == 50 and "Поручений: 61" in first and "страница 1 из 2" in first
    second = director.get("/my?page=2").get_data(as_text=True)
    assert rows_of(second) == 11
    # A page past the end lands on the last one.
    assert rows_of(director.get("/my?page=999999").get_data(as_text=True)) == 11


def count_statements(app, client, url: str) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("role,url", [("director", "/my"), ("staff", "/board"), ("staff", "/my")])
def test_statements_per_page_do_not_grow_with_rows(app, world, client_for, role, url):
    meeting, _d = make_meeting(world)
    add_decisions(world, meeting, 2)
    client = client_for(world.user(role))
    few = count_statements(app, client, url + "?group=decision")
    few_flat = count_statements(app, client, url)
    other = make_meeting(world, deadline="постоянно")[0]
    add_decisions(world, other, 20)
    many = count_statements(app, client, url + "?group=decision")
    many_flat = count_statements(app, client, url)
    assert (many, many_flat) == (few, few_flat), "statements grow with the rows shown"


def test_saved_filters_belong_to_their_owner(world, client_for):
    meeting, _d = make_meeting(world)
    director = client_for(world.director)
    saved = director.post(f"/filters/my?tab=done&meeting_id={meeting.id}", {"name": "Сделанное"})
    assert saved.status_code == 302
    mine = db.session.scalars(sa.select(SavedFilter)).one()
    assert (mine.user_id, mine.page) == (world.director.id, "my")
    assert mine.query == f"meeting_id={meeting.id}&tab=done"
    page = director.get("/my").get_data(as_text=True)
    assert "Сделанное" in page
    opened = director.get(f"/filters/{mine.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/my?meeting_id={meeting.id}&tab=done")
    # The same name again replaces the filter; an empty name is refused in Russian.
    director.post("/filters/my?tab=open", {"name": "Сделанное"})
    assert db.session.scalars(sa.select(SavedFilter)).one().query == "tab=open"
    empty = director.post("/filters/my", {"name": "  "}, follow_redirects=True)
    assert "Назовите фильтр" in empty.get_data(as_text=True)
    assert director.post("/filters/elsewhere", {"name": "x"}).status_code == 404
    # Another user: neither sees, opens nor deletes it.
    sibling = client_for(world.sibling_director)
    assert "Сделанное" not in sibling.get("/my").get_data(as_text=True)
    assert sibling.get(f"/filters/{mine.id}").status_code == 404
    assert sibling.post(f"/filters/{mine.id}/delete").status_code == 404
    assert client_for(world.staff).post(f"/filters/{mine.id}/delete").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(SavedFilter.id))) == 1
    assert director.get("/filters/99999999999").status_code == 404
    assert director.post(f"/filters/{mine.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(SavedFilter.id))) == 0


def test_board_tabs_saved_filter_and_pager(world, client_for):
    make_meeting(world)
    staff = client_for(world.staff)
    page = staff.get("/board?tab=open").get_data(as_text=True)
    assert 'data-tab="open"' in page and "Сохранить фильтр" in page
    staff.post("/filters/board?tab=open&due_period=overdue&at=2023-03-01", {"name": "Просрочка"})
    saved = db.session.scalars(sa.select(SavedFilter)).one()
    assert saved.page == "board"
    location = staff.get(f"/filters/{saved.id}").headers["Location"]
    assert "/board?" in location and "due_period=overdue" in location
    assert date(2023, 3, 1).isoformat() in location
