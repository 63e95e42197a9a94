"""Celery tasks of the notify part ("task" is Celery's word; the domain says assignment)."""

from celery import shared_task

from tracker.notify.delivery import TemporaryFailure, backoff, deliver


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def deliver_outbox_message(self, message_id: int) -> str:
    """Send one outbox row; 4xx answers and connection errors retry with back-off."""
    try:
        return deliver(message_id)
    except TemporaryFailure as error:
        countdown = backoff(self.request.retries + 1).total_seconds()
        raise self.retry(exc=error, countdown=countdown) from error
