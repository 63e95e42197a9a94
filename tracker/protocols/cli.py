"""`flask protocol parse FILE`: read a protocol the way the import page does, create nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from tracker.core.tenancy import Organization
from tracker.extensions import db
from tracker.protocols import services
from tracker.protocols.reader import read_protocol
from tracker.protocols.text import MAX_BYTES, ProtocolInputError, extract_text

protocol_cli = AppGroup("protocol", help="Протоколы: прочитать файл без сохранения.")


def _department(ref: str) -> Organization:
    condition = (
        Organization.id == int(ref)
        if ref.isdigit()
        else sa.or_(Organization.key == ref, Organization.short_name == ref)
    )
    department = db.session.scalar(sa.select(Organization).where(condition))
    if department is None:
        raise click.ClickException(f"Организация «{ref}» не найдена (id, ключ или краткое имя).")
    if department.kind != "department":
        raise click.ClickException(
            f"«{department.short_name}» — не орган управления образованием: укажите отдел "
            "или управление образования."
        )
    return department


@protocol_cli.command("parse")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Напечатать разбор в JSON.")
@click.option(
    "--department",
    "department_ref",
    default=None,
    help="Орган управления образованием (id или ключ): исполнители ищутся в его справочнике; "
    "без него — во всём справочнике.",
)
def parse(path: str, as_json: bool, department_ref: str | None) -> None:
    """Прочитать протокол (.docx, .odt, .txt) и показать, что из него получится."""
    file = Path(path)
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    try:
        text = extract_text(file.name, data)
    except ProtocolInputError as error:
        raise click.ClickException(str(error)) from error
    if department_ref:
        department = _department(department_ref)
        result = services.read(db.session, department, text)
    else:
        result = read_protocol(text, services.directory_for(db.session, None))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(summary(result))


DOCUMENTS = {
    "protocol": "Протокол",
    "extract": "Выписка из протокола",
    "reference": "Справка",
    "order": "Распоряжение",
    "prikaz": "Приказ",
    "resolution": "Постановление",
    "decision": "Решение",
    "plan": "План мероприятий",
    None: "Документ (вид не распознан)",
}


def summary(result: dict[str, Any]) -> str:
    head = DOCUMENTS.get(result.get("document"), str(result.get("document")))
    if result["number"]:
        head += f" № {result['number']}"
    head += f" от {result['date']}" if result["date"] else " (дата не найдена)"
    lines = [head]
    meeting = result.get("document") in ("protocol", "extract", "reference", None)
    for label, key in (
        ("Название", "title"),
        ("Место", "place"),
        ("Председатель" if meeting else "Подписал", "chair"),
        ("Секретарь", "secretary"),
        ("Контроль", "controller"),
    ):
        if result.get(key):
            lines.append(f"{label}: {result[key]}")
    lines.append(
        f"Присутствовали: {len(result['attendees'])}, вопросов повестки: {len(result['agenda'])}"
    )
    decisions = result["decisions"]
    executors = [e for d in decisions if d["needs_report"] for e in d["executors"]]
    found = sum(1 for e in executors if e["organization_id"] is not None)
    ambiguous = sum(1 for e in executors if e["kind"] == "ambiguous")
    tasks = sum(1 for d in decisions if d["needs_report"])
    lines.append(
        f"Пунктов решения: {len(decisions)}, из них с отчётом: {tasks}; исполнителей найдено: "
        f"{found}, неоднозначно: {ambiguous}, не найдено: {len(executors) - found - ambiguous}"
    )
    lines.extend(_decision_line(decision) for decision in decisions)
    if result["warnings"]:
        lines.append("Замечания:")
        lines.extend(f"  - {warning}" for warning in result["warnings"])
    return "\n".join(lines)


def _decision_line(decision: dict[str, Any]) -> str:
    deadline = decision["deadline"]
    due = ""
    if deadline:
        due = f" — {deadline['text']}"
        if deadline["date"]:
            due += f" ({deadline['date']})"
    number = decision["number"] or "-"
    text = " ".join(decision["text"].split())
    text = text if len(text) <= 70 else text[:69] + "…"
    report = f"[{len(decision['executors'])} исп.]" if decision["needs_report"] else "[без отчёта]"
    return f"  {number} {text} {report}{due}"
