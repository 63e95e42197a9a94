"""Fixtures on the real parts: SQLite and PostgreSQL, Redis, headless Chromium.

A service that is missing locally makes its tests skip with the reason; under CI=true it fails."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from config import TestingConfig
from config.settings import normalize_db_url
from tracker import create_app, register_models
from tracker.extensions import db, limiter

# Every model is mapped before test modules are collected: some touch mappers at import time.
register_models()

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BACKENDS = ("sqlite", "postgresql")


def missing(reason: str) -> None:
    """Skip locally, fail under CI: a missing service must never pass CI silently."""
    if IN_CI:
        pytest.fail(f"required service missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_available() -> str | None:
    try:
        engine = sa.create_engine(normalize_db_url(PG_URL))
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"PostgreSQL at {PG_URL} is not reachable: {error.__class__.__name__}"


def redis_available() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        return None
    except Exception as error:
        return f"Redis at {REDIS_URL} is not reachable: {error.__class__.__name__}"


def make_config(database_url: str, **overrides: object) -> TestingConfig:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = normalize_db_url(database_url)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def reset_schema(app: Flask) -> None:
    """Drop everything and build the schema through the migrations (which are tested too)."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tracker")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgresql" and (reason := postgres_available()):
        missing(reason)
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_root: Path) -> str:
    if backend == "postgresql":
        return PG_URL
    return f"sqlite:///{tmp_root / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_root: Path) -> Iterator[Flask]:
    application = create_app(
        make_config(database_url, TRACKER_UPLOAD_DIR=str(tmp_root / "uploads"))
    )
    reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request) -> Iterator[None]:
    """Each test starts with empty tables, an unfrozen clock and a fresh rate limiter."""
    from tracker.core import clock

    yield
    clock.freeze(None)
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        truncate_all()
        limiter.reset()


def truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # The organization tree references itself; SQLite cannot defer that check, and the
            # pragma only takes effect outside a transaction.
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("BEGIN")
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def world(ctx):
    from tests.factories import build_world

    return build_world()


class Client:
    """A test client that carries a valid CSRF token, as a browser with the page open would."""

    def __init__(self, app: Flask, user=None) -> None:
        self.app = app
        self.http = app.test_client()
        raw = secrets.token_hex(20)
        identity = self.sign_in(user) if user is not None else None
        with self.http.session_transaction() as session:
            session["csrf_token"] = raw
            if identity is not None:
                session["_user_id"] = identity
                session["_fresh"] = True
        self.csrf = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def sign_in(self, user) -> str:
        """A server-side login session, as the login page makes one."""
        from datetime import timedelta

        from tracker.auth.services import start_session
        from tracker.core.tenancy import User

        user_id = user.id  # read first: after the commit below it would open a new snapshot
        if has_app_context():
            db.session.commit()
        with self.app.app_context():
            identity = start_session(
                db.session,
                db.session.get(User, user_id),
                remember=False,
                lifetime=timedelta(days=1),
            )
            db.session.commit()
        return identity

    def get(self, url: str, **kwargs):
        return self.open(url, method="GET", **kwargs)

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.open(url, method="POST", data=data, **kwargs)

    def open(self, *args, **kwargs):
        # The test's own session ends its transaction (so it sees what the request writes), and
        # the request gets a fresh app context with its own `g` and session, as in production.
        if has_app_context():
            db.session.commit()
        with self.app.app_context():
            return self.http.open(*args, **kwargs)


@pytest.fixture
def client_for(app: Flask):
    def make(user=None) -> Client:
        return Client(app, user)

    return make


@pytest.fixture
def api(world, client_for):
    """Call the JSON API as a user, with a bearer token made for them on first use."""
    from tracker.auth.services import create_api_token

    tokens = {}

    class Api:
        def __call__(self, user, method, url, json=None):
            if user.id not in tokens:
                tokens[user.id] = create_api_token(db.session, user, "t")
                db.session.commit()
            return client_for().open(
                url,
                method=method,
                json=json,
                headers={"Authorization": f"Bearer {tokens[user.id]}"},
            )

    return Api()


# --- browser -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    port = free_port()
    app.config["TRACKER_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_instance():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_instance, live_server):
    context = browser_instance.new_context(base_url=live_server, locale="ru-RU")
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


def pytest_collection_modifyitems(config, items) -> None:
    # Browser and Celery tests run once, on PostgreSQL (what a region runs); the rest on both.
    keep, drop = [], []
    for item in items:
        once = item.get_closest_marker("browser") or item.get_closest_marker("postgres_only")
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("backend") if callspec else None
        if once and param == "sqlite" and not os.environ.get("BROWSER_ON_SQLITE"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- mail ----------------------------------------------------------------------------------


class MailSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives. `script` lists how to answer
    the next DATA commands: "451", "550", ("hang", seconds) or None for 250. A test scripts more
    through `hooks`: {"EHLO" | "MAIL" | "RCPT" | "DATA": async (sink, session, envelope) ->
    reply or None (go on as usual)}; `attempts` records (monotonic time, X-Tracker-Key) of
    every DATA."""

    def __init__(self) -> None:
        import email
        import email.policy

        self._email = email
        self._policy = email.policy.default
        self.messages: list = []
        self.envelopes: list[list[str]] = []  # RCPT TO of each message received
        self.script: list = []
        self.lock = threading.Lock()
        self.stuck = threading.Event()  # set once a sender is held in the middle of a send
        self.hooks: dict = {}
        self.attempts: list[tuple[float, str]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        hook = self.hooks.get("EHLO")
        if hook is not None:
            await hook(self, session, envelope)
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        hook = self.hooks.get("MAIL")
        reply = await hook(self, session, envelope) if hook is not None else None
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    def keep(self, envelope) -> None:
        """Store a received letter (a hook that answers DATA itself calls it to accept)."""
        message = self._email.message_from_bytes(envelope.content, policy=self._policy)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))

    async def handle_RCPT(self, server, session, envelope, address, options):
        import asyncio

        with self.lock:
            action = self.script[0] if self.script else None
            if isinstance(action, tuple) and action[0] == "hang_rcpt":
                self.script.pop(0)
        if isinstance(action, tuple) and action[0] == "hang_rcpt":
            self.stuck.set()
            await asyncio.sleep(action[1])  # the sender is stuck in the middle of a send
        hook = self.hooks.get("RCPT")
        if hook is not None:
            reply = await hook(self, session, envelope)
            if reply is not None:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import time

        key = self._email.message_from_bytes(envelope.content, policy=self._policy)["X-Tracker-Key"]
        with self.lock:
            self.attempts.append((time.monotonic(), str(key)))
        hook = self.hooks.get("DATA")
        if hook is not None:
            reply = await hook(self, session, envelope)
            if reply is not None:
                return reply
        with self.lock:
            action = self.script.pop(0) if self.script else None
        if isinstance(action, tuple) and action[0] == "hang":
            await asyncio.sleep(action[1])  # longer than the client waits: it gives up
            return "451 4.4.2 Timeout"
        if action == "451":
            return "451 4.3.0 Try again later"
        if action == "550":
            return "550 5.1.1 Mailbox unavailable"
        message = self._email.message_from_bytes(envelope.content, policy=self._policy)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"

    def by_key(self) -> dict[str, list]:
        result: dict[str, list] = {}
        for message in self.messages:
            result.setdefault(str(message["X-Tracker-Key"]), []).append(message)
        return result

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
            self.script.clear()
            self.attempts.clear()
        self.hooks.clear()
        self.stuck.clear()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[MailSink, int]]:
    from aiosmtpd.controller import Controller

    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def mailbox(app, smtp_sink):
    """The app sends real SMTP to the local aiosmtpd server for this test."""
    sink, port = smtp_sink
    sink.clear()
    saved = {
        k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND", "MAIL_TIMEOUT")
    }
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=3
    )
    yield sink
    app.config.update(saved)


# --- replies by mail (tracker.inbound) ---------------------------------------------------------


@pytest.fixture(scope="module")
def inbound_server(app, database_url, smtp_sink):
    """`flask mail inbound` in its own process, filing into the tests' database."""
    from tests.inbound_helpers import InboundServer, server_env

    server = InboundServer(server_env(app, database_url, smtp_sink[1]))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbound(app, inbound_server, mailbox):
    """Replies are on: this process writes letters with reply addresses, the server files them."""
    from tests.inbound_helpers import DOMAIN

    if inbound_server.process is None:
        inbound_server.start()
    app.config["TRACKER_INBOUND_DOMAIN"] = DOMAIN
    yield inbound_server
    app.config["TRACKER_INBOUND_DOMAIN"] = ""
