"""The outbox and policy pages, the per-assignment list of letters, and `flask reminders sweep`."""

import sqlalchemy as sa

from tests.factories import make_meeting, make_org, make_user
from tracker.extensions import db
from tracker.notify.models import OutboxMessage


def test_outbox_is_for_administrators_and_scoped(world, client_for):
    make_meeting(world)  # «new assignment» letters to the two directors
    assert client_for(world.staff).get("/admin/outbox").status_code == 403
    assert client_for(world.director).get("/admin/outbox").status_code == 403
    page = client_for(world.admin).get("/admin/outbox").get_data(as_text=True)
    assert "director@test.ru" in page and "dir6@test.ru" in page
    stranger_region = make_org("region", "Другая область")
    stranger = make_user("stranger@test.ru", stranger_region, "admin")
    db.session.commit()
    assert "director@test.ru" not in client_for(stranger).get("/admin/outbox").get_data(
        as_text=True
    )
    row = db.session.scalars(sa.select(OutboxMessage)).first()
    assert client_for(stranger).post(f"/admin/outbox/{row.id}/resend").status_code == 404


def test_letters_are_listed_on_the_assignment(world, client_for):
    _m, decision = make_meeting(world)
    a = next(x for x in decision.assignments if x.organization_id == world.school.id)
    page = client_for(world.director).get(f"/assignments/{a.id}").get_data(as_text=True)
    assert 'data-testid="reminders"' in page and "Новое поручение" in page


def test_cli_sweep_as_of_a_moment(world, app):
    make_meeting(world)  # due 27.02.2023
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "sweep", "--at", "2023-02-20T09:00"])
    assert result.exit_code == 0, result.output
    assert "Напоминаний в очереди: 2" in result.output
    again = runner.invoke(args=["reminders", "sweep", "--at", "2023-02-20T09:30"])
    assert "Напоминаний в очереди: 0" in again.output
    bad = runner.invoke(args=["reminders", "sweep", "--at", "вчера"])
    assert bad.exit_code != 0 and "2023-02-24T09:00" in bad.output
    db.session.rollback()
    sent = db.session.scalars(
        sa.select(OutboxMessage.state).where(OutboxMessage.kind.startswith("reminder"))
    ).all()
    assert sent == ["sent", "sent"]  # no broker configured: delivered by the sweep itself


def test_policy_page_refuses_bad_values(world, client_for):
    page = (
        client_for(world.admin)
        .post(
            "/admin/reminders",
            {
                "organization_id": world.dept.id,
                "days_before": "7, x",
                "on_the_day": "1",
                "overdue_every_days": 3,
                "escalate_after_days": 7,
                "send_hour": 9,
            },
        )
        .get_data(as_text=True)
    )
    assert "через запятую" in page
    from tracker.notify.models import ReminderPolicy

    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderPolicy)) == 0
