"""`flask scheduler run`: the single scheduler process."""

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.notify.scheduler import build_scheduler

scheduler_cli = AppGroup("scheduler", help="Планировщик напоминаний и доставки почты.")


@scheduler_cli.command("run")
def run() -> None:
    """Запустить планировщик (ровно один процесс на установку)."""
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    click.echo("Планировщик запущен. Остановка — Ctrl+C.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
