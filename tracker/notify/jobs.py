"""Celery tasks of the notify part ("task" is Celery's word; the domain says assignment)."""

from celery import shared_task

from tracker.notify.delivery import TemporaryFailure, deliver


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TemporaryFailure,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def deliver_outbox_message(self, message_id: int) -> str:
    return deliver(message_id)
