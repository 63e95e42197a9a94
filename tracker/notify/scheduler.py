"""The one scheduler process (`flask scheduler run`): it decides what is due and hands it on.

It never runs inside web workers; docker-compose gives it a service of its own. Every job is
idempotent (unique outbox keys, claimed rows), so a second scheduler by mistake sends nothing
twice; a working day missed while the process was down is caught up by the next sweep
(`reminders.catch_up`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.core import clock
from tracker.core.models import sqlite_writer
from tracker.extensions import db
from tracker.notify.models import OutboxMessage, OutboxState
from tracker.notify.reminders import SweepResult, sweep

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_SECONDS = 60
BATCH = 500


def run_sweep(app: Flask, at: datetime | None = None) -> SweepResult:
    """Write what is due (in one transaction that holds SQLite's write lock). The rows are not
    handed over on commit: the caller runs `deliver_pending`, which hands each row once."""
    with app.app_context():
        with sqlite_writer():
            result = sweep(db.session, at)
            db.session.info.pop("outbox_new", None)
            db.session.commit()
        db.session.remove()
    log.info("sweep: %s reminders, %s digests", result.queued, result.digests)
    return result


def sweep_and_deliver(app: Flask) -> None:
    run_sweep(app)
    deliver_pending(app)


def requeue_after(app: Flask) -> timedelta:
    return timedelta(seconds=int(app.config["TRACKER_REQUEUE_SECONDS"]))


def due_for_delivery(app: Flask, now: datetime) -> sa.ColumnElement[bool]:
    """Rows to hand over now: due and pending, or «sending» past the deadline (its worker died),
    unless already in the broker's hands (handed less than TRACKER_REQUEUE_SECONDS ago)."""
    from tracker.notify.delivery import sending_timeout

    if not app.config.get("REDIS_URL"):
        leased = sa.false()
    else:
        leased = sa.and_(
            OutboxMessage.dispatched_at.is_not(None),
            OutboxMessage.dispatched_at >= now - requeue_after(app),
        )
    return sa.or_(
        sa.and_(
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.send_after <= now,
            sa.not_(leased),
        ),
        sa.and_(
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.locked_at < now - sending_timeout(),
            # A lease older than the claim was the one that led to the lost send.
            sa.or_(sa.not_(leased), OutboxMessage.dispatched_at < OutboxMessage.locked_at),
        ),
    )


def deliver_pending(app: Flask) -> int:
    """Hand every due row over, in batches until none is left (or the broker stops taking
    them). Returns how many were really handed over (sent, without a broker)."""
    from tracker.notify.delivery import deliver_soon

    handed = 0
    last_id = 0
    while True:
        with app.app_context():
            now = clock.now()
            ids = list(
                db.session.scalars(
                    sa.select(OutboxMessage.id)
                    .where(due_for_delivery(app, now), OutboxMessage.id > last_id)
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                )
            )
            db.session.remove()
        if not ids:
            return handed
        last_id = ids[-1]
        taken = deliver_soon(app, ids, inline=True)
        handed += taken
        if taken < len(ids):
            return handed  # the broker is away; the next run tries again


def still_waiting(app: Flask) -> int:
    """Rows not sent yet: waiting for a retry, in the queue, or being sent."""
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
        )
        db.session.remove()
    return int(count or 0)


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    common = {"coalesce": True, "max_instances": 1, "next_run_time": clock.now()}
    minutes = int(app.config["TRACKER_SWEEP_MINUTES"])
    scheduler.add_job(
        sweep_and_deliver,
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
