"""Delivery with the real parts: a Celery worker per process, Redis, PostgreSQL, aiosmtpd.

These tests start their own redis-server (so they can stop and restart it) and Celery worker
processes; under CI a missing redis-server fails the run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL, free_port, missing
from tests.factories import make_meeting
from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.scheduler import deliver_pending, run_sweep

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


pytestmark = [pytest.mark.postgres_only, pytest.mark.commits]  # a worker process reads
# The workers' connections are named, so a test can drop exactly those.
WORKER_DB_URL = PG_URL + ("&" if "?" in PG_URL else "?") + "application_name=tracker-worker"


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(50):
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def redis_server():
    if not shutil.which("redis-server"):
        missing("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def running_redis(redis_server):
    if redis_server.process is None:
        redis_server.start()
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server


@pytest.fixture
def celery_setup(app, running_redis, mailbox, smtp_sink):
    """Point this process's Celery at the private Redis; start workers on demand."""
    redis_server = running_redis
    celery = app.extensions["celery"]
    celery.conf.broker_url = redis_server.url
    # Celery's producer pools keep the broker they first connected to (an earlier module's
    # private Redis): drop them so this test publishes to its own.
    celery._pool = None
    celery.amqp._producer_pool = None
    app.config.update(
        REDIS_URL=redis_server.url,
        MAIL_TIMEOUT=2,
        TRACKER_SENDING_TIMEOUT=6,
        TRACKER_RETRY_SECONDS=1,
        TRACKER_DELIVER_INLINE=False,
    )
    _sink, port = smtp_sink
    workers: list[subprocess.Popen] = []

    def start_worker(name: str) -> subprocess.Popen:
        env = dict(
            os.environ,
            # Named, so a test can drop exactly the workers' connections.
            DATABASE_URL=WORKER_DB_URL,
            REDIS_URL=redis_server.url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(port),
            MAIL_TIMEOUT="2",
            TRACKER_SENDING_TIMEOUT="6",
            TRACKER_RETRY_SECONDS="1",
            SECRET_KEY="celery-test-secret",
            TRACKER_ENV="development",
        )
        process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "wsgi:celery",
                "worker",
                "--pool=solo",
                "-n",
                f"{name}@localhost",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers.append(process)
        return process

    yield start_worker
    # The test has seen what it needs: a warm shutdown would only wait for letters in flight.
    for process in workers:
        if process.poll() is None:
            process.kill()
    for process in workers:
        process.wait(timeout=15)
    app.config.update(
        REDIS_URL=None,
        TRACKER_SENDING_TIMEOUT=300,
        TRACKER_RETRY_SECONDS=30,
        TRACKER_DELIVER_INLINE=True,
    )


def wait_until(condition, timeout: float = 60.0, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out: {message}")


def states() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
    ).all()
    return dict(rows)


def queue_letters(world, n: int) -> list[int]:
    from tracker.notify.services import queue_mail

    ids = []
    for i in range(n):
        row = queue_mail(
            db.session,
            recipient=world.director,
            kind="test",
            key=f"test:{i}",
            template="password_reset",
            context={"link": f"http://x/{i}"},
        )
        ids.append(row.id)
    db.session.commit()
    return ids


def test_four_workers_two_schedulers_each_message_once(app, world, celery_setup, mailbox):
    for n in range(4):
        celery_setup(f"w{n}")
    from tests.factories import make_org, make_user

    schools = []
    for n in range(30):
        school = make_org("school", f"МОУ «Школа № {100 + n}»", world.dept)
        make_user(f"dir.{100 + n}@test.ru", school, "director", f"Директор Школы {100 + n}")
        schools.append(school)
    db.session.commit()
    make_meeting(world, schools=schools, deadline="в срок до 27.02.2023")  # 30 «new» letters
    moment = clock.as_utc(__import__("datetime").datetime(2023, 2, 27, 9, 30), "Europe/Moscow")
    clock.freeze(moment)

    def scheduler() -> None:
        for _ in range(3):
            run_sweep(app, moment)
            deliver_pending(app)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(
        lambda: states().get("sent", 0) == 60 and len(states()) == 1,
        90,
        f"all 60 letters sent, got {states()}",
    )
    received = mailbox.by_key()
    assert len(received) == 60
    assert all(len(copies) == 1 for copies in received.values())


def test_worker_killed_in_the_middle_of_a_send(app, world, celery_setup, mailbox):
    victim = celery_setup("victim")
    mailbox.script.append(("hang_rcpt", 30))
    (row_id,) = queue_letters(world, 1)
    wait_until(lambda: states().get("sending") == 1, 30, "the worker took the letter")
    # Kill only once the worker is inside the SMTP dialogue, not between claim and connect.
    wait_until(mailbox.stuck.is_set, 30, "the worker is in the middle of the send")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    celery_setup("rescuer")
    time.sleep(6.5)  # TRACKER_SENDING_TIMEOUT: the row is now taken as lost
    deliver_pending(app)
    wait_until(lambda: states() == {"sent": 1}, 60, f"redelivered, got {states()}")
    copies = mailbox.by_key()["test:0"]
    assert len(copies) == 1
    db.session.rollback()
    assert db.session.get(OutboxMessage, row_id).attempts == 2


def test_451_then_550_fails_and_a_hang_times_out_then_recovers(app, world, celery_setup, mailbox):
    celery_setup("w")
    mailbox.script.extend(["451", "550"])
    (first,) = queue_letters(world, 1)
    wait_until(
        lambda: (
            db.session.get(OutboxMessage, first).state == "failed"
            if not db.session.rollback()
            else False
        ),
        60,
        "451 retried, then 550 failed",
    )
    row = db.session.get(OutboxMessage, first)
    assert row.attempts == 2 and row.last_error.startswith("550")
    mailbox.script.append(("hang", 6))  # longer than MAIL_TIMEOUT=2
    from tracker.notify.services import queue_mail

    second = queue_mail(
        db.session,
        recipient=world.staff,
        kind="test",
        key="test:hang",
        template="password_reset",
        context={"link": "http://x/h"},
    ).id
    db.session.commit()
    wait_until(
        lambda: (
            db.session.get(OutboxMessage, second).state == "sent"
            if not db.session.rollback()
            else False
        ),
        60,
        "timed out, retried, sent",
    )
    row = db.session.get(OutboxMessage, second)
    assert row.attempts == 2
    assert [str(m["X-Tracker-Key"]) for m in mailbox.messages] == ["test:hang"]


def test_redis_down_during_a_sweep_loses_nothing(app, world, celery_setup, redis_server, mailbox):
    celery_setup("w")
    redis_server.stop()
    ids = queue_letters(world, 5)  # committed; handing them to Celery fails quietly
    assert states() == {"pending": 5}
    redis_server.start()
    # Nothing was queued, so nothing is leased: the scheduler's next run hands them over.
    assert deliver_pending(app) == 5
    wait_until(lambda: states() == {"sent": 5}, 90, f"all sent after restart, got {states()}")
    assert sorted(mailbox.by_key()) == sorted(f"test:{i}" for i in range(5))
    assert len(ids) == 5


def test_connections_dropped_during_delivery_send_each_letter_once(
    app, world, celery_setup, mailbox
):
    """Defect 2: PostgreSQL drops the workers' connections while they talk to the server."""
    from sqlalchemy.pool import NullPool

    from config.settings import normalize_db_url

    for n in range(2):
        celery_setup(f"w{n}")
    killer = sa.create_engine(normalize_db_url(PG_URL), poolclass=NullPool)
    dropped = []

    async def drop_connections(sink, session, envelope):
        with killer.begin() as conn:
            dropped.extend(
                conn.scalars(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'tracker-worker'"
                    )
                )
            )
        return None  # and then «250» as usual

    mailbox.hooks["DATA"] = drop_connections
    queue_letters(world, 6)
    # The scheduler runs meanwhile and rescues whatever stays «sending» too long.
    give_up = time.monotonic() + 60
    while states() != {"sent": 6} and time.monotonic() < give_up:
        deliver_pending(app)
        time.sleep(1)
    time.sleep(7)  # past TRACKER_SENDING_TIMEOUT: a lost «sent» would be sent again by now
    deliver_pending(app)
    time.sleep(2)
    killer.dispose()
    assert states() == {"sent": 6}
    assert len(dropped) >= 6
    received = mailbox.by_key()
    assert sorted(received) == sorted(f"test:{i}" for i in range(6))
    assert all(len(copies) == 1 for copies in received.values())


def test_three_refusals_at_once_all_count(app, world, celery_setup, mailbox):
    """Defect 7: three 550s seen by three workers at the same moment mark the address."""
    import asyncio

    from tracker.core.tenancy import User

    for n in range(3):
        celery_setup(f"w{n}")
    control = app.extensions["celery"].control
    wait_until(lambda: len(control.ping(timeout=0.5)) >= 3, 90, "three workers listening")
    arrived = []

    async def refuse_together(sink, session, envelope):
        arrived.append(session)
        for _ in range(30):  # hold each until all three are in the middle of a send (< 2 s)
            if len(arrived) >= 3:
                break
            await asyncio.sleep(0.05)
        return "550 5.1.1 Mailbox unavailable"

    mailbox.hooks["DATA"] = refuse_together
    queue_letters(world, 3)
    wait_until(lambda: states() == {"failed": 3}, 60, f"three refusals, got {states()}")
    assert len(arrived) >= 3
    director = db.session.get(User, world.director.id)
    assert director.bounce_count == 3
    assert director.email_undeliverable_at is not None


def test_a_slow_server_never_has_two_conversations_about_one_letter(
    app, world, celery_setup, mailbox
):
    """Defect 6: every step answers within MAIL_TIMEOUT (2 s), but the conversation would
    outlast TRACKER_SENDING_TIMEOUT (6 s); the sender stops before the rescue may start."""
    import asyncio

    for n in range(2):
        celery_setup(f"w{n}")
    slow: dict = {}

    async def slow_first(sink, session, envelope):
        slow.setdefault("session", session)
        if slow["session"] is session:
            await asyncio.sleep(1.9)
        return None

    for command in ("EHLO", "MAIL", "RCPT", "DATA"):
        mailbox.hooks[command] = slow_first
    (row_id,) = queue_letters(world, 1)
    give_up = time.monotonic() + 40
    while states() != {"sent": 1} and time.monotonic() < give_up:
        deliver_pending(app)  # the scheduler's rescue, as often as it can come
        time.sleep(0.5)
    time.sleep(3)
    assert states() == {"sent": 1}
    assert len(mailbox.by_key()["test:0"]) == 1
    row = db.session.get(OutboxMessage, row_id)
    assert row.attempts == 2 and "TRACKER_SENDING_TIMEOUT" not in (row.last_error or "")


def test_a_worker_killed_between_250_and_commit_sends_again_with_the_same_message_id(
    app, world, celery_setup, mailbox
):
    """Defect 8, what stays at-least-once: the server took the letter, the worker died before
    it could write «sent». The rescue sends it again, with the same Message-ID (mail programs
    show one letter)."""
    import asyncio

    victim = celery_setup("victim")
    held: list = []

    async def accept_then_hold(sink, session, envelope):
        if held:
            return None
        held.append(session)
        sink.keep(envelope)  # the server has the letter now...
        sink.stuck.set()
        await asyncio.sleep(20)  # ...and its «250» is slow: the worker dies waiting for it
        return "250 OK"

    mailbox.hooks["DATA"] = accept_then_hold
    (row_id,) = queue_letters(world, 1)
    wait_until(mailbox.stuck.is_set, 30, "the server holds the letter")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    celery_setup("rescuer")
    time.sleep(6.5)  # TRACKER_SENDING_TIMEOUT
    deliver_pending(app)
    wait_until(lambda: states() == {"sent": 1}, 60, f"sent again, got {states()}")
    copies = mailbox.by_key()["test:0"]
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert db.session.get(OutboxMessage, row_id).attempts == 2


def test_the_sweep_hands_each_row_over_once_and_says_what_it_handed(
    app, world, celery_setup, redis_server
):
    """Defects 4 and 9: `flask reminders sweep` queues one task per row, and with the broker
    down it says that nothing was handed over; the rows wait, not leased."""
    import redis

    from tests.factories import make_org, make_user

    schools = []
    for n in range(12):
        school = make_org("school", f"МОУ «Школа № {200 + n}»", world.dept)
        make_user(f"dir.{200 + n}@test.ru", school, "director", f"Директор Школы {200 + n}")
        schools.append(school)
    db.session.commit()
    make_meeting(world, schools=schools, deadline="в срок до 27.02.2023")
    db.session.info.pop("outbox_new", None)
    db.session.commit()
    broker = redis.Redis.from_url(redis_server.url)
    broker.flushdb()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "sweep", "--at", "2023-02-20T09:30"])
    assert result.exit_code == 0, result.output
    written = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind.startswith("reminder"))
    )
    assert written == 12
    assert broker.llen("celery") == 12  # one task per row, not two
    assert "передано в очередь Celery: 12;" in result.output

    redis_server.stop()
    result = runner.invoke(args=["reminders", "sweep", "--at", "2023-02-27T09:30"])
    assert result.exit_code == 0, result.output
    assert "передано в очередь Celery: 0;" in result.output
    db.session.rollback()
    waiting = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.occurrence.like("due-day:%"))
    ).all()
    assert len(waiting) == 12 and all(r.dispatched_at is None for r in waiting)


def test_a_backlog_is_handed_over_in_one_run_and_a_lost_queue_after_the_requeue_time(
    app, world, celery_setup, redis_server, mailbox
):
    """Defect 5: 600 letters (more than one batch) go to the broker in one run; Redis restarted
    empty loses the queue, and the rows are handed again after TRACKER_REQUEUE_SECONDS, not
    before."""
    from datetime import UTC, datetime

    import redis

    rows = [
        {
            "key": f"backlog:{i}",
            "kind": "test",
            "recipient_id": world.director.id,
            "recipient_email": world.director.email,
            "subject": "Письмо из очереди",
            "body_text": "Текст.\n",
            "state": "pending",
            "attempts": 0,
            "created_at": datetime.now(UTC),
            "send_after": datetime.now(UTC),
        }
        for i in range(600)
    ]
    db.session.execute(sa.insert(OutboxMessage), rows)
    db.session.commit()
    broker = redis.Redis.from_url(redis_server.url)
    assert deliver_pending(app) == 600
    assert broker.llen("celery") == 600
    assert deliver_pending(app) == 0  # leased: not handed twice

    redis_server.stop()
    redis_server.start()  # empty: the 600 tasks are gone
    assert deliver_pending(app) == 0
    clock.freeze(clock.now() + __import__("datetime").timedelta(seconds=601))
    assert deliver_pending(app) == 600
    clock.freeze(None)
    for n in range(4):
        celery_setup(f"w{n}")
    wait_until(lambda: states() == {"sent": 600}, 240, f"all sent, got {states()}")
    received = mailbox.by_key()
    assert len(received) == 600 and all(len(c) == 1 for c in received.values())
