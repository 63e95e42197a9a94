"""Importing a protocol: read its text against the department's directory, then create the
meeting, its decisions and their assignments from what the user confirmed.

Reading creates nothing. ``confirm`` validates the whole reading first (dates, texts, deadlines,
executors inside the department) and only then writes, in the caller's transaction: it flushes,
the caller commits (or rolls back, and nothing remains).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.assignments import notifications
from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.core import audit
from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import Deadline, DeadlineError
from tracker.core.i18n import _
from tracker.core.tenancy import Organization, User
from tracker.meetings.models import MEETING_KINDS, Decision, Meeting
from tracker.meetings.services import (
    MeetingError,
    check_controller,
    create_meeting,
    executor_candidates,
    is_heading,
    require_manage,
)
from tracker.protocols.matching import Directory, DirectoryEntry
from tracker.protocols.reader import read_protocol

__all__ = [
    "MeetingError",
    "confirm",
    "created_counts",
    "decision_references",
    "directory_for",
    "heading_positions",
    "item_label",
    "read",
    "suggest_title",
]

# Limits of what a confirmed reading may hold (the reader never produces more).
MAX_DECISIONS = 1000
_LIMITS = {
    "number": 40,  # Meeting.number and Decision.number are String(40)
    "place": 1000,
    "chair": 1000,
    "secretary": 1000,
    "title": 2000,
    "attendees": 20_000,
    "text": 20_000,
    "section": 2000,
    "executor_group": 2000,
    "deadline": 500,
    "agenda_title": 5000,
    "speaker": 1000,
    "heard": 100_000,
}


# --- reading ----------------------------------------------------------------------------------


def directory_for(session: Session, department: Organization | None) -> Directory:
    """The organizations a protocol of ``department`` may name: the department and its subtree.

    Without a department, the whole directory (executors may then be ambiguous across
    municipalities: «МОУ СОШ № 1» exists in many)."""
    query = sa.select(Organization).order_by(Organization.id)
    if department is not None:
        query = query.where(Organization.path.like(department.path + "%"))
    entries = [
        DirectoryEntry(
            id=org.id,
            short_name=org.short_name,
            full_name=org.full_name or org.short_name,
            kind=org.kind,
            parent_id=org.parent_id,
            aliases=tuple(str(alias) for alias in (org.aliases or ()) if alias),
        )
        for org in session.scalars(query)
    ]
    return Directory(entries, department.id if department is not None else None)


def read(session: Session, department: Organization, text: str) -> dict[str, Any]:
    """The reader's draft of a ``department``'s document (see read_protocol); writes nothing."""
    return read_protocol(text, directory_for(session, department))


_KIND_LINE = re.compile(
    r"^(?:выписка\s+из\s+протокола|протокол|(?:информационная\s+|аналитическая\s+)?справка)"
    r"(?![а-яё])(?P<rest>.*)$",
    re.IGNORECASE,
)
_TITLE_STOP = re.compile(
    r"^(?:г\.|№|дата|место|время|председател|секретар|присутств|участники|повестка|тема)"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|\d{1,2}\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)",
    re.IGNORECASE,
)


def suggest_title(text: str) -> str:
    """The meeting's name as the protocol's heading gives it («совещания руководителей …»).

    The words after «ПРОТОКОЛ» / «Выписка из протокола» / «Справка» (on its line or the lines
    right below it, up to a blank line, a date, a place or a number); "" if there is no heading.
    """
    if not isinstance(text, str):
        return ""
    lines = [line.strip(" \t#*_") for line in text[:20_000].splitlines()]
    seen = 0
    for index, line in enumerate(lines):
        if not line:
            continue
        seen += 1
        if seen > 10:
            break
        found = _KIND_LINE.match(line)
        if not found:
            continue
        rest = re.sub(r"№\s*\S+", " ", found["rest"]).strip(" .,:;–—-")
        parts = [rest] if rest else []
        following = index + 1
        while not parts and following < len(lines) and not lines[following]:
            following += 1
        while following < len(lines) and lines[following] and len(parts) < 4:
            candidate = lines[following]
            if _TITLE_STOP.search(candidate) or len(candidate) > 500:
                break
            parts.append(candidate)
            following += 1
        return " ".join(" ".join(parts).split())[: _LIMITS["title"]]
    return ""


# --- the structure of the decisions -----------------------------------------------------------


def decision_references(decisions: list[Mapping[str, Any]]) -> list[int | None]:
    """For each decision, the index of its parent in the list (None: top level).

    The reader names a parent by its number («1.2») or, for an item without one, by its index
    path («1.2/3»: the third item under 1.2; «/1» for an unnumbered top-level item). The same
    references are rebuilt here in order; the nearest earlier item with the reference wins (two
    decision blocks may both number their items from 1)."""
    refs: list[str] = []
    parents: list[int | None] = []
    children: dict[int, int] = {}
    for index, decision in enumerate(decisions):
        wanted = decision.get("parent")
        parent = None
        if isinstance(wanted, str) and wanted:
            parent = next((j for j in range(index - 1, -1, -1) if refs[j] == wanted), None)
        number = decision.get("number")
        if parent is not None:
            children[parent] = children.get(parent, 0) + 1
        if isinstance(number, str) and number:
            own = number
        elif parent is not None:
            own = f"{refs[parent]}/{children[parent]}"
        else:
            own = "/1"
        refs.append(own)
        parents.append(parent)
    return parents


@dataclass
class _Shape:
    """What meetings.services.is_heading looks at, for a decision not created yet."""

    text: str
    number: str | None = None
    deadline_kind: str = "none"
    children: list[_Shape] = field(default_factory=list)


def _heading(decision: Any) -> bool:
    """is_heading, also for a heading whose addressees are listed below its colon on the next
    lines («Руководителям общеобразовательных организаций:\\nМОУ …; МОУ …»)."""
    if is_heading(decision):
        return True
    first_line = decision.text.strip().split("\n", 1)[0]
    return first_line != decision.text.strip() and is_heading(
        _Shape(first_line, children=list(decision.children))
    )


def heading_positions(decisions: list[Mapping[str, Any]]) -> set[int]:
    """Indexes of the decisions that are headings: their sub-items carry the orders."""
    parents = decision_references(decisions)
    shapes = [
        _Shape(
            str(d.get("text") or ""),
            d.get("number") if isinstance(d.get("number"), str) else None,
            str((d.get("deadline") or {}).get("kind") or "none")
            if isinstance(d.get("deadline"), Mapping)
            else "none",
        )
        for d in decisions
    ]
    for index, parent in enumerate(parents):
        if parent is not None:
            shapes[parent].children.append(shapes[index])
    return {index for index, shape in enumerate(shapes) if _heading(shape)}


# --- confirming -------------------------------------------------------------------------------


@dataclass
class _Planned:
    index: int
    label: str
    number: str | None
    text: str
    section: str | None
    executor_group: str | None
    deadline_text: str
    parent: int | None  # index of the nearest kept ancestor
    organizations: list[Organization]
    needs_report: bool


def confirm(
    session: Session, department: Organization, actor: User, reading: Mapping[str, Any]
) -> Meeting:
    """Create the meeting, its decisions (in order, with their parents) and their assignments.

    ``reading`` has the reader's shape (read_protocol), as the user confirmed it, plus
    ``title`` (the meeting's name) and, per decision, an optional ``skip`` (leave the item out:
    its sub-items move up to its parent). Executors are confirmed when they carry an
    ``organization_id``; every one must be the department or under it. Headings and decisions
    with ``needs_report`` false («принять к сведению») get no assignments of their own. Raises
    MeetingError (a Russian message naming the item) and creates nothing if anything is wrong;
    flushes, never commits. Only the department's staff import its protocols (NotAllowed)."""
    require_manage(actor, department, department)
    if department.kind != "department":
        raise MeetingError(_("Протокол загружается в орган управления образованием."))
    if not isinstance(reading, Mapping):
        raise MeetingError(_("Нет данных протокола."))
    held_on = _held_on(reading.get("date"))
    kind = reading.get("kind") or "protocol"
    if kind not in MEETING_KINDS:
        raise MeetingError(_("Неизвестный вид документа."))
    title = _string(reading.get("title"), "title", _("Название совещания"))
    if not title:
        raise MeetingError(_("Укажите, какое это совещание (название из заголовка протокола)."))
    fields = {
        "kind": kind,
        "number": _string(reading.get("number"), "number", _("Номер протокола")),
        "place": _string(reading.get("place"), "place", _("Место")),
        "chair": _string(reading.get("chair"), "chair", _("Председатель")),
        "secretary": _string(reading.get("secretary"), "secretary", _("Секретарь")),
        "title": title,
        "attendees": _attendees(reading.get("attendees")),
    }
    agenda = _agenda(reading.get("agenda"))
    allowed = {org.id: org for org in executor_candidates(session, department)}
    planned = _plan(reading.get("decisions"), held_on, allowed, department)

    meeting = create_meeting(
        session, organization=department, held_on=held_on, actor=actor, agenda=agenda, **fields
    )
    check_controller(meeting, actor)
    created = _insert_decisions(session, meeting, planned, actor)
    audit.record_many(actor, "decision.create", [created[item.index] for item in planned])
    headings = _headings(planned, held_on)
    rows = [
        {
            "decision_id": created[item.index].id,
            "organization_id": organization.id,
            "status": AssignmentStatus.ASSIGNED,
            "due_date": created[item.index].due_date,
            "original_due_date": created[item.index].due_date,
        }
        for item in planned
        if item.needs_report and item.index not in headings
        for organization in item.organizations
    ]
    assignments = (
        session.scalars(
            sa.insert(Assignment).returning(Assignment, sort_by_parameter_order=True), rows
        ).all()
        if rows
        else []
    )
    audit.record_many(
        actor, "assignment.create", assignments, details_of=lambda a: {"decision_id": a.decision_id}
    )
    for assignment in assignments:
        notifications.assignment_created(assignment)  # one letter per person at the commit
    audit.record(
        actor, "meeting.import", meeting, decisions=len(planned), assignments=len(assignments)
    )
    return meeting


def _insert_decisions(
    session: Session, meeting: Meeting, planned: list[_Planned], actor: User | None
) -> dict[int, Decision]:
    """The decisions in the protocol's order by one INSERT, then their parents by one batched
    UPDATE (a sub-item needs its parent's id); keyed by the reading's index."""
    rows = []
    for position, item in enumerate(planned, start=1):
        deadline = parse_deadline(item.deadline_text, today=meeting.held_on)
        rows.append(
            {
                "meeting_id": meeting.id,
                "organization_id": meeting.organization_id,
                "position": position,
                "number": item.number,
                "section": item.section,
                "text": item.text.strip(),
                "executor_group": item.executor_group,
                "controller_id": actor.id if actor is not None else None,
                "needs_report": item.needs_report,
                "deadline_text": deadline.text,
                "deadline_kind": deadline.kind,
                "due_date": deadline.due_date,
                "deadline_rule": deadline.rule,
                "deadline_offset_days": deadline.offset_days,
                "deadline_event": deadline.event,
            }
        )
    # render_nulls: an empty number or section does not split the rows into several INSERTs
    decisions = session.scalars(
        sa.insert(Decision)
        .returning(Decision, sort_by_parameter_order=True)
        .execution_options(render_nulls=True),
        rows,
    ).all()
    created = {item.index: d for item, d in zip(planned, decisions, strict=True)}
    for item in planned:
        if item.parent is not None:
            created[item.index].parent_id = created[item.parent].id
    session.flush()
    return created


def _headings(planned: list[_Planned], held_on: date) -> set[int]:
    """The reading's indexes of the confirmed items that are headings (of the items kept)."""
    shapes = {
        item.index: _Shape(
            item.text, item.number, parse_deadline(item.deadline_text, today=held_on).kind
        )
        for item in planned
    }
    for item in planned:
        if item.parent is not None:
            shapes[item.parent].children.append(shapes[item.index])
    return {index for index, shape in shapes.items() if _heading(shape)}


def _held_on(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        raise MeetingError(
            _("Дата совещания «%(value)s» не распознана: укажите её.", value=value[:40])
        )
    raise MeetingError(_("Укажите дату совещания: в тексте протокола она не найдена."))


def _string(value: Any, limit: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MeetingError(_("%(name)s: ожидается текст.", name=name))
    value = value.strip()
    if len(value) > _LIMITS[limit]:
        raise MeetingError(_("%(name)s: не длиннее %(n)s символов.", name=name, n=_LIMITS[limit]))
    return value or None


def _attendees(value: Any) -> str | None:
    if isinstance(value, list):
        lines = [
            str(entry.get("text") or "").strip() if isinstance(entry, Mapping) else str(entry)
            for entry in value
        ]
        value = "\n".join(line for line in lines if line)
    return _string(value, "attendees", _("Присутствовали"))


def _agenda(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MeetingError(_("Повестка: ожидается список вопросов."))
    agenda = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise MeetingError(_("Повестка: ожидается список вопросов."))
        title = _string(entry.get("title"), "agenda_title", _("Вопрос повестки"))
        if title:
            agenda.append(
                {
                    "title": title,
                    "speaker": _string(entry.get("speaker"), "speaker", _("Докладчик")),
                    "heard": _string(entry.get("heard"), "heard", _("Слушали")),
                }
            )
    return agenda


def item_label(decision: Mapping[str, Any], index: int) -> str:
    """«Пункт 1.2» or, for an item without a number, «Пункт 5 по порядку»."""
    number = decision.get("number")
    if isinstance(number, str) and number.strip():
        return _("Пункт %(number)s", number=number.strip())
    return _("Пункт %(n)s по порядку", n=index + 1)


def _plan(
    value: Any, held_on: date, allowed: dict[int, Organization], department: Organization
) -> list[_Planned]:
    if not isinstance(value, list) or not all(isinstance(d, Mapping) for d in value):
        raise MeetingError(_("Пункты решения: ожидается список."))
    if len(value) > MAX_DECISIONS:
        raise MeetingError(_("Пунктов больше %(n)s: разделите протокол.", n=MAX_DECISIONS))
    parents = decision_references(value)
    kept_parent: list[int | None] = []
    planned: list[_Planned] = []
    for index, decision in enumerate(value):
        parent = parents[index]
        # a left-out item's sub-items move up to its nearest kept ancestor
        while parent is not None and value[parent].get("skip"):
            parent = kept_parent[parent]
        kept_parent.append(parent)
        if decision.get("skip"):
            continue
        label = item_label(decision, index)
        text = _string(decision.get("text"), "text", label)
        if not text:
            raise MeetingError(_("%(label)s: текст пункта не может быть пустым.", label=label))
        planned.append(
            _Planned(
                index=index,
                label=label,
                number=_string(
                    decision.get("number"), "number", _("%(label)s: номер", label=label)
                ),
                text=text,
                section=_string(
                    decision.get("section"), "section", _("%(label)s: раздел", label=label)
                ),
                executor_group=_string(
                    decision.get("executor_group"),
                    "executor_group",
                    _("%(label)s: исполнители", label=label),
                ),
                deadline_text=_deadline_text(decision.get("deadline"), label, held_on),
                parent=parent,
                organizations=_organizations(decision.get("executors"), label, allowed, department),
                needs_report=_needs_report(decision.get("needs_report"), label),
            )
        )
    return planned


def _needs_report(value: Any, label: str) -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        raise MeetingError(_("%(label)s: «нужен отчёт» — ожидается да или нет.", label=label))
    return value


def _deadline_text(value: Any, label: str, held_on: date) -> str:
    """The deadline words as written (read again by the deadline code when saved)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = value.get("text")
    written = _string(value, "deadline", _("%(label)s: срок", label=label)) or ""
    try:
        deadline: Deadline = parse_deadline(written, today=held_on)
    except DeadlineError as error:
        raise MeetingError(f"{label}: {error}") from error
    return deadline.text


def _organizations(
    value: Any, label: str, allowed: dict[int, Organization], department: Organization
) -> list[Organization]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MeetingError(_("%(label)s: исполнители — ожидается список.", label=label))
    chosen: dict[int, Organization] = {}
    for executor in value:
        organization_id = executor.get("organization_id") if isinstance(executor, Mapping) else None
        if organization_id is None:
            continue  # not confirmed (ambiguous, unmatched, a person's name): no assignment
        if isinstance(organization_id, bool) or not isinstance(organization_id, int):
            raise MeetingError(_("%(label)s: исполнитель указан неверно.", label=label))
        if organization_id not in allowed:
            raise MeetingError(
                _(
                    "%(label)s: организация %(id)s не входит в «%(department)s».",
                    label=label,
                    id=organization_id,
                    department=department.short_name,
                )
            )
        chosen.setdefault(organization_id, allowed[organization_id])
    return list(chosen.values())


def created_counts(session: Session, meeting: Meeting) -> tuple[int, int]:
    """(decisions, assignments) of a meeting, for the message after an import."""
    from tracker.assignments.models import Assignment

    decisions = session.scalar(
        sa.select(sa.func.count(Decision.id)).where(Decision.meeting_id == meeting.id)
    )
    assignments = session.scalar(
        sa.select(sa.func.count(Assignment.id))
        .join(Decision, Decision.id == Assignment.decision_id)
        .where(Decision.meeting_id == meeting.id)
    )
    return decisions or 0, assignments or 0
