"""Work that must not grow with the rows: the statements of a protocol's import and of the
listing pages are the same for a few rows and for many (no N+1). On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from tests.statements import counted, page_statements
from tracker.assignments import queries
from tracker.assignments.models import Assignment
from tracker.core.models import AuditLog
from tracker.core.tenancy import Membership, User, system_actor
from tracker.cycle import services as cycle
from tracker.cycle.models import Direction, Measurement
from tracker.demo.loader import LoadReport, load_directions, load_organizations
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.meetings.models import Meeting
from tracker.protocols import services
from tracker.roadmaps import services as roadmaps
from tracker.roadmaps.services import ActionRow

SMALL_PROTOCOL = """ПРОТОКОЛ № 7
совещания руководителей образовательных организаций

15.03.2024

РЕШИЛИ:
1. Руководителям общеобразовательных организаций:
1.1. Представить отчёт о выполнении плана в срок до 20.04.2024.
1.2. Провести педагогический совет в срок до 30.04.2024.
2. Разработать план мероприятий в срок до 01.06.2024.

Председатель И.И. Иванов
"""


def _with_executors(reading: dict, organization_ids: list[int]) -> dict:
    """The reading with the same executors, confirmed, on every item that takes them."""
    changed = copy.deepcopy(reading)
    for decision in changed["decisions"]:
        if decision.get("number") != "1":
            decision["executors"] = [
                {"text": str(i), "organization_id": i, "kind": "organization"}
                for i in organization_ids
            ]
    return changed


def test_confirming_a_protocol_costs_the_same_statements_for_2_or_12_schools(app, ctx):
    orgs = load_organizations(db.session, LoadReport())
    department = orgs["ptz-uo"]
    staff = User(email="import@test.ru", full_name="Специалист", password_hash="-")
    db.session.add(staff)
    db.session.flush()
    db.session.add(Membership(user_id=staff.id, organization_id=department.id, role="staff"))
    db.session.commit()
    schools = sorted(o.id for o in orgs.values() if o.parent_id == department.id)[:12]
    assert len(schools) == 12
    reading = services.read(db.session, department, SMALL_PROTOCOL)
    reading["title"] = "Совещание руководителей"

    spent = {}
    for n in (2, 12):
        db.session.commit()
        db.session.refresh(department)  # both runs start from the same loaded objects
        db.session.refresh(staff)
        with counted(app) as statements:
            meeting = services.confirm(
                db.session, department, staff, _with_executors(reading, schools[:n])
            )
            assert services.created_counts(db.session, meeting) == (4, 3 * n)
        if db.engine.dialect.name == "sqlite":
            # SQLite's driver sends one INSERT per row of a bulk insert: leave those out there
            statements = [s for s in statements if not s.startswith("INSERT INTO assignments")]
        spent[n] = len(statements)
    assert spent[2] == spent[12], spent
    # every assignment still has its audit row
    created = db.session.scalar(sa.select(sa.func.count(Assignment.id)))
    audited = db.session.scalar(
        sa.select(sa.func.count(AuditLog.id)).where(AuditLog.action == "assignment.create")
    )
    assert created == audited == 3 * 14
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 2


def _decisions(world, n: int) -> None:
    """A meeting of the department with `n` decisions, each to both its schools."""
    meeting = meetings.create_meeting(
        db.session,
        organization=world.dept,
        held_on=date(2023, 1, 31),
        number=str(n),
        title="совещание руководителей",
        actor=world.staff,
    )
    for i in range(n):
        decision = meetings.add_decision(
            db.session,
            meeting,
            number=str(i + 1),
            deadline_text="в срок до 27.02.2023",
            text=f"Разработать документ {i + 1}",
            actor=system_actor(db.session),
        )
        meetings.fan_out(
            db.session, decision, [world.school, world.sibling], actor=system_actor(db.session)
        )
    db.session.commit()


def _grows(app, world, client, url: str, **kwargs) -> tuple[int, int]:
    """Statements of `url` with 2 assignments per school, then with 14."""
    _decisions(world, 2)
    few = page_statements(app, client, url, **kwargs)
    _decisions(world, 12)
    return few, page_statements(app, client, url, **kwargs)


def test_organization_page_statements_do_not_grow_with_its_rows(app, world, client_for):
    few, many = _grows(app, world, client_for(world.staff), f"/organizations/{world.school.id}")
    assert few == many


def test_organization_page_shows_pages_of_fifty(app, world, client_for):
    _decisions(world, 60)
    client = client_for(world.staff)
    first = client.get(f"/organizations/{world.school.id}").get_data(as_text=True)
    assert first.count('href="/assignments/') == 50
    assert "страница 1 из 2" in first and 'data-testid="org-pages"' in first
    second = client.get(f"/organizations/{world.school.id}?page=2").get_data(as_text=True)
    assert second.count('href="/assignments/') == 10
    # a page beyond the last shows the last; figures count all sixty
    beyond = client.get(f"/organizations/{world.school.id}?page=99").get_data(as_text=True)
    assert beyond.count('href="/assignments/') == 10
    assert '<div class="fs-4">60</div>' in first


def test_api_list_statements_do_not_grow_with_its_rows(app, world, api):
    def statements(url: str) -> int:
        assert api(world.staff, "GET", url).status_code == 200
        with counted(app) as sent:
            assert api(world.staff, "GET", url).status_code == 200
        return len(sent)

    _decisions(world, 2)
    few = statements("/api/v1/assignments?limit=100")
    _decisions(world, 12)
    assert statements("/api/v1/assignments?limit=100") == few


def test_api_list_pages_by_id_after_the_last_one(world, api):
    _decisions(world, 30)  # 60 assignments
    first = api(world.staff, "GET", "/api/v1/assignments?limit=25").json
    ids = [row["id"] for row in first]
    assert ids == sorted(ids) and len(ids) == 25
    second = api(world.staff, "GET", f"/api/v1/assignments?limit=25&after_id={ids[-1]}").json
    third = api(world.staff, "GET", f"/api/v1/assignments?limit=25&after_id={second[-1]['id']}")
    seen = ids + [r["id"] for r in second] + [r["id"] for r in third.json]
    assert len(seen) == len(set(seen)) == 60
    # a director's keyset sees only their school's rows
    mine = api(world.director, "GET", "/api/v1/assignments?limit=100&after_id=1").json
    assert {r["organization_id"] for r in mine} == {world.school.id}
    # deep offsets are refused with the way forward named
    deep = api(world.staff, "GET", "/api/v1/assignments?offset=10001")
    assert deep.status_code == 422


def _cycle_data(world, direction, n: int, start: int) -> None:
    """`n` indicators of the direction with values for both schools, `n` goals over them and
    `n` analyses with a recommendation to each school."""
    indicators = [
        cycle.create_indicator(
            db.session,
            world.staff,
            world.dept,
            code=f"П-{start + i}",
            name=f"Показатель {start + i}",
            direction_id=direction.id,
            target_value=Decimal(50),
        )
        for i in range(n)
    ]
    for indicator in indicators:
        for school in (world.school, world.sibling):
            for period in ("2022", "2023"):
                db.session.add(
                    Measurement(
                        indicator_id=indicator.id,
                        organization_id=school.id,
                        period=period,
                        value=Decimal(40 + start),
                    )
                )
    for i in range(n):
        cycle.create_goal(
            db.session,
            world.staff,
            world.dept,
            f"Цель {start + i}",
            direction_id=direction.id,
            indicators=indicators,
        )
        cycle.create_analysis(
            db.session,
            world.staff,
            world.dept,
            title=f"Анализ {start + i}",
            direction_id=direction.id,
            recommendations=[(world.school, "Провести семинар"), (world.sibling, "Посетить уроки")],
        )
    db.session.commit()


def test_direction_page_statements_do_not_grow_with_indicators_goals_and_analyses(
    app, world, client_for
):
    load_directions(db.session, LoadReport())
    db.session.commit()
    direction = db.session.scalars(sa.select(Direction).order_by(Direction.id)).first()
    client = client_for(world.staff)
    url = f"/cycle/directions/{direction.id}?department_id={world.dept.id}"
    _cycle_data(world, direction, 1, 0)
    few = page_statements(app, client, url)
    _cycle_data(world, direction, 5, 10)
    assert page_statements(app, client, url) == few


def test_board_search_by_words_and_any_text_is_safe(app, world, client_for):
    _decisions(world, 12)  # «Разработать документ 1» … «документ 12», each to two schools
    staff = world.staff
    assert queries.count(db.session, staff, queries.BoardFilter(q="ДОКУМЕНТ")) == 24
    # «документ 1» finds 1, 10, 11 and 12 (a word prefix on PostgreSQL, a substring on SQLite)
    assert queries.count(db.session, staff, queries.BoardFilter(q="документ 1")) == 8
    assert queries.count(db.session, staff, queries.BoardFilter(q="разработать документ 7")) == 2
    client = client_for(staff)
    for hostile in ("') | !документ & :*", "\\", "&&&", "документ:* | *", "'; DROP TABLE x; --"):
        response = client.get("/board", query_string={"q": hostile})
        assert response.status_code == 200, hostile
    if db.engine.dialect.name == "postgresql":
        # Russian stems: another case ending of the same word finds it
        assert queries.count(db.session, staff, queries.BoardFilter(q="документы")) == 24


def _road_maps(world, n: int) -> None:
    """`n` road maps of each school, three actions each."""
    rows = [
        ActionRow(number="1", text="Создать рабочую группу", deadline_text="в срок до 21.02.2023"),
        ActionRow(number="2", text="Провести самодиагностику", deadline_text="март 2023 года"),
        ActionRow(number="3", text="Мониторинг реализации", deadline_text="постоянно"),
    ]
    for school, director in (
        (world.school, world.director),
        (world.sibling, world.sibling_director),
    ):
        for i in range(n):
            road_map = roadmaps.create_road_map(
                db.session, director, school, f"Дорожная карта {i + 1}"
            )
            roadmaps.save_actions(db.session, road_map, director, rows)
    db.session.commit()


def test_road_map_overview_statements_do_not_grow_with_maps(app, world, client_for):
    client = client_for(world.staff)
    _road_maps(world, 1)
    few = page_statements(app, client, "/roadmaps")
    _road_maps(world, 6)
    assert page_statements(app, client, "/roadmaps") == few
