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


pytestmark = pytest.mark.postgres_only


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
            DATABASE_URL=PG_URL,
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
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
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
    clock.freeze(clock.now() + __import__("datetime").timedelta(minutes=11))
    deliver_pending(app)  # the scheduler's next run hands them over again
    clock.freeze(None)
    wait_until(lambda: states() == {"sent": 5}, 90, f"all sent after restart, got {states()}")
    assert sorted(mailbox.by_key()) == sorted(f"test:{i}" for i in range(5))
    assert len(ids) == 5
