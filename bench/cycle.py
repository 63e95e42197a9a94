"""The management cycle at scale: one department with 1,000 schools, 150 indicators over the 14
directions and five years of values (750,000 measurements) on PostgreSQL.

Times a direction's analysis page, the cycle board, one indicator's page (1,000 schools × 5
years) and the direction's XLSX against the same app's bare /health endpoint in the same run.
Run: `make bench-cycle` (or `cd bench && python cycle.py`).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from common import fresh_database, login, make_app, municipality, report, served, timed

SCHOOLS = 1000
INDICATORS = 150
YEARS = range(2019, 2024)  # periods "2019" … "2023"
# Share of indicators per unit.
UNITS = {"percent": 40, "number": 25, "bool": 15, "score": 20}
PASSWORD = "bench-password-1"
RUNS = 30

pg_roles = sa.table("pg_roles", sa.column("rolname"), sa.column("rolsuper"))

NAMES = {
    "percent": [
        ("Доля обучающихся, выполнивших ВПР на «4» и «5»", "higher"),
        ("Доля обучающихся, не преодолевших минимальный порог ОГЭ", "lower"),
        ("Доля педагогов, прошедших диагностику профессиональных дефицитов", "higher"),
        ("Доля обучающихся, охваченных дополнительным образованием", "higher"),
        ("Доля обучающихся с рисками учебной неуспешности", "lower"),
        ("Доля выпускников 9 классов, продолживших обучение по профилю", "higher"),
        ("Доля молодых педагогов, закреплённых за наставниками", "higher"),
    ],
    "number": [
        ("Число призёров регионального этапа олимпиады школьников", "higher"),
        ("Число обучающихся, состоящих на профилактическом учёте", "lower"),
        ("Число педагогов, прошедших курсы повышения квалификации", "higher"),
        ("Число профориентационных мероприятий с участием работодателей", "higher"),
    ],
    "bool": [
        ("Наличие программы работы с обучающимися группы риска", "higher"),
        ("Наличие плана профессионального развития педагогов", "higher"),
        ("Утверждено положение о внутренней системе оценки качества", "higher"),
    ],
    "score": [
        ("Результаты экспертной оценки реализуемости направления, баллы", "higher"),
        ("Средний балл ОГЭ по математике", "higher"),
        ("Средний балл ЕГЭ по русскому языку", "higher"),
    ],
}


def indicator_rows(
    rng: random.Random, department_id: int, direction_ids: list[int], now: datetime
) -> list[dict]:
    """150 indicators over the directions, mixed units; most have a target, many a threshold."""
    rows = []
    units = [u for u, share in UNITS.items() for _ in range(share)]
    for n in range(INDICATORS):
        unit = units[(n * 37) % len(units)]
        name, better = rng.choice(NAMES[unit])
        maximum = Decimal(rng.choice([20, 30, 100])) if unit == "score" else None
        scale = {"percent": Decimal(100), "bool": Decimal(1), "number": Decimal(50)}.get(
            unit, maximum
        )
        target = threshold = None
        if unit == "bool":
            target = Decimal(1) if rng.random() < 0.7 else None
        elif rng.random() < 0.75:
            share = Decimal("0.7") if better == "higher" else Decimal("0.2")
            target = (scale * share).quantize(Decimal(1))
            if rng.random() < 0.6:
                share = Decimal("0.5") if better == "higher" else Decimal("0.35")
                threshold = (scale * share).quantize(Decimal(1))
        rows.append(
            {
                "organization_id": department_id,
                "direction_id": direction_ids[n % len(direction_ids)],
                "code": f"П-{n + 1:03d}",
                "name": f"{name} ({n + 1})",
                "unit": unit,
                "max_value": maximum,
                "better": better,
                "method": "мониторинг муниципального органа управления образованием",
                "source": "данные образовательных организаций",
                "periodicity": "ежегодно",
                "target_value": target,
                "threshold_value": threshold,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def values(rng: random.Random, indicators: list[dict], schools: list[int]):
    """(indicator index, school, period, value) as schools give them: year by year, each school
    all its indicators at once, so one indicator's values lie spread over the table as in real
    use. A school keeps its level over the years, plus a drift towards the target."""
    shapes = []
    for row in indicators:
        unit, better = row["unit"], row["better"]
        top = {"percent": 100.0, "number": 50.0, "bool": 1.0}.get(unit) or float(row["max_value"])
        centre = rng.uniform(0.35, 0.75) * top
        drift = rng.uniform(0.0, 0.03) * top * (1 if better == "higher" else -1)
        levels = [centre + rng.gauss(0, 0.15 * top) for _ in schools]
        shapes.append((unit, top, drift, levels))
    for step, year in enumerate(YEARS):
        period = str(year)
        for s, school_id in enumerate(schools):
            for i, (unit, top, drift, levels) in enumerate(shapes):
                raw = levels[s] + drift * step + rng.gauss(0, 0.05 * top)
                if unit == "bool":
                    value = "1" if rng.random() < min(0.95, 0.5 + 0.08 * step) else "0"
                elif unit == "number":
                    value = str(max(0, round(raw)))
                else:
                    value = f"{min(top, max(0.0, raw)):.1f}"
                yield i, school_id, period, value


def build(app) -> dict:
    from tracker.auth.services import hasher
    from tracker.core import clock
    from tracker.core.tenancy import Membership, User
    from tracker.cycle import services as cycle
    from tracker.cycle.models import Direction, Indicator, Measurement
    from tracker.demo.loader import LoadReport, load_directions
    from tracker.extensions import db

    rng = random.Random(20230314)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        dept, schools = municipality(session, SCHOOLS, now)
        school_ids = [s.id for s in schools]
        staff = User(
            email="staff1@bench.test", full_name="Специалист 1", password_hash=hasher.hash(PASSWORD)
        )
        session.add(staff)
        session.flush()
        session.add(Membership(user_id=staff.id, organization_id=dept.id, role="staff"))
        session.flush()
        load_directions(session, LoadReport())
        direction_ids = list(
            session.scalars(sa.select(Direction.id).order_by(Direction.position)).all()
        )

        rows = indicator_rows(rng, dept.id, direction_ids, now)
        session.execute(sa.insert(Indicator), rows)
        indicators = session.scalars(
            sa.select(Indicator).where(Indicator.organization_id == dept.id).order_by(Indicator.id)
        ).all()
        of_direction = {d: [i for i in indicators if i.direction_id == d] for d in direction_ids}
        direction_id = direction_ids[0]
        shown = of_direction[direction_id]

        # The 2023 monitoring of the first direction: one order, 1,000 assignments, all given.
        with clock.frozen(datetime(2023, 1, 20, 7, tzinfo=UTC)):
            campaign = cycle.open_campaign(
                session,
                staff,
                dept,
                title="Мониторинг показателей направления за 2023 год",
                period="2023",
                indicators=shown,
                organizations=list(schools),
                deadline_text="в срок до 15.02.2023",
                direction_id=direction_id,
            )
        from tracker.assignments.models import Assignment

        session.execute(
            sa.update(Assignment)
            .where(Assignment.decision_id == campaign.decision_id)
            .values(status="done", on_time=True)
        )

        # 750,000 values through COPY (insert() of that many rows takes minutes). The rows are
        # consistent by construction, so a superuser skips the foreign-key triggers, which cost
        # more than the copy itself; the setting ends with the copy.
        in_campaign = {i.id for i in shown}
        superuser = session.scalar(
            sa.select(pg_roles.c.rolsuper).where(pg_roles.c.rolname == sa.func.current_user())
        )
        if superuser:
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        raw = session.connection().connection.driver_connection
        columns = "indicator_id, organization_id, period, value, campaign_id, entered_by_id"
        total, copy_started = 0, time.perf_counter()
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY measurements ({columns}, entered_at) FROM STDIN") as copy,
        ):
            ids = [i.id for i in indicators]
            for i, school_id, period, value in values(rng, rows, school_ids):
                asked = ids[i] in in_campaign and period == "2023"
                copy.write_row(
                    (
                        ids[i],
                        school_id,
                        period,
                        value,
                        campaign.id if asked else None,
                        staff.id,
                        now,
                    )
                )
                total += 1
        if superuser:
            session.execute(sa.text("SET LOCAL session_replication_role = origin"))
        copied = time.perf_counter() - copy_started

        # Goals, analyses with recommendations turned into decisions, and effectiveness reviews,
        # so the board's other stages have rows (some directions are left with gaps).
        decided = []
        with clock.frozen(datetime(2023, 3, 1, 7, tzinfo=UTC)):
            for n, d in enumerate(direction_ids):
                mine = of_direction[d]
                if n % 3 != 2:
                    cycle.create_goal(
                        session,
                        staff,
                        dept,
                        "Повысить долю обучающихся, достигших планируемых результатов",
                        direction_id=d,
                        period_start=date(2023, 1, 1),
                        period_end=date(2023, 12, 31),
                        indicators=mine[:3],
                    )
                if n % 4 == 3:
                    continue
                addressees = rng.sample(list(schools), 4)
                analysis = cycle.create_analysis(
                    session,
                    staff,
                    dept,
                    title=f"Анализ результатов мониторинга за 2023 год ({n + 1})",
                    text="Выявлены школы с результатами ниже порога риска.",
                    direction_id=d,
                    indicator_id=mine[0].id if mine else None,
                    period="2023",
                    recommendations=[
                        (school, "Разработать план мер по повышению результатов")
                        for school in addressees
                    ],
                )
                for k, recommendation in enumerate(analysis.recommendations[:2]):
                    executors = [recommendation.organization] if k else list(schools[:50])
                    decided.append(
                        (
                            d,
                            cycle.decide(
                                session,
                                staff,
                                recommendation,
                                deadline_text="в срок до 01.09.2023",
                                executors=executors,
                            ),
                        )
                    )
        session.execute(
            sa.update(Assignment)
            .where(
                Assignment.decision_id.in_([decision.id for _, decision in decided]),
                Assignment.id % 3 != 0,
            )
            .values(status="done", on_time=True)
        )
        session.expire_all()
        with clock.frozen(datetime(2023, 12, 20, 7, tzinfo=UTC)):
            for n, d in enumerate(direction_ids):
                decisions = [decision for owner, decision in decided if owner == d]
                if n % 2 or not decisions:
                    continue
                cycle.record_review(
                    session,
                    staff,
                    dept,
                    decisions=decisions,
                    verdict=rng.choice(["effective", "partial", "ineffective"]),
                    comment="Доля обучающихся группы риска снизилась не во всех школах.",
                    indicator=of_direction[d][0],
                    direction_id=d,
                    period_before="2022",
                    period_after="2023",
                )
        session.commit()
        session.execute(sa.text("ANALYZE"))
        session.commit()
        measured = session.scalar(sa.select(sa.func.count()).select_from(Measurement))
        assert measured == total == SCHOOLS * INDICATORS * len(YEARS), measured
        indicator = next(
            (i for i in shown if i.target_value is not None and i.threshold_value is not None),
            shown[0],
        )
        data = {
            "department_id": dept.id,
            "direction_id": direction_id,
            "direction_indicators": len(shown),
            "indicator_id": indicator.id,
        }
    print(
        f"built {SCHOOLS} schools, {INDICATORS} indicators, {total} measurements "
        f"(copied in {copied:.0f} s), {len(decided)} decisions in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return data


def main() -> None:
    url = fresh_database("bench_cycle")
    app = make_app(url)
    data = build(app)
    dept, direction = data["department_id"], data["direction_id"]
    n = data["direction_indicators"]
    with served(url) as base:
        staff = login(base, "staff1@bench.test", PASSWORD)
        results = {
            "/health (bare)": timed(staff, base + "/health", RUNS),
            f"/cycle/directions/{direction} ({n} indicators × 1,000 × 5)": timed(
                staff, base + f"/cycle/directions/{direction}?department_id={dept}", RUNS
            ),
            "/cycle?year=2023 (board: 14 directions × 6 stages)": timed(
                staff, base + f"/cycle?department_id={dept}&year=2023", RUNS
            ),
            f"/cycle/indicators/{data['indicator_id']} (1,000 schools × 5 years)": timed(
                staff, base + f"/cycle/indicators/{data['indicator_id']}", RUNS
            ),
            f"/cycle/directions/{direction}.xlsx": timed(
                staff, base + f"/cycle/directions/{direction}.xlsx?department_id={dept}", RUNS
            ),
        }
    report(f"Management cycle, PostgreSQL, gunicorn 2 workers, {RUNS} runs each", results)


if __name__ == "__main__":
    sys.exit(main())
