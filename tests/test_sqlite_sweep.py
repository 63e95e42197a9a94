"""The embedded default sends mail: `flask reminders sweep` on SQLite, as `make run` sets it up
(`flask db upgrade`, `flask demo load`), swept from 17.02 to 10.03.2023 into a real SMTP server
(aiosmtpd). Each letter arrives once, nothing is left «sending», nobody sees «database is locked»,
even with two sweeps at once (the scheduler and an administrator's command)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_demo_swept_on_sqlite_from_17_february_to_10_march(tmp_path, smtp_sink):
    sink, port = smtp_sink
    sink.clear()
    database = tmp_path / "tracker.sqlite"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "TRACKER_", "REDIS_", "DATABASE_"))
    } | {
        "FLASK_APP": "wsgi.py",
        "TRACKER_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_TIMEOUT": "5",
        "TRACKER_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    for step in (("db", "upgrade"), ("demo", "load", "--quiet")):
        done = flask(env, *step)
        assert done.returncode == 0, done.stderr
    day = date(2023, 2, 17)
    outputs, alone = [], []
    holidays = {date(2023, 2, 23), date(2023, 2, 24), date(2023, 3, 8)}
    while day <= date(2023, 3, 10):
        if day.weekday() >= 5 or day in holidays:
            day += timedelta(days=1)
            continue  # a sweep on a day off writes nothing (its reminders move to the next day)
        moment = f"{day.isoformat()}T09:30"
        if day in (date(2023, 2, 20), date(2023, 2, 27)):
            # Two sweeps at once, on the busiest days: both write and send on one SQLite file.
            both = [
                subprocess.Popen(
                    [FLASK, "reminders", "sweep", "--at", moment],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            for process in both:
                out, err = process.communicate(timeout=300)
                assert process.returncode == 0, err
                outputs.append(out + err)
        else:
            done = flask(env, "reminders", "sweep", "--at", moment)
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout + done.stderr)
            alone.append(done.stdout)
        day += timedelta(days=1)
    assert not any("locked" in output for output in outputs)
    # A sweep alone returns once its own letters are sent (the two at once share the work).
    assert all("не отправлено (ждут очереди или повтора): 0." in output for output in alone)

    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        states = dict(
            conn.execute(sa.text("SELECT state, count(*) FROM outbox GROUP BY state")).all()
        )
        sent = set(conn.scalars(sa.text("SELECT key FROM outbox WHERE state = 'sent'")))
        swept = conn.scalar(sa.text("SELECT count(DISTINCT day) FROM reminder_sweeps"))
    engine.dispose()
    assert set(states) <= {"sent", "cancelled"}, states
    received = sink.by_key()
    assert set(received) == sent
    assert all(len(copies) == 1 for copies in received.values())
    reminders = [key for key in received if key.startswith("assignment:")]
    assert len(reminders) > 50
    assert swept == 13  # the working days from 17.02 to 10.03.2023 (23 and 24.02, 8.03 off)
