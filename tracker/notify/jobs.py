"""Celery tasks of the notify part ("task" is Celery's word; the domain says assignment)."""

import math

from celery import shared_task

from tracker.notify.delivery import TemporaryFailure, deliver


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_outbox_message(self, message_id: int) -> str:
    """Send one outbox row; 4xx answers and connection errors retry when the row is due again
    (the row counts the attempts and fails it after the last one)."""
    try:
        return deliver(message_id, retried_by_broker=True)
    except TemporaryFailure as error:
        # A second late rather than early: a retry that finds the row not yet due does nothing.
        countdown = math.ceil(error.retry_in or 1) + 1
        raise self.retry(exc=error, countdown=countdown) from error
