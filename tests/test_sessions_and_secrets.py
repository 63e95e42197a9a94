"""Sessions and secrets: logout ends the session on the server, «remember me» has a limit, a new
password voids old tokens, no repository key signs a production cookie, login limits count
failures per account and believe X-Forwarded-For only from the proxies, «Забыли пароль» answers
alike for every address and cannot be turned against an invitation or a mailbox."""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from config.settings import ProductionConfig, trusted_proxies
from tests.conftest import make_config
from tests.factories import PASSWORD
from tracker import create_app
from tracker.auth.models import ApiToken, LoginSession, OneTimeLink
from tracker.auth.services import create_api_token, set_password
from tracker.core import clock
from tracker.core.models import AuditLog
from tracker.core.tenancy import User, system_actor
from tracker.extensions import db, limiter
from tracker.notify.models import OutboxMessage
from tracker.orgs import services as orgs

ROOT = Path(__file__).resolve().parent.parent


def cookie(client, name):
    found = client.http.get_cookie(name)
    return found.value if found else None


def log_in(client, email="director@test.ru", remember=False, **kwargs):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data, **kwargs)


# --- 6. logout, «remember me», a new password, caching --------------------------------------


def test_a_login_session_lasts_by_the_real_time_not_the_moved_clock(world, client_for):
    """Tests and `--at` move the application's clock by days; a session is about real time."""
    from datetime import UTC, datetime

    client = client_for()
    log_in(client)
    clock.freeze(datetime(2031, 1, 1, tzinfo=UTC))
    assert client.get("/").status_code == 200


def test_logout_ends_the_session_and_its_remember_cookie_on_the_server(world, client_for):
    client = client_for()
    assert log_in(client, remember=True).status_code == 302
    stolen_session, stolen_remember = cookie(client, "session"), cookie(client, "remember_token")
    assert stolen_session and stolen_remember
    assert client.post("/auth/logout").status_code == 302
    # A copy of either cookie taken before the logout signs nobody in any more.
    for name, value in (("session", stolen_session), ("remember_token", stolen_remember)):
        replay = client_for()
        replay.http.set_cookie(name, value)
        assert replay.get("/").status_code == 302, name
    db.session.expire_all()
    assert db.session.scalar(sa.select(LoginSession.revoked_at)) is not None


def test_remember_me_lasts_tracker_remember_days(world, client_for, monkeypatch):
    client = client_for()
    log_in(client, remember=True)
    row = db.session.scalar(sa.select(LoginSession))
    assert row.remember and row.expires_at - row.created_at == timedelta(days=14)
    expires = client.http.get_cookie("remember_token").expires
    assert timedelta(days=13) < expires - clock.wall() <= timedelta(days=14, minutes=1)
    # Past that day the remembered session is over even with the cookie.
    row.expires_at = clock.wall() - timedelta(seconds=1)
    db.session.commit()
    replay = client_for()
    replay.http.set_cookie("remember_token", cookie(client, "remember_token"))
    assert replay.get("/").status_code == 302
    monkeypatch.setenv("TRACKER_REMEMBER_DAYS", "3")
    assert timedelta(days=3) == make_config("sqlite://").REMEMBER_COOKIE_DURATION


def test_a_session_without_remember_me_ends_with_tracker_session_hours(world, client_for):
    client = client_for()
    log_in(client)
    row = db.session.scalar(sa.select(LoginSession))
    assert not row.remember and row.expires_at - row.created_at == timedelta(hours=12)
    assert cookie(client, "remember_token") is None


def test_a_password_change_revokes_api_tokens_and_other_sessions(world, client_for):
    other_browser = client_for(world.director)
    token = create_api_token(db.session, world.director, "скрипт")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client_for().get("/api/v1/me", headers=headers).status_code == 200
    set_password(db.session, world.director, "a-new-password-7")
    db.session.commit()
    assert client_for().get("/api/v1/me", headers=headers).status_code == 401
    assert other_browser.get("/").status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        )
        == 0
    )


def test_authenticated_responses_are_not_stored_by_browsers_or_proxies(world, client_for, api):
    assert client_for(world.director).get("/").headers["Cache-Control"] == "no-store"
    assert client_for(world.director).get("/my").headers["Cache-Control"] == "no-store"
    assert api(world.director, "GET", "/api/v1/me").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client_for().get("/auth/login").headers.get("Cache-Control", "")


# --- 7. secrets that are public are refused; .env stays home; ports stay local ---------------


def keys_written_in_the_repository() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = {}
    pattern = re.compile(r"SECRET_KEY\s*[:=]\s*[\"']?([^\"'\s#]+)")
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".jpg", ".ttf", ".docx", ".xlsx", ".odt", ".pdf"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for value in pattern.findall(text):
            if not any(ch in value for ch in "()${}<>") and len(value) > 3:
                found[value] = name
    return set(found)


def test_production_refuses_every_secret_key_written_in_the_repository(monkeypatch):
    keys = keys_written_in_the_repository()
    assert "testing-secret" in keys  # the scan sees the config's own assignments
    for key in keys | {"change-me-to-a-long-random-string-of-at-least-32-characters"}:
        monkeypatch.setenv("SECRET_KEY", key)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            ProductionConfig().validate()
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    ProductionConfig().validate()


def test_env_file_is_kept_out_of_git_and_of_the_image():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in dockerignore
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^SECRET_KEY=\s*$", example, re.MULTILINE)


def test_compose_publishes_web_and_mailpit_on_the_loopback_only():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {name: s.get("ports", []) for name, s in services.items() if s.get("ports")}
    # The SMTP door for replies is public by its nature, and opt-in (profile «inbound»).
    assert set(published) - {"inbound"} == {"web", "mailpit"}
    assert services.get("inbound", {}).get("profiles", ["inbound"]) == ["inbound"]
    for name in ("web", "mailpit"):
        for port in published[name]:
            assert str(port).startswith("127.0.0.1:"), (name, port)


# --- 8. login limits --------------------------------------------------------------------------


def post_login(client, email, password, address):
    return client.post(
        "/auth/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_logins_are_counted_per_account_whatever_the_address(app, world, client_for):
    app.config["TRACKER_LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per hour"
    try:
        codes = [
            post_login(client_for(), "director@test.ru", "wrong", f"198.51.100.{n}").status_code
            for n in range(1, 5)
        ]
        assert codes == [200, 200, 200, 429]
        # Another account from the same addresses is not held up.
        assert post_login(client_for(), "zavuch@test.ru", PASSWORD, "198.51.100.1").status_code == (
            302
        )
    finally:
        app.config["TRACKER_LOGIN_ACCOUNT_RATE_LIMIT"] = "10 per hour"


def test_successful_logins_do_not_use_up_a_schools_shared_address(world, client_for):
    for _ in range(8):  # the whole school behind one NAT address, five a minute allowed
        assert post_login(
            client_for(), "director@test.ru", PASSWORD, "203.0.113.9"
        ).status_code == (302)
    for _ in range(5):
        assert post_login(client_for(), "zavuch@test.ru", "wrong", "203.0.113.9").status_code == 200
    assert post_login(client_for(), "zavuch@test.ru", "wrong", "203.0.113.9").status_code == 429


@pytest.fixture
def proxied_app(database_url, tmp_root):
    application = create_app(
        make_config(database_url, TRACKER_TRUSTED_PROXIES=trusted_proxies("127.0.0.1, 10.0.0.0/8"))
    )
    yield application
    with application.app_context():
        limiter.reset()


def failed_login_from(app, peer, forwarded):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.app_context():
        client = app.test_client()
        client.get("/auth/login")  # a session with a CSRF token
        with client.session_transaction() as session:
            token = session.get("csrf_token")
        from itsdangerous import URLSafeTimedSerializer

        signed = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(token)
        return client.post(
            "/auth/login",
            data={"email": "director@test.ru", "password": "wrong", "csrf_token": signed},
            headers=headers,
            environ_base={"REMOTE_ADDR": peer},
        )


def test_x_forwarded_for_is_believed_only_from_the_configured_proxies(world, proxied_app):
    failed_login_from(proxied_app, "127.0.0.1", "192.0.2.44")  # through the proxy
    failed_login_from(proxied_app, "203.0.113.5", "192.0.2.45")  # a client lying about itself
    failed_login_from(proxied_app, "10.1.2.3", "192.0.2.46, 10.9.9.9")  # two proxies deep
    db.session.expire_all()
    addresses = list(
        db.session.scalars(
            sa.select(AuditLog.ip)
            .where(AuditLog.action == "auth.login_failed")
            .order_by(AuditLog.id)
        )
    )
    assert addresses == ["192.0.2.44", "203.0.113.5", "192.0.2.46"]
    # A new made-up X-Forwarded-For for each try does not make a new address for the limit.
    codes = [
        failed_login_from(proxied_app, "203.0.113.7", f"192.0.2.{n}").status_code
        for n in range(100, 106)
    ]
    assert codes[-1] == 429


def test_a_proxy_count_instead_of_addresses_is_refused_with_a_clear_message():
    with pytest.raises(RuntimeError, match="addresses"):
        trusted_proxies("1")
    with pytest.raises(RuntimeError, match="not an IP"):
        trusted_proxies("proxy.local")


# --- 9. «Забыли пароль» and names in letters ------------------------------------------------


def test_forgot_password_answers_alike_before_looking_the_address_up(app, world, client_for):
    from sqlalchemy import event

    def links():
        db.session.commit()  # a fresh snapshot
        return db.session.scalar(sa.select(sa.func.count()).select_from(OneTimeLink))

    answers = {}
    for email in ("director@test.ru", "nobody@test.ru"):
        client = client_for()
        before = links()
        with app.app_context():
            engine = db.engine
        statements = []

        def count(*_args, statements=statements):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.post("/auth/forgot", {"email": email})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        # The answer is complete here; nothing about the address has been looked at yet.
        answers[email] = (response.status_code, response.headers["Location"], len(statements))
        assert links() == before
        response.close()  # the server has sent the answer: now the work happens
    assert answers["director@test.ru"] == answers["nobody@test.ru"]
    db.session.expire_all()
    sent = db.session.scalars(sa.select(OutboxMessage.recipient_email)).all()
    assert sent == ["director@test.ru"]


def test_forgot_password_leaves_a_pending_invitation_working(world, client_for):
    admin = client_for(world.admin)
    admin.post(
        "/admin/users/invite",
        {
            "email": "novaya@test.ru",
            "full_name": "Новая Учительница",
            "organization_id": world.school.id,
            "role": "school_staff",
        },
    )
    invitation = db.session.scalar(sa.select(OutboxMessage.body_text))
    link = re.search(r"(/auth/link/\S+)", invitation).group(1)
    client_for().post("/auth/forgot", {"email": "novaya@test.ru"}).close()
    assert client_for().get(link).status_code == 200


@pytest.mark.parametrize("name", ["Иван\r\nBcc: evil@example.org", "Иван\nTo: evil@example.org"])
def test_a_name_with_a_line_break_is_refused(world, client_for, name):
    with pytest.raises(orgs.OrgError):
        orgs.create_user(
            db.session, email="ivan@test.ru", full_name=name, actor=system_actor(db.session)
        )
    db.session.rollback()
    page = client_for(world.admin).post(
        "/admin/users/invite",
        {
            "email": "ivan@test.ru",
            "full_name": name,
            "organization_id": world.school.id,
            "role": "school_staff",
        },
    )
    assert "в одну строку" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "ivan@test.ru")) is None


def test_a_stored_name_with_a_line_break_cannot_add_a_recipient(world, mailbox):
    from tracker.auth.notifications import send_reset_link
    from tracker.notify.delivery import deliver

    world.director.full_name = "Директор\r\nBcc: evil@example.org"
    db.session.commit()
    send_reset_link(world.director, "token")
    db.session.flush()
    row_id = db.session.scalar(sa.select(OutboxMessage.id))
    db.session.info.pop("outbox_new", None)
    db.session.commit()
    assert deliver(row_id) == "sent"
    assert mailbox.envelopes == [["director@test.ru"]]
    assert [a.addr_spec for a in mailbox.messages[0]["To"].addresses] == ["director@test.ru"]
