"""Confirming an imported protocol on PostgreSQL: the demo directory's department, a protocol of
about 230 assignments read by the reader, then protocols.services.confirm + commit timed (what
the confirm page does after its form is checked).

Run: `make bench-import` (or `cd bench && python protocol_import.py [runs]`).
"""

from __future__ import annotations

import statistics
import sys
import time

import protocol_reader
import sqlalchemy as sa
from common import fresh_database, make_app, percentile, write_json

RUNS = 10
TARGET_BYTES = 30_000  # the 20 KB bench protocol grown to about 230 assignments


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    url = fresh_database("bench_import")
    app = make_app(url)
    from tracker.assignments.models import Assignment
    from tracker.core.tenancy import Membership, User
    from tracker.demo.loader import LoadReport, load_organizations
    from tracker.extensions import db
    from tracker.meetings.models import Meeting
    from tracker.protocols import services

    protocol_reader.TARGET_BYTES = TARGET_BYTES
    text = protocol_reader.build_protocol()
    with app.app_context():
        session = db.session
        orgs = load_organizations(session, LoadReport())
        department = orgs["ptz-uo"]
        staff = User(email="staff@bench.test", full_name="Специалист", password_hash="-")
        session.add(staff)
        session.flush()
        session.add(Membership(user_id=staff.id, organization_id=department.id, role="staff"))
        session.commit()
        reading = services.read(session, department, text)
        reading["title"] = services.suggest_title(text)
        department_id, staff_id = department.id, staff.id
        session.remove()

        statements: list[str] = []
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda _c, _k, st, *_a: statements.append(st)
        )
        times, created, sent = [], 0, 0
        for _ in range(runs + 1):  # the first run warms the caches and is not counted
            session = db.session
            department = session.get(type(department), department_id)
            actor = session.get(User, staff_id)
            statements.clear()
            started = time.perf_counter()
            meeting = services.confirm(session, department, actor, reading)
            decisions, created = services.created_counts(session, meeting)
            session.commit()
            times.append(time.perf_counter() - started)
            sent = len(statements)
            session.remove()
        times = times[1:]
        meetings = db.session.scalar(sa.select(sa.func.count(Meeting.id)))
        total = db.session.scalar(sa.select(sa.func.count(Assignment.id)))
    ordered = sorted(times)
    title = (
        f"Confirming an imported protocol ({len(text.encode('utf-8')) / 1024:.0f} KB, "
        f"{decisions} decisions, {created} assignments), PostgreSQL, {runs} runs"
    )
    print(f"\n{title}")
    print(
        f"confirm + commit: median {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {percentile(ordered, 0.95) * 1000:.0f} ms, {sent} statements"
        f" ({meetings} meetings, {total} assignments)"
    )
    write_json(
        title,
        {
            "confirm + commit": {
                "median_ms": round(statistics.median(ordered) * 1000, 2),
                "p95_ms": round(percentile(ordered, 0.95) * 1000, 2),
                "decisions": decisions,
                "assignments": created,
                "statements": sent,
                "runs": runs,
            }
        },
    )


if __name__ == "__main__":
    main()
