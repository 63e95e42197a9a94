"""Road maps at scale: one department with 300 schools, 300 road maps of 40 actions (12,000
actions) on PostgreSQL.

Times the department's road map view, its direction filter, the Excel summary, the API list and
one map's page against the same app's bare /health endpoint in the same run.
Run: `make bench-roadmaps` (or `cd bench && python roadmaps.py`).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from common import fresh_database, login, make_app, municipality, report, served, settle, timed

SCHOOLS = 300  # one road map each
ACTIONS_PER_MAP = 40
# Sections (position of the heading → how many sub-actions follow it); the rest are top-level.
SECTIONS = {1: 6, 15: 7, 30: 6}
STATES = {"draft": 25, "submitted": 20, "returned": 10, "approved": 45}
PASSWORD = "bench-password-1"
RUNS = 30

DIRECTIONS = [
    ("MUM", "Система обеспечения профессионального развития педагогических работников"),
    ("VSOKO", "Качество образовательных результатов обучающихся"),
    ("VSOKO", "Качество условий реализации образовательных программ"),
]
ACTION_TEXTS = [
    "Провести анализ результатов ВПР и определить дефициты обучающихся",
    "Разработать индивидуальные образовательные маршруты для обучающихся группы риска",
    "Организовать курсы повышения квалификации педагогов по формированию функциональной"
    " грамотности",
    "Провести педагогический совет по итогам мониторинга качества образования",
    "Актуализировать локальные акты о внутренней системе оценки качества образования",
    "Организовать взаимопосещение уроков с последующим анализом",
    "Провести диагностику профессиональных дефицитов педагогов",
    "Обновить план работы методических объединений",
    "Организовать консультации для родителей по подготовке к ГИА",
    "Провести школьный этап всероссийской олимпиады школьников",
    "Разместить отчёт о самообследовании на официальном сайте",
    "Провести мониторинг объективности оценивания",
    "Организовать наставничество для молодых специалистов",
    "Провести входную диагностику обучающихся 5-х классов",
    "Подготовить аналитическую справку о выполнении дорожной карты",
]
SECTION_TEXTS = [
    "Организационно-управленческие мероприятия",
    "Работа с педагогическими кадрами",
    "Работа с обучающимися и родителями",
]
RESPONSIBLE = [
    "Директор",
    "Заместитель директора по УВР",
    "Руководители ШМО",
    "Классные руководители",
    "Педагог-психолог",
]


def action_rows(
    rng: random.Random, map_id: int, first_id: int, state: str, start: date, today: date
) -> list[dict]:
    """The 40 actions of one map, with explicit ids so sub-actions can name their section."""
    parent_of: dict[int, int] = {}
    for heading, count in SECTIONS.items():
        for p in range(heading + 1, heading + count + 1):
            parent_of[p] = heading
    rows, number, sub = [], 0, 0
    for position in range(1, ACTIONS_PER_MAP + 1):
        action_id = first_id + position - 1
        parent = parent_of.get(position)
        if parent is None:
            number, sub = number + 1, 0
            label = f"{number}."
        else:
            sub += 1
            label = f"{number}.{sub}."
        row = {
            "id": action_id,
            "road_map_id": map_id,
            "parent_id": first_id + parent - 1 if parent else None,
            "position": position,
            "number": label,
            "responsible": rng.choice(RESPONSIBLE),
            "expected_result": "Приказ, аналитическая справка",
            "target_value": "100 %" if rng.random() < 0.2 else None,
            "status": "planned",
            "completed_on": None,
            "evidence": None,
            "deadline_text": "",
            "deadline_kind": "none",
            "due_date": None,
        }
        if position in SECTIONS:
            row["text"] = SECTION_TEXTS[list(SECTIONS).index(position)]
            row["responsible"] = None
            row["expected_result"] = None
            rows.append(row)
            continue
        row["text"] = rng.choice(ACTION_TEXTS)
        if rng.random() < 0.08:
            row["deadline_text"], row["deadline_kind"] = "постоянно", "ongoing"
        else:
            due = start + timedelta(days=position * 9 + rng.randint(-5, 5))
            row["deadline_text"] = f"в срок до {due:%d.%m.%Y}"
            row["deadline_kind"] = "date"
            row["due_date"] = due
        if state == "approved":
            due = row["due_date"]
            past = due is not None and due < today
            status = rng.choices(
                ["done", "in_progress", "planned"], [75, 10, 15] if past else [10, 25, 65]
            )[0]
            if status == "done":
                if due is None:
                    completed = today - timedelta(days=rng.randint(1, 60))
                elif rng.random() < 0.8:
                    completed = due - timedelta(days=rng.randint(0, 20))
                else:
                    completed = due + timedelta(days=rng.randint(1, 15))
                row["completed_on"] = completed = min(completed, today)
                row["evidence"] = f"Приказ от {completed:%d.%m.%Y} № {rng.randint(1, 300)}"
            row["status"] = status
        rows.append(row)
    return rows


def snapshot(road_map: dict, rows: list[dict]) -> dict:
    """What versions.snapshot freezes when a map is submitted."""
    return {
        "title": road_map["title"],
        "period_start": road_map["period_start"].isoformat(),
        "period_end": road_map["period_end"].isoformat(),
        "actions": [
            {
                "id": r["id"],
                "number": r["number"],
                "text": r["text"],
                "deadline_text": r["deadline_text"],
                "due_date": r["due_date"].isoformat() if r["due_date"] else None,
                "responsible": r["responsible"],
                "expected_result": r["expected_result"],
                "target_value": r["target_value"],
                "resources": None,
                "level": 1 if r["parent_id"] else 0,
                "status": "active",
            }
            for r in rows
        ],
    }


def build(app) -> dict:
    from tracker.auth.services import create_api_token, hasher
    from tracker.core.models import AuditLog
    from tracker.core.tenancy import Membership, Organization, User
    from tracker.cycle.models import Direction
    from tracker.extensions import db
    from tracker.roadmaps.models import RoadMap, RoadMapAction, RoadMapVersion

    rng = random.Random(20230221)
    started = time.perf_counter()
    now = datetime.now(UTC)
    today = date.today()
    with app.app_context():
        session = db.session
        dept, schools = municipality(session, SCHOOLS, now)
        password_hash = hasher.hash(PASSWORD)
        staff = User(
            email="staff1@bench.test", full_name="Специалист 1", password_hash=password_hash
        )
        session.add(staff)
        session.flush()
        session.add(Membership(user_id=staff.id, organization_id=dept.id, role="staff"))
        session.execute(
            sa.insert(User),
            [
                {
                    "email": f"director{school_id}@bench.test",
                    "full_name": f"Директор {school_id}",
                    "password_hash": password_hash,
                    "created_at": now,
                    "updated_at": now,
                }
                for school_id in (s.id for s in schools)
            ],
        )
        director_email = "director" + sa.cast(Organization.id, sa.String) + "@bench.test"
        director_of = dict(
            session.execute(
                sa.select(Organization.id, User.id).join(User, User.email == director_email)
            ).all()
        )
        session.execute(
            sa.insert(Membership),
            [
                {"user_id": user_id, "organization_id": org_id, "role": "director"}
                for org_id, user_id in director_of.items()
            ],
        )
        directions = []
        for position, (framework, name) in enumerate(DIRECTIONS):
            direction = Direction(framework=framework, name=name, position=position)
            session.add(direction)
            directions.append(direction)
        session.flush()
        direction_ids = [d.id for d in directions]

        first_map = (session.scalar(sa.select(sa.func.max(RoadMap.id))) or 0) + 1
        first_action = (session.scalar(sa.select(sa.func.max(RoadMapAction.id))) or 0) + 1
        maps, actions, versions, audit = [], [], [], []
        for n, (school_id, short_name) in enumerate((s.id, s.short_name) for s in schools):
            map_id, director = first_map + n, director_of[school_id]
            state = rng.choices(list(STATES), list(STATES.values()))[0]
            direction_id = rng.choice([None, None, None, *direction_ids])
            title = (
                f"План мероприятий («дорожная карта») по повышению качества образования"
                f" в {short_name}"
            )
            # Approved maps are being executed; the others were written lately.
            start = today - timedelta(days=200 if state == "approved" else 30)
            created = now - timedelta(days=230 if state == "approved" else 40)
            rows = action_rows(rng, map_id, first_action + n * ACTIONS_PER_MAP, state, start, today)
            actions.extend(rows)
            maps.append(
                {
                    "id": map_id,
                    "organization_id": school_id,
                    "title": title,
                    "period_start": start,
                    "period_end": start + timedelta(days=365),
                    "direction_id": direction_id,
                    "status": state,
                    "approver_block": "УТВЕРЖДАЮ\nДиректор\n________________",
                    "created_by_id": director,
                    "approved_by_id": staff.id if state == "approved" else None,
                    "approved_at": created + timedelta(days=20) if state == "approved" else None,
                    "created_at": created,
                    "updated_at": now,
                }
            )
            audit.append((created, director, "roadmap.create", school_id, map_id))
            # Every submission freezes a version; some maps went back once before this one.
            frozen = snapshot(maps[-1], rows)
            earlier = snapshot(maps[-1], rows[:-3])  # the first version lacked the last actions
            history = {
                "draft": [],
                "submitted": rng.choice([["submitted"], ["returned", "submitted"]]),
                "returned": ["returned"],
                "approved": rng.choice([["approved"], ["returned", "approved"]]),
            }[state]
            for number, version_state in enumerate(history, start=1):
                submitted_at = created + timedelta(days=5 * number)
                reviewed, returned = version_state != "submitted", version_state == "returned"
                comments = (
                    {str(rows[4]["id"]): "Уточните срок", str(rows[9]["id"]): "Укажите результат"}
                    if returned
                    else {}
                )
                versions.append(
                    {
                        "road_map_id": map_id,
                        "number": number,
                        "snapshot": frozen if number == len(history) else earlier,
                        "state": version_state,
                        "submitted_by_id": director,
                        "submitted_at": submitted_at,
                        "reviewed_by_id": staff.id if reviewed else None,
                        "reviewed_at": submitted_at + timedelta(days=2) if reviewed else None,
                        "review_comment": "Доработать сроки" if returned else None,
                        "action_comments": comments,
                    }
                )
                audit.append((submitted_at, director, "roadmap.submit", school_id, map_id))
                if reviewed:
                    action = "roadmap.return" if returned else "roadmap.approve"
                    reviewed_at = submitted_at + timedelta(days=2)
                    audit.append((reviewed_at, staff.id, action, school_id, map_id))
        session.execute(sa.insert(RoadMap), maps)
        session.execute(
            sa.insert(RoadMapAction),
            [{**row, "created_at": now, "updated_at": now} for row in actions],
        )
        session.execute(sa.insert(RoadMapVersion), versions)
        session.execute(
            sa.insert(AuditLog),
            [
                {
                    "at": at,
                    "actor_id": actor,
                    "action": action,
                    "object_type": "road_maps",
                    "object_id": map_id,
                    "organization_id": org_id,
                    "details": {},
                }
                for at, actor, action, org_id, map_id in audit
            ],
        )
        for table in ("road_maps", "road_map_actions"):
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            )
        token = create_api_token(session, staff, "bench")
        session.commit()
        submitted = session.scalar(
            sa.select(RoadMap.id)
            .where(RoadMap.status == "submitted")
            .join(RoadMapVersion)
            .group_by(RoadMap.id)
            .having(sa.func.count() == 2)
            .order_by(RoadMap.id)
            .limit(1)
        )
        approved = session.scalar(
            sa.select(RoadMap.id).where(RoadMap.status == "approved").order_by(RoadMap.id).limit(1)
        )
    settle(app)
    print(
        f"built {len(maps)} road maps, {len(actions)} actions and {len(versions)} versions in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return {
        "token": token,
        "direction_id": direction_ids[0],
        "submitted_id": submitted,
        "approved_id": approved,
    }


def main() -> None:
    url = fresh_database("bench_roadmaps")
    app = make_app(url)
    data = build(app)
    with served(url) as base:
        staff = login(base, "staff1@bench.test", PASSWORD)
        api_headers = {"Authorization": f"Bearer {data['token']}"}
        direction = data["direction_id"]
        results = {
            "/health (bare)": timed(staff, base + "/health", RUNS),
            "/roadmaps (staff: 300 maps, 12,000 actions)": timed(staff, base + "/roadmaps", RUNS),
            f"/roadmaps?direction_id={direction}": timed(
                staff, base + f"/roadmaps?direction_id={direction}", RUNS
            ),
            "/roadmaps?status=submitted": timed(staff, base + "/roadmaps?status=submitted", RUNS),
            "/roadmaps/summary.xlsx": timed(staff, base + "/roadmaps/summary.xlsx", RUNS),
            "/api/v1/roadmaps (300 with progress)": timed(
                staff, base + "/api/v1/roadmaps", RUNS, headers=api_headers
            ),
            f"/roadmaps/{data['submitted_id']} (submitted, v2 under review: diff)": timed(
                staff, base + f"/roadmaps/{data['submitted_id']}", RUNS
            ),
            f"/roadmaps/{data['approved_id']} (approved, being executed)": timed(
                staff, base + f"/roadmaps/{data['approved_id']}", RUNS
            ),
        }
    report(f"Road maps, PostgreSQL, gunicorn 2 workers, {RUNS} runs each", results)


if __name__ == "__main__":
    sys.exit(main())
