"""Fixtures on the real parts: SQLite and PostgreSQL, Redis, headless Chromium.

A service that is missing locally makes its tests skip with the reason; under CI=true it fails."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from config import TestingConfig
from config.settings import normalize_db_url
from tracker import create_app, register_models
from tracker.extensions import db, limiter

# Every model is mapped before test modules are collected: some touch mappers at import time.
register_models()

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Under `pytest -n N` (pytest-xdist) each worker ("gw0", "gw1"...) has its own PostgreSQL
# database (the configured name + "_gw1") and Redis database (the configured number + 1).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def for_this_worker(url: str, kind: str) -> str:
    if not WORKER:
        return url
    number = int(WORKER.removeprefix("gw"))
    head, _, last = url.rpartition("/")
    if kind == "redis":
        return f"{head}/{(int(last or 0) + number) % 16}"
    name, sep, query = last.partition("?")
    return f"{head}/{name}_{WORKER}{sep}{query}"


PG_URL = for_this_worker(
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"), "postgres"
)
REDIS_URL = for_this_worker(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), "redis")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BACKENDS = ("sqlite", "postgresql")


def missing(reason: str) -> None:
    """Skip locally, fail under CI: a missing service must never pass CI silently."""
    if IN_CI:
        pytest.fail(f"required service missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def create_worker_database() -> None:
    """A worker's database, made on the same server beside the configured one."""
    url = sa.make_url(normalize_db_url(PG_URL))
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not found:
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()


def postgres_available() -> str | None:
    try:
        if WORKER:
            create_worker_database()
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


# --- each test's data: a rolled-back transaction, or truncation ------------------------------
# A test runs on one connection whose outer transaction is rolled back at its end: every session
# the test and its requests open joins it through a SAVEPOINT (`commit()` releases it), and so
# does the audit log's "own transaction" (`db.engine.begin()`). A test whose data must really be
# committed, to be seen by another thread or process (the live server of the browser tests, the
# Celery worker, the mail server, a second app), is marked `commits`, or uses one of the
# fixtures below, and gets the old way: real commits and every table truncated afterwards.
COMMITTING_FIXTURES = {
    "live_server",
    "page",
    "inbound_server",
    "inbound",
    "celery_setup",
    "proxied_app",
}


def commits(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("commits")) or bool(
        COMMITTING_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


class TestSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session, bound to the test's connection whatever the model. What the
    audit log wrote in "its own transaction" meanwhile (`OwnTransaction`) is written again when
    this session's savepoint is rolled back: a real own transaction would have outlived it."""

    def get_bind(self, *args, **kwargs):
        return self.bind

    def commit(self) -> None:
        super().commit()
        self.info.pop("outliving", None)

    def rollback(self) -> None:
        if self._only_read():
            self.commit()
        else:
            super().rollback()
            self._write_again()

    def close(self) -> None:
        if self._only_read():
            self.commit()
        super().close()
        self._write_again()

    def _only_read(self) -> bool:
        """Nothing of this session's own to undo: its rollback only ends its snapshot. Then the
        savepoint is released, not rolled back, so that what other sessions (a request, the
        scheduler) committed meanwhile, nested in it on the one connection, stays."""
        return (
            self.in_transaction()
            and not self.info.get("wrote")
            and not (self.new or self.dirty or self.deleted)
        )

    def _write_again(self) -> None:
        for statement in self.info.pop("outliving", []):
            self.bind.execute(statement)


class OneConnection:
    """Routes the app's database work to one connection until `close()`."""

    def __init__(self, app: Flask, connection: sa.Connection) -> None:
        self.app = app
        self.connection = connection
        self.engine = db._app_engines[app][None]
        self.sessions = db._make_scoped_session(
            {
                "class_": TestSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        sa.event.listen(self.sessions, "after_flush", self.wrote)
        sa.event.listen(self.sessions, "do_orm_execute", self.executes)
        sa.event.listen(self.sessions, "after_transaction_end", self.ended)
        self.saved = db.session
        db.session = self.sessions
        self.engine.begin = self.own_transaction  # the audit log's

    @staticmethod
    def wrote(session: TestSession, *_args) -> None:
        session.info["wrote"] = True

    @staticmethod
    def executes(state: sa.orm.ORMExecuteState) -> None:
        if not state.is_select:
            state.session.info["wrote"] = True

    @staticmethod
    def ended(session: TestSession, transaction: sa.orm.SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop("wrote", None)

    @contextmanager
    def own_transaction(self) -> Iterator[OwnTransaction]:
        yield OwnTransaction(self.connection)

    def close(self) -> None:
        for session in list(self.sessions.registry.registry.values()):
            session.close()
        self.sessions.registry.clear()
        db.session = self.saved
        del self.engine.begin


class OwnTransaction:
    """What `db.engine.begin()` gives while a test runs on one connection: that connection, where
    a row written inside the current session's savepoint is written again if that savepoint is
    rolled back (as a row committed in a transaction of its own would stay)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def execute(self, statement, *args, **kwargs):
        around = db.session()
        if not args and not kwargs and around.in_transaction():
            around.info.setdefault("outliving", []).append(statement)
        return self.connection.execute(statement, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.connection, name)


# The connection of a module that shares one world among its tests (see `module_world`).
MODULE_CONNECTION: dict[Flask, sa.Connection] = {}


@pytest.fixture(autouse=True)
def _clean_state(request) -> Iterator[None]:
    """Each test starts with the data it was given (a world of its module or none), an unfrozen
    clock and a fresh rate limiter."""
    from tracker.core import clock

    application: Flask | None = None
    if "app" in request.fixturenames:
        application = request.getfixturevalue("app")
    rollback = application is not None and not commits(request.node)
    if rollback:
        with application.app_context():
            shared = MODULE_CONNECTION.get(application)
            connection = shared or db.engine.connect()
            transaction = connection.begin_nested() if shared else connection.begin()
            routed = OneConnection(application, connection)
    try:
        yield
    finally:
        clock.freeze(None)
        if application is not None:
            with application.app_context():
                if rollback:
                    routed.close()
                    if transaction.is_active:
                        transaction.rollback()
                    if not shared:
                        connection.close()
                else:
                    db.session.remove()
                    truncate_all()
                limiter.reset()


def truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # A live server's request thread may still be finishing after the test; when it and
        # the TRUNCATE deadlock, PostgreSQL aborts one of them, and ours is simply tried again.
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
                    conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                return
            except sa.exc.OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)
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


@pytest.fixture(scope="module")
def module_world(app: Flask) -> Iterator[dict[str, tuple[type, int]]]:
    """One world for a whole module (its tests only add to it): built once in a transaction that
    each test's own one nests in and that is rolled back after the module. A module opts in by
    defining `world` as `shared_world`."""
    from tests.factories import build_world

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        routed = OneConnection(app, connection)
        try:
            world = build_world()
            ids = {
                name: (type(value), value.id)
                for name, value in vars(world).items()
                if hasattr(value, "id")
            }
        finally:
            routed.close()
    MODULE_CONNECTION[app] = connection
    try:
        yield ids
    finally:
        del MODULE_CONNECTION[app]
        transaction.rollback()
        connection.close()


@pytest.fixture
def shared_world(module_world, ctx, request):
    """The module's world, loaded into this test's session."""
    from tests.factories import World

    if commits(request.node):
        pytest.fail("a test that commits cannot share its module's world", pytrace=False)
    return World(**{name: db.session.get(cls, id_) for name, (cls, id_) in module_world.items()})


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
