"""Events by real mail: a Celery worker, Redis, PostgreSQL and aiosmtpd."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tests.test_celery_delivery import (  # noqa: F401 - fixtures
    celery_setup,
    redis_server,
    running_redis,
    wait_until,
)
from tracker.extensions import db

pytestmark = pytest.mark.postgres_only
SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SCHOOLS_001 = [3, 6, 7, 10, 20, 29, 33, 43, 46, 5, 14, 35, 9, 25, 55]


def test_a_report_reaches_the_controllers_mailbox_in_one_delivery_cycle(
    app,
    world,
    celery_setup,  # noqa: F811 - the fixture imported above
    mailbox,
    client_for,
):
    celery_setup("events")
    _meeting, decision = make_meeting(world)
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    db.session.commit()
    mailbox.clear()
    started = time.monotonic()
    response = client_for(world.director).post(
        f"/assignments/{assignment.id}/report", {"text": "Программа утверждена"}
    )
    assert response.status_code == 302
    # No sweep, no scheduler: the commit hands the letter to the worker, which sends it.
    wait_until(
        lambda: any("staff@test.ru" in str(m["To"]) for m in mailbox.messages),
        # Seconds when the machine is quiet; the margin is for a loaded CI machine.
        180,
        "the controller's letter arrived",
    )
    elapsed = time.monotonic() - started
    letters = [m for m in mailbox.messages if "staff@test.ru" in str(m["To"])]
    assert len(letters) == 1
    assert str(letters[0]["Subject"]).startswith("Отчёт на проверку: МОУ «Средняя школа № 3»")
    assert f"/assignments/{assignment.id}" in letters[0].get_body(("plain",)).get_content()
    print(f"report → controller's mailbox: {elapsed:.2f} s")


def test_a_fifteen_school_protocol_sends_each_director_one_letter(
    app,
    ctx,
    celery_setup,  # noqa: F811 - the fixture imported above
    mailbox,
):
    from tracker.core.tenancy import Membership, User
    from tracker.demo.loader import LoadReport, load_organizations, load_users
    from tracker.protocols import services as protocols

    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    db.session.commit()
    celery_setup("import")
    seed = (SEEDS / "001_petrozavodsk_protocol_2023-01-31.txt").read_text(encoding="utf-8")
    department = orgs["ptz-uo"]
    staff = db.session.scalar(
        sa.select(User).where(User.email == "chervova@petrozavodsk.demo.test")
    )
    reading = protocols.read(db.session, department, seed)
    reading["title"] = protocols.suggest_title(seed)
    mailbox.clear()
    protocols.confirm(db.session, department, staff, reading)
    db.session.commit()
    schools = [orgs[f"ptz-sch{n}"].id for n in SCHOOLS_001]
    directors = set(
        db.session.scalars(
            sa.select(User.email)
            .join(Membership)
            .where(Membership.organization_id.in_(schools), Membership.role == "director")
        )
    )
    assert len(directors) >= 10
    wait_until(lambda: len(mailbox.messages) >= len(directors), 90, "every director's letter")
    time.sleep(2)  # nothing more arrives
    received = [m["To"].addresses[0].addr_spec for m in mailbox.messages]
    assert sorted(received) == sorted(directors)  # one letter each, nobody else
    letter = mailbox.messages[0]
    assert str(letter["Subject"]).startswith("8 новых поручений: протокол от 31.01.2023")
    body = letter.get_body(("plain",)).get_content()
    assert body.count("   Срок: ") == 8
    assert "Пункт 2: Разработать(скорректировать) антирисковую программу МОУ" in body
