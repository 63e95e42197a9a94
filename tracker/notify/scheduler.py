"""The one scheduler process (`flask scheduler run`): it decides what is due and hands it on.

It never runs inside web workers; docker-compose gives it a service of its own. Every job is
idempotent (unique outbox keys, claimed rows), so a second scheduler by mistake sends nothing
twice, and APScheduler's coalescing makes a run missed while the process was down happen once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.reminders import SweepResult, sweep

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_SECONDS = 60
# A row handed to Celery is not handed again for this long (the worker may still have it).
DISPATCH_LEASE = timedelta(minutes=10)


def run_sweep(app: Flask, at: datetime | None = None) -> SweepResult:
    with app.app_context():
        result = sweep(db.session, at)
        db.session.commit()
        db.session.remove()
    log.info("sweep: %s reminders, %s digests", result.queued, result.digests)
    return result


def deliver_pending(app: Flask) -> int:
    """Hand every due pending row (and rows stuck «sending») to delivery."""
    from tracker.notify.delivery import deliver_soon, sending_timeout

    with app.app_context():
        now = clock.now()
        due = sa.or_(
            sa.and_(OutboxMessage.state == "pending", OutboxMessage.send_after <= now),
            sa.and_(
                OutboxMessage.state == "sending",
                OutboxMessage.locked_at < now - sending_timeout(),
            ),
        )
        ids = list(
            db.session.scalars(
                sa.select(OutboxMessage.id).where(due).order_by(OutboxMessage.send_after).limit(500)
            )
        )
        if ids and app.config.get("REDIS_URL"):
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.state == "pending")
                .values(send_after=now + DISPATCH_LEASE)
            )
        db.session.commit()
        db.session.remove()
    deliver_soon(app, ids, inline=True)
    return len(ids)


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    common = {"coalesce": True, "max_instances": 1, "next_run_time": clock.now()}
    minutes = int(app.config["TRACKER_SWEEP_MINUTES"])
    scheduler.add_job(
        run_sweep,
        "interval",
        minutes=minutes,
        args=[app],
        id="sweep",
        misfire_grace_time=minutes * 60 * 12,
        **common,
    )
    scheduler.add_job(
        deliver_pending,
        "interval",
        seconds=DELIVERY_INTERVAL_SECONDS,
        args=[app],
        id="deliver_pending",
        misfire_grace_time=DELIVERY_INTERVAL_SECONDS * 10,
        **common,
    )
    # Jobs the parts above notify register (the IMAP poll of tracker.inbound).
    for register in app.extensions.get("scheduler_jobs", []):
        register(app, scheduler)
    return scheduler
