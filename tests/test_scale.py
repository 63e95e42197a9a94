"""Work that must not grow with the rows: the statements of a protocol's import and of the
listing pages are the same for a few rows and for many (no N+1). On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import date

import sqlalchemy as sa

from tests.statements import counted, page_statements
from tracker.assignments.models import Assignment
from tracker.core.models import AuditLog
from tracker.core.tenancy import Membership, User
from tracker.demo.loader import LoadReport, load_organizations
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.meetings.models import Meeting
from tracker.protocols import services

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
        )
        meetings.fan_out(db.session, decision, [world.school, world.sibling])
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
