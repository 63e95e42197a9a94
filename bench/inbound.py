"""Reports by mail at a department's scale: 300 schools answer their reminder at once, each
with a 100 KB file, into `flask mail inbound` on PostgreSQL; then the same 300 letters again.

Run: `make bench-inbound` (or `cd bench && python inbound.py`). Needs PostgreSQL."""

from __future__ import annotations

import email.policy
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from common import ROOT, free_port, fresh_database, make_app, municipality, write_json

from tracker.core.tenancy import system_actor

SCHOOLS = 300
CLIENTS = 4  # sending servers delivering at the same time
DOMAIN = "otvet.bench.test"
SECRET = "bench-inbound-secret-key-of-32-characters"
PDF = b"%PDF-1.4\n" + os.urandom(100 * 1024)
QUOTE = "\n".join(f"> строка напоминания {n}" for n in range(30))


def build(app) -> list[tuple[int, int, str]]:
    """(assignment id, director id, director e-mail) for one decision sent to every school."""
    from tracker.extensions import db
    from tracker.meetings import services as meetings
    from tracker.notify.events import muted
    from tracker.orgs import services as orgs

    with app.app_context(), muted():
        now = datetime.now(UTC)
        dept, schools = municipality(db.session, SCHOOLS, now)
        staff = orgs.create_user(
            db.session,
            email="staff@bench.test",
            full_name="Специалист",
            actor=system_actor(db.session),
        )
        orgs.grant_role(db.session, staff, dept, "staff", actor=system_actor(db.session))
        directors = {}
        for school in schools:
            user = orgs.create_user(
                db.session,
                email=f"director{school.id}@bench.test",
                full_name=f"Д {school.id}",
                actor=system_actor(db.session),
            )
            orgs.grant_role(db.session, user, school, "director", actor=system_actor(db.session))
            directors[school.id] = user
        meeting = meetings.create_meeting(
            db.session,
            organization=dept,
            held_on=date.today(),
            number="1",
            title="совещание руководителей",
            actor=staff,
        )
        decision = meetings.add_decision(
            db.session,
            meeting,
            number="2",
            deadline_text=f"в срок до {date.today() + timedelta(days=30):%d.%m.%Y}",
            text="Разработать антирисковую программу",
            actor=system_actor(db.session),
        )
        decision.controller_id = staff.id
        created = meetings.fan_out(db.session, decision, schools, actor=system_actor(db.session))
        db.session.commit()
        return [
            (a.id, directors[a.organization_id].id, directors[a.organization_id].email)
            for a in created
        ]


def letters(app, people: list[tuple[int, int, str]]) -> list[bytes]:
    from tracker.notify.replies import ReplyToken

    result = []
    with app.app_context():
        for n, (assignment_id, user_id, address) in enumerate(people):
            token = ReplyToken(assignment_id, user_id, date.today() + timedelta(days=90)).text
            message = EmailMessage()
            message["From"] = address
            message["To"] = f"reply+{token}@{DOMAIN}"
            message["Subject"] = "Re: Через 7 дней срок поручения: п. 2"
            message["Message-ID"] = f"<bench-{n}@school.bench.test>"
            message.set_content(
                "Программа утверждена приказом № 47, размещена на сайте.\n\n"
                f"С уважением,\nдиректор\n\n20.02.2023 9:30, Контроль поручений пишет:\n{QUOTE}\n"
            )
            message.add_attachment(
                PDF, maintype="application", subtype="pdf", filename=f"Приказ {n}.pdf"
            )
            result.append(message.as_bytes(policy=email.policy.SMTP))
    return result


def send_all(port: int, raw: list[bytes]) -> tuple[float, list[float]]:
    """Wall time and per-letter times, CLIENTS connections in parallel."""
    times: list[float] = []
    lock = threading.Lock()

    def client(part: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            for data in part:
                started = time.perf_counter()
                smtp.sendmail("director@bench.test", [f"reply@{DOMAIN}"], data)
                with lock:
                    times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(raw[i::CLIENTS],)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, times


def main() -> None:
    url = fresh_database("bench_inbound")
    os.environ["SECRET_KEY"] = SECRET
    app = make_app(url)
    people = build(app)
    raw = letters(app, people)
    uploads = tempfile.mkdtemp(prefix="bench-inbound-")
    port = free_port()
    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        TRACKER_INBOUND_DOMAIN=DOMAIN,
        TRACKER_UPLOAD_DIR=uploads,
        MAIL_SUPPRESS_SEND="true",
        TRACKER_DELIVER_INLINE="true",
        REDIS_URL="",
    )
    flask = str(Path(sys.executable).parent / "flask")
    server = subprocess.Popen([flask, "mail", "inbound", "--port", str(port)], cwd=ROOT, env=env)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        first, first_times = send_all(port, raw)
        again, again_times = send_all(port, raw)
    finally:
        server.terminate()
        server.wait(timeout=30)

    import sqlalchemy as sa

    from tracker.assignments.models import ExecutionReport
    from tracker.extensions import db

    with app.app_context():
        filed = db.session.scalar(sa.select(sa.func.count(ExecutionReport.id)))
    size = len(raw[0]) / 1024
    title = f"{SCHOOLS} replies of {size:.0f} KB each, {CLIENTS} sending connections, PostgreSQL"
    print(f"\n{title}")
    figures = {}
    for name, wall, times in (
        ("first delivery (filed)", first, first_times),
        ("same letters again (duplicates)", again, again_times),
    ):
        ordered = sorted(times)
        p95 = ordered[int(len(ordered) * 0.95)]
        print(
            f"{name:34} {len(times) / wall:7.1f} letters/s   median "
            f"{statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"
        )
        figures[name] = {
            "letters_per_second": round(len(times) / wall, 1),
            "median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(p95 * 1000, 2),
        }
    print(f"reports filed: {filed} (expected {SCHOOLS})")
    figures["reports filed"] = {"count": filed, "expected": SCHOOLS}
    write_json(title, figures)


if __name__ == "__main__":
    main()
