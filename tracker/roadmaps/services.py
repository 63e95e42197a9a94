"""Road maps: writing the plan, one transition function for approval, execution and progress.

черновик → на согласовании → на доработке → согласовано; an approved map that has to change
(a new date, a dropped action) goes back to черновик and through approval again as a new version.
Services flush, views commit; every change is audited in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased

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
# The columns of the plan that a reviewer compares between versions.
PLAN_FIELDS = (
    "number",
    "text",
    "deadline_text",
    "responsible",
    "expected_result",
    "target_value",
    "resources",
    "level",
    "status",
)
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


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class DiffRow:
    change: str  # added | removed | changed | same
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: list[str] = field(default_factory=list)


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


def levels(road_map: RoadMap) -> dict[int, int]:
    """How deep each action sits under its parents (0 = top)."""
    by_id = {a.id: a for a in road_map.actions}
    result: dict[int, int] = {}
    for action in road_map.actions:
        depth, parent = 0, action.parent_id
        while parent is not None and parent in by_id and depth < 10:
            depth, parent = depth + 1, by_id[parent].parent_id
        result[action.id] = depth
    return result


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
        level = max(0, min(row.level, len(stack)))
        del stack[level:]
        action.parent = stack[-1] if stack else None
        stack.append(action)
        action.position = n
        action.number = _clean(row.number, 40)
        action.text = _clean(row.text, 5000) or ""
        deadline = deadlines.get(n)
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
        session.add(action)
        kept.append(action)
    people = _responsible_people(session, road_map.organization)
    for action in kept:
        action.responsible_user_id = _person_named(people, action.responsible)
    ever_approved = road_map.approved_at is not None
    tail = len(rows)
    for action in existing.values():
        if ever_approved:
            tail += 1
            action.position = tail
            action.status = ActionStatus.DROPPED
        else:
            session.delete(action)
    session.flush()
    session.expire(road_map, ["actions"])
    audit.record(actor, audit_action, road_map, rows=len(rows))
    return kept


def _compact(text: str) -> str:
    return re.sub(r"[\s.]+", "", text.casefold().replace("ё", "е"))


def _responsible_people(session: Session, school: Organization) -> list[tuple[int, set[str]]]:
    """The school's people with the ways a plan names them: «Иванова Наталья Викторовна»,
    «Иванова Н.В.»."""
    from tracker.meetings.services import people_candidates

    found = []
    for user in people_candidates(session, school):
        words = user.full_name.split()
        forms = {_compact(user.full_name)}
        if len(words) >= 2:
            forms.add(_compact(words[0] + "".join(w[0] for w in words[1:])))
        found.append((user.id, {f for f in forms if len(f) >= 4}))
    return found


def _person_named(people: list[tuple[int, set[str]]], responsible: str | None) -> int | None:
    """The one person of the school the «Ответственный» cell names, so reminders reach them;
    none (the directors are reminded) when nobody or several match."""
    if not responsible:
        return None
    text = _compact(responsible)
    matches = {user_id for user_id, forms in people if any(f in text for f in forms)}
    return matches.pop() if len(matches) == 1 else None


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
    new_rows = [
        ActionRow(
            text=d.text,
            level=d.level,
            number=d.number or None,
            deadline_text=d.deadline_text or "",
            responsible=d.responsible or None,
            expected_result=d.expected_result or None,
            target_value=d.target_value or None,
            resources=d.resources or None,
        )
        for d in drafts
        if (d.text or "").strip()
    ]
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


def snapshot(road_map: RoadMap) -> dict[str, Any]:
    depth = levels(road_map)
    return {
        "title": road_map.title,
        "period_start": road_map.period_start.isoformat() if road_map.period_start else None,
        "period_end": road_map.period_end.isoformat() if road_map.period_end else None,
        "actions": [
            {
                "id": a.id,
                "number": a.number,
                "text": a.text,
                "deadline_text": a.deadline_text,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "responsible": a.responsible,
                "expected_result": a.expected_result,
                "target_value": a.target_value,
                "resources": a.resources,
                "level": depth[a.id],
                "status": "dropped" if a.status == ActionStatus.DROPPED else "active",
            }
            for a in road_map.actions
        ],
    }


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffRow]:
    """Action by action: what the new version adds, removes or changes against the old one."""
    if old is None:
        return [DiffRow("added", None, a) for a in new["actions"]]
    before = {a["id"]: a for a in old["actions"]}
    rows: list[DiffRow] = []
    for action in new["actions"]:
        previous = before.pop(action["id"], None)
        if previous is None:
            rows.append(DiffRow("added", None, action))
            continue
        changed = [f for f in PLAN_FIELDS if previous.get(f) != action.get(f)]
        if changed == ["status"] or ("status" in changed and action["status"] == "dropped"):
            rows.append(DiffRow("removed", previous, action, changed))
        else:
            rows.append(DiffRow("changed" if changed else "same", previous, action, changed))
    rows.extend(DiffRow("removed", a, None) for a in before.values())
    return rows


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
    comment = (comment or "").strip() or None
    notes = {str(k): v.strip() for k, v in (action_comments or {}).items() if (v or "").strip()}
    action_ids = {a.id for a in road_map.actions}
    if any(int(k) not in action_ids for k in notes):
        raise RoadMapError(_("Мероприятие не принадлежит этой дорожной карте."))
    now = clock.now()
    before = road_map.status
    version = latest_version(road_map)
    if move_name == "submit":
        active = [a for a in road_map.actions if a.status != ActionStatus.DROPPED]
        if not active:
            raise RoadMapError(_("Добавьте хотя бы одно мероприятие."))
        problems = action_problems(road_map)
        if problems:
            raise RoadMapError(
                _("Исправьте мероприятия, отмеченные в таблице: %(n)s.", n=len(problems))
            )
        version = RoadMapVersion(
            road_map=road_map,
            number=(version.number + 1) if version else 1,
            snapshot=snapshot(road_map),
            state=VersionState.SUBMITTED,
            submitted_by_id=actor.id if actor else None,
            submitted_at=now,
            action_comments={},
        )
        session.add(version)
    elif move_name in ("return", "approve"):
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


def latest_version(road_map: RoadMap) -> RoadMapVersion | None:
    return road_map.versions[-1] if road_map.versions else None


def review_diff(road_map: RoadMap) -> list[DiffRow]:
    """The version under review against the one before it."""
    versions = road_map.versions
    if not versions:
        return diff(None, snapshot(road_map))
    previous = versions[-2].snapshot if len(versions) > 1 else None
    return diff(previous, versions[-1].snapshot)


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
    if not can(actor, "roadmap.edit", road_map.organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=road_map)
    if road_map.approved_at is None:
        raise RoadMapError(_("Отмечать выполнение можно после согласования дорожной карты."))
    if action.status == ActionStatus.DROPPED:
        raise RoadMapError(_("Мероприятие исключено из плана."))
    if status not in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE):
        raise RoadMapError(_("Неизвестное состояние мероприятия."))
    if len(uploads) > files.MAX_FILES:
        raise RoadMapError(_("Можно приложить не больше %(n)s файлов.", n=files.MAX_FILES))
    evidence = _clean(evidence)
    today = clock.today(road_map.organization.timezone)
    if status == ActionStatus.DONE:
        if completed_on is None:
            raise RoadMapError(_("Укажите дату выполнения."))
        if completed_on > today:
            raise RoadMapError(_("Дата выполнения не может быть в будущем."))
        if not evidence and not uploads and not action.attachments:
            raise RoadMapError(
                _("Приложите подтверждение: опишите результат, дайте ссылку или файл.")
            )
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


def _leaf_clause() -> sa.ColumnElement[bool]:
    """An action that counts: not dropped and not a section with live sub-actions."""
    child = aliased(RoadMapAction)
    return sa.and_(
        RoadMapAction.status != ActionStatus.DROPPED,
        ~sa.exists().where(
            child.parent_id == RoadMapAction.id, child.status != ActionStatus.DROPPED
        ),
    )


def progress_for(session: Session, road_map_ids: list[int], today: date) -> dict[int, Progress]:
    """Progress of many maps in one grouped query (the department's view)."""
    if not road_map_ids:
        return {}
    done = RoadMapAction.status == ActionStatus.DONE
    on_time = sa.and_(
        done,
        sa.or_(
            RoadMapAction.due_date.is_(None), RoadMapAction.completed_on <= RoadMapAction.due_date
        ),
    )
    # Execution is tracked against an approved plan: a draft's dates are not yet promises.
    overdue = sa.and_(~done, RoadMapAction.due_date < today, RoadMap.approved_at.is_not(None))
    rows = session.execute(
        sa.select(
            RoadMapAction.road_map_id,
            sa.func.count(),
            sa.func.count().filter(done),
            sa.func.count().filter(on_time),
            sa.func.count().filter(overdue),
        )
        .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
        .where(RoadMapAction.road_map_id.in_(road_map_ids), _leaf_clause())
        .group_by(RoadMapAction.road_map_id)
    ).all()
    result = {i: Progress() for i in road_map_ids}
    for map_id, total, n_done, n_on_time, n_overdue in rows:
        result[map_id] = Progress(total, n_done, n_on_time, n_overdue)
    return result


def progress(session: Session, road_map: RoadMap) -> Progress:
    today = clock.today(road_map.organization.timezone)
    return progress_for(session, [road_map.id], today)[road_map.id]


def overdue_actions(road_map: RoadMap) -> set[int]:
    if road_map.approved_at is None:
        return set()
    today = clock.today(road_map.organization.timezone)
    return {
        a.id
        for a in road_map.actions
        if a.status not in (ActionStatus.DONE, ActionStatus.DROPPED)
        and a.due_date is not None
        and a.due_date < today
    }


def history(session: Session, road_map: RoadMap) -> list[Any]:
    from tracker.core.models import AuditLog

    return list(
        session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "road_maps", AuditLog.object_id == road_map.id)
            .order_by(AuditLog.at, AuditLog.id)
        )
    )


def submitted_at(road_map: RoadMap) -> datetime | None:
    version = latest_version(road_map)
    return version.submitted_at if version else None
