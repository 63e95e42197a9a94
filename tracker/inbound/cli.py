"""`flask mail inbound` (the SMTP server) and `flask mail fetch` (one IMAP pass)."""

from __future__ import annotations

import imaplib

import click
from flask import current_app
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Отчёты ответом на письмо: приём почты.")


@mail_cli.command("inbound")
@click.option("--host", default=None, help="Адрес (по умолчанию TRACKER_INBOUND_HOST).")
@click.option("--port", type=int, default=None, help="Порт (по умолчанию TRACKER_INBOUND_PORT).")
def inbound(host: str | None, port: int | None) -> None:
    """Принимать ответы по SMTP (домен TRACKER_INBOUND_DOMAIN направлен на этот сервер)."""
    from tracker.inbound.smtp import serve

    app = current_app._get_current_object()
    domain = app.config["TRACKER_INBOUND_DOMAIN"]
    if not domain:
        raise click.UsageError("Задайте TRACKER_INBOUND_DOMAIN: домен адресов для ответов.")
    host = host or app.config["TRACKER_INBOUND_HOST"]
    port = port or int(app.config["TRACKER_INBOUND_PORT"])
    click.echo(f"Приём ответов на {host}:{port} для адресов @{domain}. Остановка — Ctrl+C.")
    serve(app, host, port)


@mail_cli.command("fetch")
def fetch_command() -> None:
    """Забрать непрочитанные ответы из почтового ящика по IMAP (SSL) — один проход."""
    from tracker.inbound.imap import fetch

    app = current_app._get_current_object()
    if not app.config["TRACKER_IMAP_HOST"]:
        raise click.UsageError(
            "Задайте TRACKER_IMAP_HOST, TRACKER_IMAP_USER и TRACKER_IMAP_PASSWORD."
        )
    try:
        result = fetch(app)
    except (imaplib.IMAP4.error, OSError) as error:
        raise click.ClickException(f"Почтовый ящик недоступен: {error}") from error
    click.echo(
        f"Писем: {result.seen}; отчётов: {result.report}, просьб о переносе срока: "
        f"{result.extension}, отклонено с ответом: {result.refused}, автоответов и возвратов: "
        f"{result.ignored}, уже обработанных: {result.duplicate}, "
        f"оставлено до следующего раза: {result.failed}."
    )
    if result.failed:
        raise SystemExit(1)
