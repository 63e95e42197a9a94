"""`flask demo load`: the demo world from the real documents (idempotent)."""

import click
from flask.cli import AppGroup

from tracker.demo.loader import load_all
from tracker.extensions import db
from tracker.notify.events import muted

demo_cli = AppGroup("demo", help="Демонстрационные данные.")


@demo_cli.command("load")
@click.option("--quiet", is_flag=True, help="Не печатать логины.")
def load(quiet: bool) -> None:
    """Загрузить демо-данные из документов (повторный запуск ничего не меняет)."""
    with muted():  # historical demo data: nobody is mailed
        report = load_all(db.session)
    db.session.commit()
    added = ", ".join(f"{k}: {v}" for k, v in sorted(report.created.items())) or "ничего"
    click.echo(f"Демо-данные загружены. Добавлено — {added}.")
    if not quiet:
        click.echo("\nДемо-входы (e-mail / пароль / роль):")
        for email, password, roles in report.logins:
            click.echo(f"  {email:45} {password}  {roles}")
