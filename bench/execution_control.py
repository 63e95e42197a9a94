"""Execution control at scale: 1,000 organizations and 200,000 assignments on PostgreSQL.

Times the control board, one organization's page and the API list against the same app's bare
/health endpoint in the same run. Run: `make bench` (or `cd bench && python execution_control.py`).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from common import fresh_database, login, make_app, report, served, settle, timed

DEPARTMENTS = 10
SCHOOLS_PER_DEPARTMENT = 100
MEETINGS_PER_DEPARTMENT = 20
DECISIONS_PER_MEETING = 10
PASSWORD = "bench-password-1"
RUNS = 30


def build(app) -> dict:
    from tracker.assignments.models import Assignment
    from tracker.auth.services import create_api_token, hasher
    from tracker.core.tenancy import Membership, Organization, User
    from tracker.extensions import db
    from tracker.meetings.models import Decision, Meeting

    rng = random.Random(20230131)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        region = Organization(kind="region", short_name="Область", full_name="Область", path="")
        session.add(region)
        session.flush()
        region.path = f"/{region.id}/"
        password_hash = hasher.hash(PASSWORD)
        departments, schools_of = [], {}
        for d in range(DEPARTMENTS):
            dept = Organization(
                kind="department",
                short_name=f"Управление образования {d + 1}",
                full_name=f"Управление образования {d + 1}",
                parent_id=region.id,
                path="",
            )
            session.add(dept)
            session.flush()
            dept.path = f"{region.path}{dept.id}/"
            departments.append(dept)
            rows = [
                {
                    "kind": "school",
                    "short_name": f"МОУ «Средняя школа № {s + 1}»",
                    "full_name": f"Средняя школа № {s + 1}",
                    "parent_id": dept.id,
                    "path": "",
                    "timezone": rng.choice(
                        ["Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad"]
                    ),
                    "aliases": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for s in range(SCHOOLS_PER_DEPARTMENT)
            ]
            session.execute(sa.insert(Organization), rows)
            ids = session.scalars(
                sa.select(Organization.id).where(Organization.parent_id == dept.id)
            ).all()
            session.execute(
                sa.update(Organization)
                .where(Organization.parent_id == dept.id)
                .values(path=dept.path + sa.cast(Organization.id, sa.String) + "/")
            )
            schools_of[dept.id] = ids
        staff = User(
            email="staff1@bench.test", full_name="Специалист 1", password_hash=password_hash
        )
        session.add(staff)
        session.flush()
        session.add(Membership(user_id=staff.id, organization_id=departments[0].id, role="staff"))
        director = User(
            email="director1@bench.test", full_name="Директор 1", password_hash=password_hash
        )
        session.add(director)
        session.flush()
        first_school = schools_of[departments[0].id][0]
        session.add(Membership(user_id=director.id, organization_id=first_school, role="director"))
        total = 0
        for dept in departments:
            for m in range(MEETINGS_PER_DEPARTMENT):
                held = date(2023, 1, 10) + timedelta(days=m * 30)
                meeting = Meeting(
                    organization_id=dept.id,
                    held_on=held,
                    number=str(m + 1),
                    title=f"совещание руководителей № {m + 1}",
                )
                session.add(meeting)
                session.flush()
                for n in range(DECISIONS_PER_MEETING):
                    due = held + timedelta(days=rng.randint(10, 120))
                    decision = Decision(
                        meeting_id=meeting.id,
                        organization_id=dept.id,
                        position=n + 1,
                        number=str(n + 1),
                        text=f"Разработать и представить документ {n + 1}",
                        deadline_text=f"в срок до {due:%d.%m.%Y}",
                        deadline_kind="date",
                        due_date=due,
                    )
                    session.add(decision)
                    session.flush()
                    rows = []
                    for school_id in schools_of[dept.id]:
                        status = rng.choices(
                            ["done", "reported", "assigned", "in_progress", "returned"],
                            [50, 15, 25, 7, 3],
                        )[0]
                        rows.append(
                            {
                                "decision_id": decision.id,
                                "organization_id": school_id,
                                "executor_role": "lead",
                                "status": status,
                                "due_date": due,
                                "original_due_date": due,
                                "extension_count": rng.choice([0] * 9 + [1]),
                                "on_time": (rng.random() < 0.8) if status == "done" else None,
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                    session.execute(sa.insert(Assignment), rows)
                    total += len(rows)
        token = create_api_token(session, staff, "bench")
        session.commit()
        orgs = session.scalar(sa.select(sa.func.count()).select_from(Organization))
    settle(app)
    print(
        f"built {orgs} organizations and {total} assignments in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return {"token": token, "school_id": first_school}


def main() -> None:
    url = fresh_database("tracker_bench")
    app = make_app(url)
    data = build(app)
    with served(url) as base:
        staff = login(base, "staff1@bench.test", PASSWORD)
        director = login(base, "director1@bench.test", PASSWORD)
        api_headers = {"Authorization": f"Bearer {data['token']}"}
        results = {
            "/health (bare)": timed(staff, base + "/health", RUNS),
            "/board (staff: 20,000 visible, first 300 + figures)": timed(
                staff, base + "/board", RUNS
            ),
            "/board?status=overdue": timed(staff, base + "/board?status=overdue", RUNS),
            "/board?q=документ 7": timed(staff, base + "/board?q=документ%207", RUNS),
            f"/organizations/{data['school_id']} (one school)": timed(
                staff, base + f"/organizations/{data['school_id']}", RUNS
            ),
            "/my (director)": timed(director, base + "/my", RUNS),
            "/api/v1/assignments?limit=100": timed(
                staff, base + "/api/v1/assignments?limit=100", RUNS, headers=api_headers
            ),
            "/api/v1/assignments?overdue=true&limit=100": timed(
                staff,
                base + "/api/v1/assignments?overdue=true&limit=100",
                RUNS,
                headers=api_headers,
            ),
        }
    report(f"Execution control, PostgreSQL, gunicorn 2 workers, {RUNS} runs each", results)


if __name__ == "__main__":
    sys.exit(main())
