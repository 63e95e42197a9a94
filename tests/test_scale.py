"""Work that must not grow with the rows: the statements of a protocol's import and of the
listing pages are the same for a few rows and for many (no N+1). On SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from tests.statements import counted
from tracker.assignments.models import Assignment
from tracker.core.models import AuditLog
from tracker.demo.loader import LoadReport, load_organizations
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.orgs.models import Membership, User
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
