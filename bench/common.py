"""Shared pieces of the benchmarks: a fresh PostgreSQL database, the app served by gunicorn,
timing of endpoints, and a report of each endpoint's time as a ratio to the bare /health."""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Prefixed to every bench database's name, so that two people on one server keep apart.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "")
OUT = Path(__file__).resolve().parent / "out"


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_PREFIX + name}"


def fresh_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_PREFIX + name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_PREFIX + name}"')
    return database_url(name)


def make_app(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("MAIL_SUPPRESS_SEND", "true")
    from flask_migrate import upgrade

    from tracker import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


def settle(app) -> None:
    """VACUUM ANALYZE the freshly built data: what a running server's autovacuum does soon after
    a bulk load (statistics, and the visibility map that lets index-only scans skip the heap).
    The shared test server runs without autovacuum, so the benches do it themselves."""
    import sqlalchemy as sa

    from tracker.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))


def municipality(session, schools: int, now):
    """A region, one department and `schools` schools under it (bulk insert); returns the
    department and its schools in id order."""
    import sqlalchemy as sa

    from tracker.core.tenancy import Organization

    region = Organization(kind="region", short_name="Область", full_name="Область", path="")
    session.add(region)
    session.flush()
    region.path = f"/{region.id}/"
    dept = Organization(
        kind="department",
        short_name="Управление образования",
        full_name="Управление образования администрации района",
        parent_id=region.id,
        path="",
    )
    session.add(dept)
    session.flush()
    dept.path = f"{region.path}{dept.id}/"
    session.execute(
        sa.insert(Organization),
        [
            {
                "kind": "school",
                "short_name": f"МОУ «Средняя школа № {s + 1}»",
                "full_name": f"Муниципальное общеобразовательное учреждение «Средняя школа"
                f" № {s + 1}»",
                "parent_id": dept.id,
                "path": "",
                "timezone": "Europe/Moscow",
                "aliases": [],
                "created_at": now,
                "updated_at": now,
            }
            for s in range(schools)
        ],
    )
    session.execute(
        sa.update(Organization)
        .where(Organization.parent_id == dept.id)
        .values(path=dept.path + sa.cast(Organization.id, sa.String) + "/")
    )
    found = session.scalars(
        sa.select(Organization).where(Organization.parent_id == dept.id).order_by(Organization.id)
    ).all()
    return dept, list(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(database_url: str, workers: int = 2):
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        MAIL_SUPPRESS_SEND="true",
        TRACKER_LOGIN_RATE_LIMIT="1000 per minute",
    )
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/health", timeout=1).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def login(base: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(
        base + "/auth/login",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
    )
    assert response.status_code == 302, f"login failed for {email}"
    return session


def timed(session: requests.Session, url: str, runs: int, warmup: int = 3, **kwargs) -> list[float]:
    for _ in range(warmup):
        session.get(url, **kwargs).raise_for_status()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = session.get(url, **kwargs)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
    return times


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the sorted sample lies (nearest rank)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def bench_name() -> str:
    return Path(sys.argv[0]).stem


def write_json(title: str, figures: dict) -> Path:
    """bench/out/<bench>.json: the title, when and where it ran, and the figures."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{bench_name()}.json"
    document = {
        "bench": bench_name(),
        "title": title,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "figures": figures,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")
    return path


def report(title: str, results: dict[str, list[float]]) -> None:
    """Median and p95 of each endpoint, and the median's ratio to /health's median; printed and
    written to bench/out/<bench>.json."""
    bare = statistics.median(results["/health (bare)"])
    print(f"\n{title}")
    print(f"{'endpoint':58} {'median ms':>10} {'p95 ms':>9} {'× bare':>8}")
    figures = {}
    for name, times in results.items():
        ordered = sorted(times)
        median = statistics.median(ordered)
        p95 = percentile(ordered, 0.95)
        print(f"{name:58} {median * 1000:10.1f} {p95 * 1000:9.1f} {median / bare:8.1f}")
        figures[name] = {
            "median_ms": round(median * 1000, 2),
            "p95_ms": round(p95 * 1000, 2),
            "ratio": round(median / bare, 2),
            "runs": len(ordered),
        }
    write_json(title, figures)
