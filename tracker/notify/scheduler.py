"""The one scheduler process (`flask scheduler run`): it decides what is due and hands it on.

It never runs inside web workers; docker-compose gives it a service of its own."""

from __future__ import annotations

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage

DELIVERY_INTERVAL_SECONDS = 60


def pending_message_ids(limit: int = 500) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == "pending", OutboxMessage.send_after <= clock.now())
            .order_by(OutboxMessage.send_after)
            .limit(limit)
        )
    )


def deliver_pending(app: Flask) -> None:
    """Hand every due pending row to delivery (Celery, or this process without a broker)."""
    from tracker.notify.delivery import deliver_soon

    with app.app_context():
        ids = pending_message_ids()
        db.session.remove()
    deliver_soon(app, ids, inline=True)


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    # coalesce + max_instances: a run missed while the process was down happens once, not N times.
    scheduler.add_job(
        deliver_pending,
        "interval",
        seconds=DELIVERY_INTERVAL_SECONDS,
        args=[app],
        id="deliver_pending",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=DELIVERY_INTERVAL_SECONDS * 10,
        next_run_time=clock.now(),
    )
    return scheduler
