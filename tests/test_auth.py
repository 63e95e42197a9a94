import sqlalchemy as sa

from tests.factories import PASSWORD
from tracker.core.models import AuditLog
from tracker.extensions import db


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_login_and_logout(world, client_for):
    client = client_for()
    response = client.post("/auth/login", {"email": "Director@Test.ru ", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert "Директор Школы Три" in home.get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302  # back to the login page
    assert "auth.login" in audit_actions()


def test_wrong_password_is_refused_and_audited(world, client_for):
    response = client_for().post("/auth/login", {"email": "director@test.ru", "password": "nope"})
    assert response.status_code == 200
    assert "Неверная электронная почта или пароль" in response.get_data(as_text=True)
    db.session.expire_all()
    assert audit_actions()[-1] == "auth.login_failed"


def test_sixth_wrong_password_in_a_minute_gets_429(world, client_for):
    client = client_for()
    codes = [
        client.post("/auth/login", {"email": "director@test.ru", "password": "bad"}).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429
    db.session.rollback()
    assert audit_actions()[-1] == "auth.login_throttled"
    assert "Слишком много попыток" in client.post(
        "/auth/login", {"email": "director@test.ru", "password": PASSWORD}
    ).get_data(as_text=True)


def test_post_without_csrf_token_is_400_and_changes_nothing(world, client_for):
    client = client_for(world.admin)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    response = client.post(f"/admin/users/{world.director.id}/active", csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert world.director.active is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_inactive_user_cannot_log_in(world, client_for):
    world.director.active = False
    db.session.commit()
    response = client_for().post("/auth/login", {"email": "director@test.ru", "password": PASSWORD})
    assert response.status_code == 200


def test_security_headers(app, client_for):
    response = client_for().get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script anywhere


def test_session_cookie_is_httponly_and_lax(world, client_for):
    response = client_for().post("/auth/login", {"email": "director@test.ru", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_after_login_is_ignored(world, client_for):
    response = client_for().post(
        "/auth/login?next=https://evil.example/",
        {"email": "director@test.ru", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_password_change_ends_other_sessions(world, client_for):
    from tracker.auth.services import set_password

    client = client_for(world.director)
    assert client.get("/").status_code == 200
    set_password(db.session, world.director, "a-new-password-7")
    db.session.commit()
    assert client.get("/").status_code == 302


def test_forgot_password_does_not_reveal_accounts(world, client_for):
    from tracker.notify.models import OutboxMessage

    client = client_for()
    known = client.post("/auth/forgot", {"email": "director@test.ru"}, follow_redirects=True)
    unknown = client.post("/auth/forgot", {"email": "nobody@test.ru"}, follow_redirects=True)
    assert "Если такой адрес зарегистрирован" in known.get_data(as_text=True)
    assert "Если такой адрес зарегистрирован" in unknown.get_data(as_text=True)
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [r.recipient_email for r in rows] == ["director@test.ru"]
    assert rows[0].state == "sent"  # delivered (suppressed) after commit


def test_scheduler_delivers_what_a_request_left_pending(world, app):
    from tracker.auth.notifications import send_reset_link
    from tracker.notify.models import OutboxMessage
    from tracker.notify.scheduler import deliver_pending

    app.config["TRACKER_DELIVER_INLINE"] = False
    app.config["REDIS_URL"] = None
    try:
        with app.test_request_context():
            send_reset_link(world.director, "token")
            db.session.flush()
            row = db.session.scalars(sa.select(OutboxMessage)).one()
            # As if the process had died before the after-commit delivery ran.
            db.session.info.pop("outbox_new", None)
            db.session.commit()
    finally:
        app.config["TRACKER_DELIVER_INLINE"] = True
    assert row.state == "pending"
    deliver_pending(app)
    db.session.rollback()  # end this session's snapshot to see the scheduler's write
    assert db.session.get(OutboxMessage, row.id).state == "sent"
