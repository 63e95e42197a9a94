"""Load test: 50 simulated people of mixed roles for 60 s against gunicorn (2 workers) on
PostgreSQL, beside the same run against the bare /health.

The data are those of `make bench` (1,011 organizations, 200,000 assignments), plus more
accounts: five staff of the first department and 25 directors of its schools. Staff watch the
board and their inbox, directors «Мои поручения» and file reports (bench/locustfile.py). Prints
requests per second, p50/p95/p99 and errors per page and writes bench/out/load.json.
Run: `make bench-load` (or `cd bench && python load.py [users] [seconds]`)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from common import fresh_database, make_app, served, write_json
from execution_control import PASSWORD, build

USERS = 50
SECONDS = 60
STAFF = 5
DIRECTORS = 25
HERE = Path(__file__).resolve().parent


def accounts(app) -> tuple[list[str], list[str]]:
    """More staff in the first department and a director in each of its first schools."""
    from tracker.auth.services import hasher
    from tracker.core.tenancy import Membership, Organization, User
    from tracker.extensions import db

    password_hash = hasher.hash(PASSWORD)
    staff, directors = ["staff1@bench.test"], ["director1@bench.test"]
    with app.app_context():
        session = db.session
        department = session.scalar(
            sa.select(Organization).where(Organization.kind == "department").order_by("id")
        )
        schools = session.scalars(
            sa.select(Organization.id)
            .where(Organization.parent_id == department.id)
            .order_by(Organization.id)
        ).all()
        for n in range(2, STAFF + 1):
            user = User(email=f"staff{n}@bench.test", full_name=f"Специалист {n}")
            user.password_hash = password_hash
            session.add(user)
            session.flush()
            session.add(Membership(user_id=user.id, organization_id=department.id, role="staff"))
            staff.append(user.email)
        for n, school in enumerate(schools[1:DIRECTORS], start=2):
            user = User(email=f"director{n}@bench.test", full_name=f"Директор {n}")
            user.password_hash = password_hash
            session.add(user)
            session.flush()
            session.add(Membership(user_id=user.id, organization_id=school, role="director"))
            directors.append(user.email)
        session.commit()
    return staff, directors


def swarm(base: str, users: int, seconds: int, classes: list[str], env: dict) -> list[dict]:
    """One headless locust run; its per-request rows (and the aggregated one) from the CSV."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        prefix = str(Path(folder) / "run")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                "10",
                "--run-time",
                f"{seconds}s",
                "--host",
                base,
                "--csv",
                prefix,
                "--only-summary",
                # the figures start once every user is spawned and logging in has begun
                "--reset-stats",
                "--loglevel",
                "WARNING",
                *classes,
            ],
            env=env,
            check=False,  # locust exits 1 when a request failed: the table shows it
        )
        with open(prefix + "_stats.csv", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def figures(row: dict) -> dict:
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
    }


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else USERS
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else SECONDS
    url = fresh_database("bench_load")
    app = make_app(url)
    build(app)
    staff, directors = accounts(app)
    env = dict(
        os.environ,
        LOAD_STAFF=",".join(staff),
        LOAD_DIRECTORS=",".join(directors),
        LOAD_PASSWORD=PASSWORD,
    )
    with served(url) as base:
        bare = swarm(base, users, seconds, ["HealthUser"], env)
        mixed = swarm(base, users, seconds, ["Staff", "Director"], env)
    health = figures(next(r for r in bare if r["Name"] == "/health"))
    table = {"/health (bare, alone)": health}
    for row in mixed:
        name = "all pages" if row["Name"] == "Aggregated" else row["Name"]
        table[name] = figures(row)
    title = (
        f"Load: {users} simulated users (staff 3 : directors 2) for {seconds} s, "
        f"gunicorn 2 workers, PostgreSQL"
    )
    print(f"\n{title}")
    print(
        f"{'page':36} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'p99 ms':>7} {'p95 × /health':>13}"
    )
    for name, row in table.items():
        row["p95_ratio"] = round(row["p95_ms"] / health["p95_ms"], 1) if health["p95_ms"] else None
        print(
            f"{name:36} {row['requests']:8} {row['errors']:6} {row['rps']:7.1f} "
            f"{row['p50_ms']:7.0f} {row['p95_ms']:7.0f} {row['p99_ms']:7.0f} "
            f"{row['p95_ratio'] or 0:13.1f}"
        )
    write_json(title, table)


if __name__ == "__main__":
    main()
