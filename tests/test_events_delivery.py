"""Events by real mail: a Celery worker, Redis, PostgreSQL and aiosmtpd."""

from __future__ import annotations

import time

import pytest

from tests.factories import make_meeting
from tests.test_celery_delivery import (  # noqa: F401 - fixtures
    celery_setup,
    redis_server,
    running_redis,
    wait_until,
)
from tracker.extensions import db

pytestmark = pytest.mark.postgres_only


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
        60,
        "the controller's letter arrived",
    )
    elapsed = time.monotonic() - started
    letters = [m for m in mailbox.messages if "staff@test.ru" in str(m["To"])]
    assert len(letters) == 1
    assert str(letters[0]["Subject"]).startswith("Отчёт на проверку: МОУ «Средняя школа № 3»")
    assert f"/assignments/{assignment.id}" in letters[0].get_body(("plain",)).get_content()
    print(f"report → controller's mailbox: {elapsed:.2f} s")
