"""`flask scheduler run` (the single scheduler process) and `flask reminders sweep`."""

import contextlib
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.core import clock
from tracker.notify.scheduler import build_scheduler, deliver_pending, run_sweep, still_waiting

scheduler_cli = AppGroup("scheduler", help="Планировщик напоминаний и доставки почты.")
reminders_cli = AppGroup("reminders", help="Напоминания о сроках.")


@scheduler_cli.command("run")
def run() -> None:
    """Запустить планировщик (ровно один процесс на установку)."""
    scheduler = build_scheduler(current_app._get_current_object())
    click.echo("Планировщик запущен. Остановка — Ctrl+C.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


@reminders_cli.command("sweep")
@click.option(
    "--at",
    "at_text",
    default=None,
    help="Момент, на который проверить сроки, например 2023-02-24T09:00 (время TRACKER_TIMEZONE).",
)
def sweep_command(at_text: str | None) -> None:
    """Одна проверка сроков: записать в очередь то, что пора отправить, и отправить."""
    app = current_app._get_current_object()
    try:
        at = (
            clock.as_utc(datetime.fromisoformat(at_text), app.config["TRACKER_TIMEZONE"])
            if at_text
            else None
        )
    except ValueError as error:
        raise click.BadParameter(
            "ожидается дата и время вида 2023-02-24T09:00", param_hint="--at"
        ) from error
    with clock.frozen(at) if at else contextlib.nullcontext():
        result = run_sweep(app, at)
        # Each row is handed over once, here; without a broker it is sent before we return.
        handed = deliver_pending(app)
        waiting = still_waiting(app)
    where = "в очередь Celery" if app.config.get("REDIS_URL") else "на отправку"
    click.echo(
        f"Напоминаний в очереди: {result.queued}, сводок: {result.digests}; "
        f"передано {where}: {handed}; не отправлено (ждут очереди или повтора): {waiting}."
    )
