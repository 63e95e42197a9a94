"""Delivery under faults: 10,000 letters through 4 Celery workers into a local aiosmtpd server,
while every few seconds a worker is killed with SIGKILL (and started again) or the workers'
PostgreSQL connections are terminated, and Redis is restarted empty once. This process plays the
scheduler (`deliver_pending` every two seconds). Prints delivered, duplicates, lost and letters
per second.

Run: `make bench-soak` (or `cd bench && python soak.py`). Needs PostgreSQL and redis-server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from common import ROOT, free_port, fresh_database, make_app, write_json

LETTERS = int(os.environ.get("SOAK_LETTERS", "10000"))
WORKERS = 4
CHAOS_EVERY = float(os.environ.get("SOAK_CHAOS_EVERY", "3"))  # seconds between two faults
GIVE_UP = int(os.environ.get("SOAK_GIVE_UP", "1800"))  # seconds


class Sink:
    """The SMTP server: counts every copy of every letter (by X-Tracker-Key and Message-ID)."""

    def __init__(self) -> None:
        self.copies: Counter[str] = Counter()
        self.message_ids: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import email

        message = email.message_from_bytes(envelope.content)
        key = str(message["X-Tracker-Key"])
        with self.lock:
            self.copies[key] += 1
            self.message_ids.setdefault(key, set()).add(str(message["Message-ID"]))
        return "250 OK"


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def main() -> None:
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed")
    from aiosmtpd.controller import Controller

    url = fresh_database("tracker_bench_soak")
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis = Redis()
    redis.start()
    settings = {
        "REDIS_URL": redis.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_SUPPRESS_SEND": "false",
        "MAIL_TIMEOUT": "2",
        "TRACKER_SENDING_TIMEOUT": "10",
        "TRACKER_RETRY_SECONDS": "1",
        # Longer than the workers need to drain a full batch: a shorter lease hands rows that
        # are still queued once more (harmless, the claim makes the extra task a no-op, but
        # the queue fills with them).
        "TRACKER_REQUEUE_SECONDS": os.environ.get("SOAK_REQUEUE_SECONDS", "60"),
        "SECRET_KEY": "soak-bench-secret-key-soak-bench-secret-key",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(settings)
    app = make_app(url)
    worker_env = dict(os.environ, DATABASE_URL=url + "?application_name=soak-worker")
    workers: dict[int, subprocess.Popen] = {}
    born: dict[int, float] = {}

    def start_worker(n: int) -> None:
        born[n] = time.monotonic()
        workers[n] = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "wsgi:celery", "worker",
             "--pool=solo", "-n", f"soak{n}.{time.monotonic_ns()}@localhost",
             "--loglevel=ERROR", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    from tracker.core.tenancy import User
    from tracker.extensions import db
    from tracker.notify.models import OutboxMessage
    from tracker.notify.scheduler import deliver_pending, still_waiting

    with app.app_context():
        user = User(email="director@soak.test", full_name="Директор Школы", active=True)
        user.password_hash = "-"
        db.session.add(user)
        db.session.commit()
        now = datetime.now(UTC)
        db.session.execute(
            sa.insert(OutboxMessage),
            [
                {
                    "key": f"soak:{i}",
                    "kind": "soak",
                    "recipient_id": user.id,
                    "recipient_email": user.email,
                    "subject": "Напоминание о сроке поручения",
                    "body_text": "Срок поручения: 27.02.2023.\n" * 20,
                    "state": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "send_after": now,
                }
                for i in range(LETTERS)
            ],
        )
        db.session.commit()

    for n in range(WORKERS):
        start_worker(n)
    killer = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    faults: Counter[str] = Counter()
    stop = threading.Event()
    started = time.perf_counter()

    def chaos() -> None:
        redis_restarted = False
        while not stop.wait(CHAOS_EVERY):
            if not redis_restarted and len(sink.copies) > LETTERS * 0.3:
                redis.stop()
                time.sleep(2)
                redis.start()
                redis_restarted = True
                faults["redis restarted empty"] += 1
            elif faults["worker killed"] <= faults["connections dropped"]:
                n = min(born, key=born.get)  # the longest up: the likeliest to be sending
                workers[n].send_signal(signal.SIGKILL)
                workers[n].wait()
                start_worker(n)
                faults["worker killed"] += 1
            else:
                with killer.begin() as conn:
                    dropped = conn.scalars(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'soak-worker'"
                        )
                    ).all()
                faults["connections dropped"] += 1
                faults["connections terminated"] += len(dropped)

    chaos_thread = threading.Thread(target=chaos, daemon=True)
    chaos_thread.start()
    try:
        while time.perf_counter() - started < GIVE_UP:
            try:
                deliver_pending(app)  # the scheduler's job
                if still_waiting(app) == 0:
                    break
            except Exception as error:  # the database or broker is away for a moment
                print(f"scheduler run failed: {error.__class__.__name__}")
            time.sleep(2)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        chaos_thread.join(timeout=30)
        for process in workers.values():
            process.terminate()
        for process in workers.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        controller.stop()
        killer.dispose()

    with app.app_context():
        states = dict(
            db.session.execute(
                sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
            ).all()
        )
    with app.app_context():
        finished = set(
            db.session.scalars(
                sa.select(OutboxMessage.key).where(OutboxMessage.state.in_(("sent", "failed")))
            )
        )
    delivered = sum(1 for i in range(LETTERS) if sink.copies[f"soak:{i}"] > 0)
    duplicates = sum(copies - 1 for copies in sink.copies.values() if copies > 1)
    # Lost: the outbox says done (sent or failed), the server never got it. Rows still
    # pending when the time ran out are counted apart (unfinished), not as lost.
    lost = sum(1 for key in finished if sink.copies[key] == 0)
    unfinished = LETTERS - len(finished)
    message_ids_per_letter = max((len(ids) for ids in sink.message_ids.values()), default=0)
    figures = {
        "letters": LETTERS,
        "workers": WORKERS,
        "delivered": delivered,
        "duplicates": duplicates,
        "lost": lost,
        "unfinished": unfinished,
        "seconds": round(seconds, 1),
        "letters_per_second": round(delivered / seconds, 1),
        "outbox_states": states,
        "faults": dict(faults),
        "message_ids_per_letter": message_ids_per_letter,
    }
    print(
        f"delivered {delivered:,} of {LETTERS:,}, duplicates {duplicates}, lost {lost}, "
        f"unfinished {unfinished}; "
        f"{seconds:.0f} s = {delivered / seconds:.1f} letters/s with {WORKERS} workers\n"
        f"faults: {dict(faults)}; outbox: {states}; "
        f"Message-IDs per letter: {message_ids_per_letter}"
    )
    write_json("Soak: 10,000 letters, 4 workers, kill -9 and dropped connections", figures)


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    sys.exit(main())
