"""Reminders at scale: one sweep over 1,000,000 assignments on PostgreSQL, and Celery delivery
throughput to a local aiosmtpd server.

Run: `make bench-reminders` (or `cd bench && python reminders.py`). Needs PostgreSQL and
redis-server on this machine. While iterating: BENCH_DECISIONS=1000 (× 100 schools) builds a
smaller region, BENCH_REUSE=1 sweeps the region built by the last run again (its outbox and
sweep records emptied), BENCH_DELIVERY=0 skips the Celery delivery."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from common import ROOT, database_url, free_port, fresh_database, make_app, write_json

SCHOOLS = 1000
# × 100 schools of their department = 1,000,000 assignments
DECISIONS = int(os.environ.get("BENCH_DECISIONS", 10_000))
LETTERS = 2000


def build(app) -> None:
    from tracker.auth.services import hasher
    from tracker.extensions import db

    started = time.perf_counter()
    password = hasher.hash("bench-password-1")
    statements = [
        "INSERT INTO organizations (kind, short_name, full_name, path, timezone, aliases,"
        " created_at, updated_at) VALUES ('region', 'Область', 'Область', '/1/', 'Europe/Moscow',"
        " '[]', now(), now())",
        "INSERT INTO organizations (parent_id, kind, short_name, full_name, path, timezone,"
        " aliases, created_at, updated_at) SELECT 1, 'department', 'Управление ' || g,"
        " 'Управление ' || g, '', 'Europe/Moscow', '[]', now(), now()"
        " FROM generate_series(1, 10) g",
        "UPDATE organizations SET path = '/1/' || id || '/' WHERE kind = 'department'",
        f"INSERT INTO organizations (parent_id, kind, short_name, full_name, path, timezone,"
        f" aliases, created_at, updated_at) SELECT d.id, 'school', 'Школа № ' || g || ' (' || d.id"
        f" || ')', 'Школа № ' || g, '', (ARRAY['Europe/Kaliningrad','Europe/Moscow',"
        f"'Asia/Yekaterinburg','Asia/Vladivostok','Asia/Kamchatka'])[1 + g % 5], '[]', now(), now()"
        f" FROM organizations d, generate_series(1, {SCHOOLS // 10}) g WHERE d.kind = 'department'",
        "UPDATE organizations o SET path = p.path || o.id || '/' FROM organizations p"
        " WHERE o.parent_id = p.id AND o.kind = 'school'",
        "INSERT INTO users (email, full_name, password_hash, active, session_version,"
        " bounce_count, created_at, updated_at) SELECT 'director' || id || '@bench.test',"
        f" 'Директор ' || id, '{password}', true, 1, 0, now(), now()"
        " FROM organizations WHERE kind = 'school'",
        "INSERT INTO memberships (user_id, organization_id, role) SELECT u.id, o.id, 'director'"
        " FROM users u JOIN organizations o ON u.email = 'director' || o.id || '@bench.test'",
        "INSERT INTO meetings (organization_id, kind, held_on, title, created_at, updated_at)"
        " SELECT id, 'protocol', current_date - 400, 'совещание', now(), now()"
        " FROM organizations WHERE kind = 'department'",
        f"INSERT INTO decisions (meeting_id, organization_id, position, number, text,"
        f" deadline_text, deadline_kind, due_date, needs_report, created_at, updated_at)"
        f" SELECT m.id, m.organization_id, g, g::text, 'Представить отчёт ' || g, 'до даты',"
        f" 'date',"
        f" current_date - 400 + (g * 7919) % 800, true, now(), now()"
        f" FROM meetings m, generate_series(1, {DECISIONS // 10}) g",
        "INSERT INTO assignments (decision_id, organization_id, executor_role, status, due_date,"
        " original_due_date, extension_count, on_time, created_at, updated_at)"
        " SELECT d.id, s.id, 'lead',"
        " CASE WHEN d.due_date < current_date - 30 AND (s.id + d.id) % 10 <> 0 THEN 'done'"
        " WHEN (s.id + d.id) % 7 = 0 THEN 'reported' ELSE 'assigned' END,"
        " d.due_date, d.due_date, 0, NULL, now(), now()"
        " FROM decisions d JOIN organizations s ON s.parent_id = d.organization_id",
        "ANALYZE",
    ]
    with app.app_context():
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()
        total = db.session.scalar(sa.text("SELECT count(*) FROM assignments"))
        open_ = db.session.scalar(
            sa.text("SELECT count(*) FROM assignments WHERE status <> 'done'")
        )
    print(
        f"built {total:,} assignments ({open_:,} not done) in {time.perf_counter() - started:.0f} s"
    )


def bench_sweep(app) -> dict:
    from tracker.core import clock
    from tracker.extensions import db
    from tracker.notify.reminders import sweep

    moment = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    figures = {}
    with app.app_context():
        for label in ("first sweep", "second sweep (nothing new)"):
            started = time.perf_counter()
            with clock.frozen(moment):
                result = sweep(db.session, moment)
                db.session.info.pop("outbox_new", None)  # measure deciding, not delivering
                db.session.commit()
                db.session.remove()  # a fresh session per run, as the scheduler has
            seconds = time.perf_counter() - started
            print(
                f"{label}: {seconds:.1f} s, {result.queued:,} reminders and "
                f"{result.digests:,} digests written"
            )
            figures[label] = {
                "seconds": round(seconds, 3),
                "reminders": result.queued,
                "digests": result.digests,
            }
    return figures


def bench_delivery(database_url: str) -> dict:
    """LETTERS outbox rows, two Celery workers (prefork, 2 processes each), local aiosmtpd."""
    from aiosmtpd.controller import Controller

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.received += 1
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Counter(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_SUPPRESS_SEND="false",
    )
    os.environ.update(REDIS_URL=redis_url, MAIL_SUPPRESS_SEND="false")
    workers = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "wsgi:celery",
                "worker",
                "--concurrency=2",
                "-n",
                f"bench{i}@localhost",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        from tracker import create_app
        from tracker.extensions import db
        from tracker.notify.models import OutboxMessage

        app = create_app()
        time.sleep(3)  # workers ready
        with app.app_context():
            db.session.execute(sa.text("DELETE FROM outbox"))
            db.session.commit()
            user_id, email = db.session.execute(
                sa.text("SELECT id, email FROM users LIMIT 1")
            ).one()
            rows = [
                {
                    "key": f"bench:{i}",
                    "kind": "bench",
                    "recipient_id": user_id,
                    "recipient_email": email,
                    "subject": "Напоминание о сроке поручения",
                    "body_text": "Срок поручения: 27.02.2023.\n" * 20,
                    "state": "pending",
                    "attempts": 0,
                    "created_at": datetime.now(UTC),
                    "send_after": datetime.now(UTC),
                }
                for i in range(LETTERS)
            ]
            started = time.perf_counter()
            db.session.execute(sa.insert(OutboxMessage), rows)
            ids = list(db.session.scalars(sa.select(OutboxMessage.id)))
            db.session.commit()
            from tracker.notify.delivery import deliver_soon

            deliver_soon(app, ids)
            while Counter.received < LETTERS and time.perf_counter() - started < 600:
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            sent = db.session.scalar(
                sa.select(sa.func.count()).where(OutboxMessage.state == "sent")
            )
        print(
            f"Celery delivery: {Counter.received:,} letters in {seconds:.1f} s = "
            f"{Counter.received / seconds:.0f} letters/s (2 workers × 2 processes); "
            f"{sent:,} rows marked sent"
        )
        return {
            "Celery delivery": {
                "seconds": round(seconds, 3),
                "letters": Counter.received,
                "letters_per_second": round(Counter.received / seconds, 1),
            }
        }
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        redis.terminate()
        controller.stop()


def main() -> None:
    if os.environ.get("BENCH_REUSE") == "1":
        url = database_url("tracker_bench_reminders")
        app = make_app(url)
        with app.app_context():
            from tracker.extensions import db

            db.session.execute(sa.text("TRUNCATE outbox, reminder_sweeps"))
            db.session.commit()
    else:
        url = fresh_database("tracker_bench_reminders")
        app = make_app(url)
        build(app)
    figures = bench_sweep(app)
    if os.environ.get("BENCH_DELIVERY") != "0":
        figures.update(bench_delivery(url))
    write_json("Reminders: sweep over 1,000,000 assignments, Celery delivery", figures)


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    sys.exit(main())
