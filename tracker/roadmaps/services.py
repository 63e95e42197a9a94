"""Road maps: writing the plan, one transition function for approval, and marking execution.

черновик → на согласовании → на доработке → согласовано; an approved map that has to change
(a new date, a dropped action) goes back to черновик and through approval again as a new version.
Services flush, views commit; every change is audited in the same transaction. Versions and
their differences are in roadmaps.versions, execution figures in roadmaps.progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.assignments.models import AssignmentStatus
from tracker.core import audit, clock, files
from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import Deadline, DeadlineError
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _
from tracker.core.permissions import can
from tracker.core.tenancy import Organization, User
from tracker.meetings.services import apply_deadline
from tracker.roadmaps import notifications
from tracker.roadmaps.models import (
    ActionStatus,
    RoadMap,
    RoadMapAction,
    RoadMapStatus,
    RoadMapVersion,
    VersionState,
)
from tracker.roadmaps.responsible import person_named, school_people
from tracker.roadmaps.versions import latest_version, levels, snapshot

STATE_LABELS = {
    RoadMapStatus.DRAFT: _l("черновик"),
    RoadMapStatus.SUBMITTED: _l("на согласовании"),
    RoadMapStatus.RETURNED: _l("на доработке"),
    RoadMapStatus.APPROVED: _l("согласовано"),
}
ACTION_LABELS = {
    ActionStatus.PLANNED: _l("запланировано"),
    ActionStatus.IN_PROGRESS: _l("выполняется"),
    ActionStatus.DONE: _l("выполнено"),
    ActionStatus.DROPPED: _l("исключено"),
}
HISTORY_LABELS = {
    "roadmap.create": _l("дорожная карта создана"),
    "roadmap.update": _l("изменены сведения"),
    "roadmap.actions": _l("изменены мероприятия"),
    "roadmap.import": _l("мероприятия загружены из файла"),
    "roadmap.submit": _l("направлена на согласование"),
    "roadmap.return": _l("возвращена на доработку"),
    "roadmap.approve": _l("согласована"),
    "roadmap.revise": _l("открыта для изменений"),
    "roadmap.mark": _l("отмечено выполнение"),
}
EDITABLE = (RoadMapStatus.DRAFT, RoadMapStatus.RETURNED)
MAX_ACTIONS = 500


class RoadMapError(Refused):
    """A refused change, with a Russian message; `rows`: row number (1-based) → what is wrong."""


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    permission: str


MOVES: dict[str, Move] = {
    "submit": Move(frozenset(EDITABLE), RoadMapStatus.SUBMITTED, "roadmap.submit"),
    "return": Move(frozenset({RoadMapStatus.SUBMITTED}), RoadMapStatus.RETURNED, "roadmap.approve"),
    "approve": Move(
        frozenset({RoadMapStatus.SUBMITTED}), RoadMapStatus.APPROVED, "roadmap.approve"
    ),
    "revise": Move(frozenset({RoadMapStatus.APPROVED}), RoadMapStatus.DRAFT, "roadmap.edit"),
}


@dataclass
class ActionRow:
    """One row of the plan as the table editor, the importer or the API hands it in."""

    text: str
    id: int | None = None
    level: int = 0
    number: str | None = None
    deadline_text: str = ""
    responsible: str | None = None
    expected_result: str | None = None
    target_value: str | None = None
    resources: str | None = None
    indicator_id: int | None = None
    dropped: bool = False


def may(actor: User | None, move: str, road_map: RoadMap) -> bool:
    return can(actor, MOVES[move].permission, road_map.organization)


def allowed_moves(actor: User | None, road_map: RoadMap) -> list[str]:
    return [
        name
        for name, move in MOVES.items()
        if road_map.status in move.sources and may(actor, name, road_map)
    ]


def can_edit(actor: User | None, road_map: RoadMap) -> bool:
    return road_map.status in EDITABLE and can(actor, "roadmap.edit", road_map.organization)


def can_mark(actor: User | None, road_map: RoadMap) -> bool:
    return road_map.approved_at is not None and can(actor, "roadmap.edit", road_map.organization)


def _clean(value: str | None, limit: int = 5000) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise RoadMapError(_("Текст длиннее %(n)s знаков.", n=limit))
    return value or None


def _check_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise RoadMapError(_("Окончание периода раньше его начала: проверьте даты."))


def create_road_map(
    session: Session,
    actor: User,
    organization: Organization,
    title: str,
    *,
    period_start: date | None = None,
    period_end: date | None = None,
    direction_id: int | None = None,
    goal_id: int | None = None,
    assignment: Any = None,
) -> RoadMap:
    """A new draft of `organization`; `assignment` is the one that asked for it, if any."""
    if not can(actor, "roadmap.edit", organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=organization)
    title = _clean(title, 1000)
    if not title:
        raise RoadMapError(_("Укажите название дорожной карты."))
    _check_period(period_start, period_end)
    if assignment is not None and assignment.organization_id != organization.id:
        raise RoadMapError(_("Поручение дано другой организации."))
    road_map = RoadMap(
        organization=organization,
        title=title,
        period_start=period_start,
        period_end=period_end,
        direction_id=direction_id,
        goal_id=goal_id,
        assignment_id=assignment.id if assignment is not None else None,
        created_by_id=actor.id,
        status=RoadMapStatus.DRAFT,
    )
    session.add(road_map)
    session.flush()
    audit.record(actor, "roadmap.create", road_map, title=title)
    return road_map


def update_road_map(session: Session, road_map: RoadMap, actor: User, **values: Any) -> RoadMap:
    """Title, period, direction, goal and the «УТВЕРЖДАЮ» block of a map being written."""
    if not can_edit(actor, road_map):
        raise NotAllowed(
            _("Изменять можно только черновик или карту на доработке."), target=road_map
        )
    if "title" in values:
        values["title"] = _clean(values["title"], 1000)
        if not values["title"]:
            raise RoadMapError(_("Укажите название дорожной карты."))
    _check_period(
        values.get("period_start", road_map.period_start),
        values.get("period_end", road_map.period_end),
    )
    for name, value in values.items():
        setattr(road_map, name, value)
    session.flush()
    audit.record(actor, "roadmap.update", road_map, fields=sorted(values))
    return road_map


def _validate_rows(rows: list[ActionRow], strict: bool) -> dict[int, Deadline | None]:
    """Parse each row's deadline; with `strict`, a bad row refuses the whole table."""
    if len(rows) > MAX_ACTIONS:
        raise RoadMapError(_("В дорожной карте больше %(n)s мероприятий.", n=MAX_ACTIONS))
    problems: dict[int, str] = {}
    deadlines: dict[int, Deadline | None] = {}
    for n, row in enumerate(rows, start=1):
        if not (row.text or "").strip():
            problems[n] = _("Не указано мероприятие.")
            continue
        try:
            deadlines[n] = parse_deadline(row.deadline_text)
        except DeadlineError as error:
            problems[n] = str(error)
            deadlines[n] = None
    if problems and strict:
        first = min(problems)
        raise RoadMapError(
            _("Строка %(n)s: %(problem)s", n=first, problem=problems[first]), rows=problems
        )
    return deadlines


def save_actions(
    session: Session,
    road_map: RoadMap,
    actor: User,
    rows: list[ActionRow],
    *,
    strict: bool = True,
    audit_action: str = "roadmap.actions",
) -> list[RoadMapAction]:
    """Make the plan exactly `rows`, in this order. A row without an id is new; an action left
    out is deleted, or marked «исключено» once the map has ever been approved (its history stays).
    With `strict=False` (import) a row with an unreadable deadline is kept as written."""
    if not can_edit(actor, road_map):
        raise NotAllowed(
            _("Изменять можно только черновик или карту на доработке."), target=road_map
        )
    deadlines = _validate_rows(rows, strict)
    existing = {a.id: a for a in road_map.actions}
    unknown = {r.id for r in rows if r.id is not None} - set(existing)
    if unknown:
        raise RoadMapError(_("Мероприятие не принадлежит этой дорожной карте."))
    # Free the positions first: (road_map_id, position) is unique at every flush.
    for action in existing.values():
        action.position = -action.id
    session.flush()
    kept: list[RoadMapAction] = []
    stack: list[RoadMapAction] = []  # the last action seen at each depth
    for n, row in enumerate(rows, start=1):
        action = existing.pop(row.id) if row.id is not None else RoadMapAction(road_map=road_map)
        _nest(action, row.level, stack)
        action.position = n
        _fill(action, row, deadlines.get(n))
        session.add(action)
        kept.append(action)
    people = school_people(session, road_map.organization)
    for action in kept:
        action.responsible_user_id = person_named(people, action.responsible)
    _leave_out(session, road_map, list(existing.values()), len(rows))
    session.flush()
    session.expire(road_map, ["actions"])
    audit.record(actor, audit_action, road_map, rows=len(rows))
    return kept


def _nest(action: RoadMapAction, level: int, stack: list[RoadMapAction]) -> None:
    """Hang the action under the last one a level up (`stack`: the last action at each depth)."""
    level = max(0, min(level, len(stack)))
    del stack[level:]
    action.parent = stack[-1] if stack else None
    stack.append(action)


def _fill(action: RoadMapAction, row: ActionRow, deadline: Deadline | None) -> None:
    """The row's words on the action; a deadline that could not be read is kept as written."""
    action.number = _clean(row.number, 40)
    action.text = _clean(row.text, 5000) or ""
    if deadline is None:
        deadline = Deadline((row.deadline_text or "").strip(), "none", None)
    apply_deadline(action, deadline)
    action.responsible = _clean(row.responsible, 1000)
    action.expected_result = _clean(row.expected_result)
    action.target_value = _clean(row.target_value, 100)
    action.resources = _clean(row.resources)
    action.indicator_id = row.indicator_id
    if row.dropped:
        action.status = ActionStatus.DROPPED
    elif action.status in (None, ActionStatus.DROPPED):
        action.status = ActionStatus.PLANNED


def _leave_out(session: Session, road_map: RoadMap, left: list[RoadMapAction], tail: int) -> None:
    """Actions left out of the plan: deleted, or «исключено» after the rest once the map has
    ever been approved (their history stays)."""
    for action in left:
        if road_map.approved_at is not None:
            tail += 1
            action.position = tail
            action.status = ActionStatus.DROPPED
        else:
            session.delete(action)


def current_rows(road_map: RoadMap) -> list[ActionRow]:
    depth = levels(road_map)
    return [
        ActionRow(
            id=a.id,
            level=depth[a.id],
            number=a.number,
            text=a.text,
            deadline_text=a.deadline_text,
            responsible=a.responsible,
            expected_result=a.expected_result,
            target_value=a.target_value,
            resources=a.resources,
            indicator_id=a.indicator_id,
            dropped=a.status == ActionStatus.DROPPED,
        )
        for a in road_map.actions
    ]


def import_rows(session: Session, road_map: RoadMap, actor: User, drafts: list[Any]) -> int:
    """Append the readable rows of an imported table (documents.DraftAction) to the plan.
    Rows with an unreadable deadline keep the words as written and are flagged until fixed;
    rows without an action text cannot become actions and are reported by the preview."""
    new_rows = [_imported_row(d) for d in drafts if (d.text or "").strip()]
    if not new_rows:
        raise RoadMapError(_("В таблице нет ни одного мероприятия, которое можно загрузить."))
    save_actions(
        session,
        road_map,
        actor,
        current_rows(road_map) + new_rows,
        strict=False,
        audit_action="roadmap.import",
    )
    return len(new_rows)


def _imported_row(draft: Any) -> ActionRow:
    return ActionRow(
        text=draft.text,
        level=draft.level,
        number=draft.number or None,
        deadline_text=draft.deadline_text or "",
        responsible=draft.responsible or None,
        expected_result=draft.expected_result or None,
        target_value=draft.target_value or None,
        resources=draft.resources or None,
    )


def action_problems(road_map: RoadMap) -> dict[int, str]:
    """What keeps the plan from being submitted, by action id."""
    problems: dict[int, str] = {}
    for action in road_map.actions:
        if action.status == ActionStatus.DROPPED:
            continue
        if not action.text.strip():
            problems[action.id] = _("Не указано мероприятие.")
            continue
        try:
            parse_deadline(action.deadline_text)
        except DeadlineError as error:
            problems[action.id] = str(error)
    return problems


def transition(
    session: Session,
    road_map: RoadMap,
    move_name: str,
    actor: User | None,
    *,
    comment: str | None = None,
    action_comments: dict[int, str] | None = None,
) -> RoadMap:
    """Apply one move; the only place a road map's status changes. Submitting freezes a
    version; returning and approving close it; the assignment that asked for the map follows."""
    move = _checked_move(move_name, actor, road_map)
    comment = (comment or "").strip() or None
    notes = _action_notes(road_map, action_comments)
    now = clock.now()
    before = road_map.status
    version = latest_version(road_map)
    if move_name == "submit":
        version = _submitted_version(session, road_map, actor, version, now)
    elif move_name in ("return", "approve"):
        _review(road_map, move_name, actor, version, comment, notes, now)
    road_map.status = move.target
    session.flush()
    _follow_assignment(session, road_map, move_name, actor, version, comment)
    audit.record(
        actor,
        f"roadmap.{move_name}",
        road_map,
        **{"from": before, "to": road_map.status, "comment": comment},
        version=version.number if version else None,
    )
    notifications.road_map_moved(road_map, move_name, version)
    return road_map


def _checked_move(move_name: str, actor: User | None, road_map: RoadMap) -> Move:
    """The move, if it exists, the actor may make it and the map is in a state it starts from."""
    move = MOVES.get(move_name)
    if move is None:
        raise RoadMapError(_("Неизвестное действие: %(action)s", action=move_name))
    if not may(actor, move_name, road_map):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=road_map)
    if road_map.status not in move.sources:
        raise RoadMapError(
            _(
                "Нельзя выполнить это действие: дорожная карта в состоянии «%(state)s».",
                state=STATE_LABELS[road_map.status],
            )
        )
    return move


def _action_notes(road_map: RoadMap, action_comments: dict[int, str] | None) -> dict[str, str]:
    """The reviewer's non-empty remarks by action id; every action must be the map's own."""
    notes = {str(k): v.strip() for k, v in (action_comments or {}).items() if (v or "").strip()}
    action_ids = {a.id for a in road_map.actions}
    if any(int(k) not in action_ids for k in notes):
        raise RoadMapError(_("Мероприятие не принадлежит этой дорожной карте."))
    return notes


def _submitted_version(
    session: Session,
    road_map: RoadMap,
    actor: User | None,
    previous: RoadMapVersion | None,
    now: datetime,
) -> RoadMapVersion:
    """Submitting freezes the plan as a new version; a plan without actions or with unreadable
    deadlines is refused."""
    if not any(a.status != ActionStatus.DROPPED for a in road_map.actions):
        raise RoadMapError(_("Добавьте хотя бы одно мероприятие."))
    problems = action_problems(road_map)
    if problems:
        raise RoadMapError(
            _("Исправьте мероприятия, отмеченные в таблице: %(n)s.", n=len(problems))
        )
    version = RoadMapVersion(
        road_map=road_map,
        number=(previous.number + 1) if previous else 1,
        snapshot=snapshot(road_map),
        state=VersionState.SUBMITTED,
        submitted_by_id=actor.id if actor else None,
        submitted_at=now,
        action_comments={},
    )
    session.add(version)
    return version


def _review(
    road_map: RoadMap,
    move_name: str,
    actor: User | None,
    version: RoadMapVersion,
    comment: str | None,
    notes: dict[str, str],
    now: datetime,
) -> None:
    """Returning (with a remark, at least) or approving closes the version under review."""
    if move_name == "return" and not (comment or notes):
        raise RoadMapError(
            _("Напишите, что исправить: общий комментарий или замечания к мероприятиям.")
        )
    version.state = VersionState.RETURNED if move_name == "return" else VersionState.APPROVED
    version.reviewed_by_id = actor.id if actor else None
    version.reviewed_at = now
    version.review_comment = comment
    version.action_comments = notes
    if move_name == "approve":
        road_map.approved_by_id = actor.id if actor else None
        road_map.approved_at = now


def _check_mark(action: RoadMapAction, actor: User, status: str, uploads: int) -> None:
    road_map = action.road_map
    if not can(actor, "roadmap.edit", road_map.organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=road_map)
    if road_map.approved_at is None:
        raise RoadMapError(_("Отмечать выполнение можно после согласования дорожной карты."))
    if action.status == ActionStatus.DROPPED:
        raise RoadMapError(_("Мероприятие исключено из плана."))
    if status not in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE):
        raise RoadMapError(_("Неизвестное состояние мероприятия."))
    if uploads > files.MAX_FILES:
        raise RoadMapError(_("Можно приложить не больше %(n)s файлов.", n=files.MAX_FILES))


def _check_done(
    action: RoadMapAction, completed_on: date | None, today: date, evidence: bool
) -> None:
    """Done needs a date, not in the future, and evidence: words, a file, or one already there."""
    if completed_on is None:
        raise RoadMapError(_("Укажите дату выполнения."))
    if completed_on > today:
        raise RoadMapError(_("Дата выполнения не может быть в будущем."))
    if not evidence and not action.attachments:
        raise RoadMapError(_("Приложите подтверждение: опишите результат, дайте ссылку или файл."))


def _follow_assignment(
    session: Session,
    road_map: RoadMap,
    move_name: str,
    actor: User | None,
    version: RoadMapVersion | None,
    comment: str | None,
) -> None:
    """The assignment that asked for the map: submitting reports on it, returning returns the
    report, approving accepts it (closed, on time if the approved version came in time)."""
    from tracker.assignments import services as assignments
    from tracker.assignments.models import OPEN_STATES
    from tracker.notify.events import muted

    assignment = road_map.assignment
    if assignment is None or actor is None:
        return
    with muted():  # the road map's own letters say it
        if move_name == "submit" and assignment.status in OPEN_STATES:
            assignments.submit_report(
                session,
                assignment,
                actor,
                _(
                    "Дорожная карта «%(title)s» направлена на согласование (версия %(n)s).",
                    title=road_map.title,
                    n=version.number,
                ),
            )
        elif move_name in ("return", "approve") and assignment.status == AssignmentStatus.REPORTED:
            assignments.transition(
                session,
                assignment,
                "accept" if move_name == "approve" else "return",
                actor,
                comment=comment or _("Замечания к мероприятиям дорожной карты."),
            )


def mark_action(
    session: Session,
    action: RoadMapAction,
    actor: User,
    status: str,
    *,
    completed_on: date | None = None,
    evidence: str | None = None,
    uploads: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> RoadMapAction:
    """The school marks an action of an approved plan: done (with a date and evidence),
    in progress, or back to planned. Changing the plan itself needs a new version."""
    road_map = action.road_map
    _check_mark(action, actor, status, len(uploads))
    evidence = _clean(evidence)
    if status == ActionStatus.DONE:
        today = clock.today(road_map.organization.timezone)
        _check_done(action, completed_on, today, bool(evidence or uploads))
    action.status = status
    action.completed_on = completed_on if status == ActionStatus.DONE else None
    action.evidence = evidence
    for filename, data, ext in uploads:
        action.attachments.append(
            files.store(
                data,
                filename=filename,
                ext=ext,
                organization_id=road_map.organization_id,
                uploaded_by_id=actor.id,
                road_map_action_id=action.id,
            )
        )
    session.flush()
    audit.record(
        actor,
        "roadmap.mark",
        road_map,
        action_id=action.id,
        status=status,
        completed_on=completed_on.isoformat() if completed_on else None,
    )
    return action
