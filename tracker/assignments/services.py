"""The life of an assignment: one transition function, reports, extensions, comments.

назначено → в работе → отчёт представлен → исполнено (снято с контроля) | на доработке;
отменено. Every change is audited in the same transaction; services flush, views commit.
Bulk actions are in assignments.bulk, saved filters in assignments.filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.assignments import notifications
from tracker.assignments.models import (
    OPEN_STATES,
    Assignment,
    AssignmentStatus,
    ExecutionReport,
    ExtensionRequest,
    ExtensionState,
    ReportState,
)
from tracker.core import audit, clock, files
from tracker.core.deadlines import Deadline, occurrences, overdue_from
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _
from tracker.core.models import Comment
from tracker.core.permissions import can
from tracker.core.tenancy import Organization, User
from tracker.core.web import ru_date

STATE_LABELS = {
    AssignmentStatus.ASSIGNED: _l("назначено"),
    AssignmentStatus.IN_PROGRESS: _l("в работе"),
    AssignmentStatus.REPORTED: _l("отчёт представлен"),
    AssignmentStatus.RETURNED: _l("на доработке"),
    AssignmentStatus.DONE: _l("исполнено"),
    AssignmentStatus.CANCELLED: _l("отменено"),
}


HISTORY_LABELS = {
    "assignment.create": _l("поручение создано"),
    "assignment.update": _l("изменено по решению"),
    "assignment.start": _l("взято в работу"),
    "assignment.report": _l("представлен отчёт"),
    "assignment.accept": _l("отчёт принят, снято с контроля"),
    "assignment.return": _l("возвращено на доработку"),
    "assignment.cancel": _l("отменено"),
    "assignment.reopen": _l("возвращено на контроль"),
    "assignment.extension_requested": _l("попросили перенести срок"),
    "assignment.extension_granted": _l("срок перенесён"),
    "assignment.extension_refused": _l("в переносе срока отказано"),
    "assignment.comment": _l("комментарий"),
    "assignment.delegate": _l("передано исполнителю в школе"),
    "assignment.draft": _l("черновик отчёта сохранён"),
    "assignment.deadline_moved": _l("срок изменён контролёром"),
}


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    permission: str
    needs_comment: bool = False


# The table of allowed moves. `permission` is checked against the assignment's organization;
# control moves are also open to the decision's named controller.
MOVES: dict[str, Move] = {
    "start": Move(
        frozenset({AssignmentStatus.ASSIGNED}), AssignmentStatus.IN_PROGRESS, "assignment.report"
    ),
    "report": Move(frozenset(OPEN_STATES), AssignmentStatus.REPORTED, "assignment.report"),
    "accept": Move(
        frozenset({AssignmentStatus.REPORTED}), AssignmentStatus.DONE, "assignment.control"
    ),
    "return": Move(
        frozenset({AssignmentStatus.REPORTED}),
        AssignmentStatus.RETURNED,
        "assignment.control",
        needs_comment=True,
    ),
    "cancel": Move(
        frozenset({*OPEN_STATES, AssignmentStatus.REPORTED}),
        AssignmentStatus.CANCELLED,
        "assignment.control",
        needs_comment=True,
    ),
    "reopen": Move(
        frozenset({AssignmentStatus.DONE, AssignmentStatus.CANCELLED}),
        AssignmentStatus.IN_PROGRESS,
        "assignment.control",
    ),
}


class AssignmentError(Refused):
    """A refused change, with a Russian message for the user."""


REVIEW_MOVES = ("accept", "return")


def executes(actor: User | None, assignment: Assignment) -> bool:
    """The actor carries out the assignment: its person, or one who reports for its organization,
    or the author of the report waiting for review."""
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    if actor_id is None:
        return False
    if actor_id == assignment.assignee_id or can(
        actor, "assignment.report", assignment.organization
    ):
        return True
    return any(
        r.author_id == actor_id for r in assignment.reports if r.state == ReportState.SUBMITTED
    )


def may(actor: User | None, action: str, assignment: Assignment) -> bool:
    """The table's permission on the organization, or the person named on the assignment (for
    reporting) or on the decision as its controller (for control moves). Nobody reviews a
    report on an assignment they carry out themselves."""
    move = MOVES[action]
    if action in REVIEW_MOVES and executes(actor, assignment):
        return False
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    if move.permission == "assignment.report" and actor_id == assignment.assignee_id is not None:
        return True
    if can(actor, move.permission, assignment.organization):
        return move.permission != "assignment.report" or submits(actor, assignment)
    if actor_id is None:
        return False
    if move.permission == "assignment.report":
        return False
    return actor_id == assignment.decision.controller_id


def submits(actor: User | None, assignment: Assignment) -> bool:
    """Whether one who reports for the school submits the report themselves: the director
    always; a deputy or teacher unless the school has them prepare reports for the director."""
    organization = assignment.organization
    return organization.deputies_submit or can(actor, "assignment.delegate", organization)


def drafts(actor: User | None, assignment: Assignment) -> bool:
    """The actor may prepare the report: one who may submit it, or the one it was handed to."""
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    handed = actor_id is not None and actor_id == assignment.delegate_id
    return assignment.status in OPEN_STATES and (handed or may(actor, "report", assignment))


def delegate(
    session: Session, assignment: Assignment, actor: User, person: User | None
) -> Assignment:
    """The director hands the assignment to a deputy or teacher of the same school (or takes
    it back with `person` None); the person is told and finds it in their inbox."""
    organization = assignment.organization
    if not can(actor, "assignment.delegate", organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    if assignment.status not in OPEN_STATES:
        raise AssignmentError(_("Передать можно только открытое поручение."))
    if person is not None and not (
        person.active and person.roles_in(organization.id) & {"director", "school_staff"}
    ):
        raise AssignmentError(_("Передать поручение можно только сотруднику вашей организации."))
    before = assignment.delegate_id
    assignment.delegate_id = person.id if person else None
    session.flush()
    audit.record(
        actor,
        "assignment.delegate",
        assignment,
        **{"from": before, "to": assignment.delegate_id},
    )
    if person is not None and person.id != before:
        notifications.delegated(assignment, person, actor)
    return assignment


def school_people(session: Session, organization: Organization) -> list[User]:
    """Who an assignment of the school may be handed to: its active director and staff."""
    from tracker.core.tenancy import Membership

    return list(
        session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organization_id == organization.id,
                Membership.role.in_(("director", "school_staff")),
                User.active.is_(True),
            )
            .order_by(User.full_name)
            .distinct()
        )
    )


def save_draft(session: Session, assignment: Assignment, actor: User, text: str) -> None:
    """Keep the report being prepared; whoever may submit it finds it in the report form."""
    if not drafts(actor, assignment):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    text = (text or "").strip()
    if len(text) > 20000:
        raise AssignmentError(_("Черновик длиннее 20000 знаков."))
    assignment.report_draft = text or None
    session.flush()
    audit.record(actor, "assignment.draft", assignment)


def set_deputies_submit(
    session: Session, organization: Organization, actor: User, allowed: bool
) -> None:
    """The school's choice: deputies submit their reports, or prepare them for the director."""
    if not can(actor, "assignment.delegate", organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=organization)
    organization.deputies_submit = allowed
    session.flush()
    audit.record(actor, "organization.deputies_submit", organization, allowed=allowed)


def allowed_moves(actor: User | None, assignment: Assignment) -> list[str]:
    return [
        name
        for name, move in MOVES.items()
        if assignment.status in move.sources and may(actor, name, assignment)
    ]


def transition(
    session: Session,
    assignment: Assignment,
    action: str,
    actor: User | None,
    *,
    comment: str | None = None,
    via: str | None = None,
    automatic: bool = False,
) -> Assignment:
    """Apply one move from the table; the only place an assignment's status changes.
    `via` names the channel when it is not the page (a report by mail: "mail").
    `automatic`: the system accepts by a rule staff set (monitoring values all in): only
    acceptance, never from a page, recorded with no actor and `via` naming the rule."""
    move = _checked_move(assignment, action, actor, via, automatic)
    if automatic:
        actor = None
    comment = (comment or "").strip() or None
    if move.needs_comment and not comment:
        raise AssignmentError(_("Напишите комментарий: исполнитель должен понять, что исправить."))
    before = assignment.status
    now = clock.now()
    assignment.status = move.target
    if action == "report":
        assignment.reported_at = now
    elif action in ("accept", "return"):
        _review_report(session, assignment, action == "accept", actor, comment, now)
    elif action == "reopen":
        assignment.done_at = None
        assignment.on_time = None
    session.flush()
    audit.record(
        actor,
        f"assignment.{action}",
        assignment,
        **{"from": before, "to": assignment.status, "comment": comment},
        **({"via": via} if via else {}),
    )
    return assignment


def _checked_move(
    assignment: Assignment, action: str, actor: User | None, via: str | None, automatic: bool
) -> Move:
    """The move, if it exists, the actor (or the rule, for an automatic acceptance) may make it,
    and the assignment is in a state it starts from."""
    move = MOVES.get(action)
    if move is None:
        raise AssignmentError(_("Неизвестное действие: %(action)s", action=action))
    allowed = (action == "accept" and bool(via)) if automatic else may(actor, action, assignment)
    if not allowed:
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    if assignment.status not in move.sources:
        raise AssignmentError(
            _(
                "Нельзя выполнить это действие: поручение в состоянии «%(state)s».",
                state=STATE_LABELS[assignment.status],
            )
        )
    return move


def _review_report(
    session: Session,
    assignment: Assignment,
    accepted: bool,
    actor: User | None,
    comment: str | None,
    now: datetime,
) -> None:
    """Accepting or returning the latest report; accepting closes the assignment (or moves a
    recurring one on)."""
    report = latest_report(assignment)
    report.state = ReportState.ACCEPTED if accepted else ReportState.RETURNED
    report.reviewed_by_id = actor.id if actor else None
    report.reviewed_at = now
    report.review_comment = comment
    if accepted:
        _close_or_advance(assignment, report)
    session.flush()
    notifications.report_reviewed(assignment, report, accepted=accepted)


def _close_or_advance(assignment: Assignment, report: ExecutionReport) -> None:
    """Accepting closes the assignment, except a recurring one, which moves to its next date."""
    tz = assignment.organization.timezone
    due = assignment.due_date
    assignment.on_time = due is None or report.submitted_at < overdue_from(due, tz)
    decision = assignment.decision
    if decision.deadline_kind == "recurring" and due is not None:
        following = next_occurrence(decision_deadline(decision), after=due)
        if following is not None:
            assignment.status = AssignmentStatus.IN_PROGRESS
            assignment.due_date = following
            assignment.original_due_date = following
            return
    assignment.done_at = clock.now()


def decision_deadline(decision: Any) -> Deadline:
    return Deadline(
        text=decision.deadline_text,
        kind=decision.deadline_kind,
        due_date=decision.due_date,
        rule=decision.deadline_rule,
        offset_days=decision.deadline_offset_days,
        event=decision.deadline_event,
    )


def next_occurrence(deadline: Deadline, after: date) -> date | None:
    upcoming = occurrences(deadline, after + timedelta(days=1), after + timedelta(days=400))
    return upcoming[0] if upcoming else None


def latest_report(assignment: Assignment) -> ExecutionReport:
    submitted = [r for r in assignment.reports if r.state == ReportState.SUBMITTED]
    if not submitted:
        raise AssignmentError(_("Нет отчёта, ожидающего проверки."))
    return submitted[-1]


def submit_report(
    session: Session,
    assignment: Assignment,
    actor: User,
    text: str,
    uploads: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    via: str | None = None,
) -> ExecutionReport:
    """An execution report with files; the assignment moves to «отчёт представлен»."""
    text = (text or "").strip()
    if not text:
        raise AssignmentError(_("Опишите, что сделано: текст отчёта не может быть пустым."))
    if len(uploads) > files.MAX_FILES:
        raise AssignmentError(
            _("К отчёту можно приложить не больше %(n)s файлов.", n=files.MAX_FILES)
        )
    if not may(actor, "report", assignment):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    report = ExecutionReport(
        assignment=assignment,
        author_id=actor.id,
        text=text,
        occurrence_date=assignment.due_date
        if assignment.decision.deadline_kind == "recurring"
        else None,
        submitted_at=clock.now(),
    )
    session.add(report)
    session.flush()
    for filename, data, ext in uploads:
        report.attachments.append(
            files.store(
                data,
                filename=filename,
                ext=ext,
                organization_id=assignment.organization_id,
                uploaded_by_id=actor.id,
                execution_report_id=report.id,
            )
        )
    assignment.report_draft = None
    transition(session, assignment, "report", actor, via=via)
    notifications.report_submitted(assignment, report)
    return report


def request_extension(
    session: Session,
    assignment: Assignment,
    actor: User,
    reason: str,
    proposed: date,
    via: str | None = None,
) -> ExtensionRequest:
    if not may(actor, "report", assignment):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    if assignment.status not in OPEN_STATES:
        raise AssignmentError(_("Перенос срока можно просить только по открытому поручению."))
    _check_proposed(assignment.due_date, proposed)
    if not (reason or "").strip():
        raise AssignmentError(_("Укажите причину переноса срока."))
    if any(e.state == ExtensionState.PENDING for e in assignment.extensions):
        raise AssignmentError(_("Просьба о переносе уже ждёт решения контролёра."))
    request = ExtensionRequest(
        assignment=assignment,
        requested_by_id=actor.id,
        reason=reason.strip(),
        previous_due_date=assignment.due_date,
        proposed_date=proposed,
        created_at=clock.now(),
    )
    session.add(request)
    session.flush()
    notifications.extension_requested(assignment, request)
    audit.record(
        actor,
        "assignment.extension_requested",
        assignment,
        proposed=proposed.isoformat(),
        **({"via": via} if via else {}),
    )
    return request


def _check_proposed(due: date | None, proposed: date) -> None:
    """A new deadline later than the one in force, by a year at most."""
    if due is None:
        raise AssignmentError(_("У поручения нет срока, переносить нечего."))
    if proposed <= due:
        raise AssignmentError(
            _("Новый срок должен быть позже текущего (%(date)s).", date=due.strftime("%d.%m.%Y"))
        )
    if proposed > due + timedelta(days=366):
        raise AssignmentError(_("Перенос больше чем на год не принимается: проверьте дату."))


def decide_extension(
    session: Session,
    request: ExtensionRequest,
    actor: User,
    grant: bool,
    comment: str | None = None,
) -> ExtensionRequest:
    """The controller grants or refuses; the original deadline stays on the assignment."""
    assignment = request.assignment
    if not may(actor, "accept", assignment) or request.requested_by_id == actor.id:
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=assignment)
    if request.state != ExtensionState.PENDING:
        raise AssignmentError(_("По этой просьбе решение уже принято."))
    request.state = ExtensionState.GRANTED if grant else ExtensionState.REFUSED
    request.decided_by_id = actor.id
    request.decided_at = clock.now()
    request.decision_comment = (comment or "").strip() or None
    if grant:
        assignment.due_date = request.proposed_date
        assignment.extension_count += 1
    session.flush()
    notifications.extension_decided(assignment, request)
    audit.record(
        actor,
        "assignment.extension_granted" if grant else "assignment.extension_refused",
        assignment,
        proposed=request.proposed_date.isoformat(),
        comment=request.decision_comment,
    )
    return request


def move_deadline(
    session: Session, assignment: Assignment, actor: User, new_date: date, comment: str | None
) -> Assignment:
    """The controller sets a new deadline in force (the protocol's stays as original_due_date)."""
    if not may(actor, "cancel", assignment):
        raise NotAllowed(_("Недостаточно прав для этого действия."))
    if assignment.status not in (*OPEN_STATES, AssignmentStatus.REPORTED):
        raise AssignmentError(
            _(
                "Срок можно менять только у неисполненного поручения (сейчас «%(state)s»).",
                state=STATE_LABELS[assignment.status],
            )
        )
    today = clock.today(assignment.organization.timezone)
    if not today - timedelta(days=366) <= new_date <= today + timedelta(days=3 * 366):
        raise AssignmentError(_("Новый срок должен быть в пределах года назад и трёх лет вперёд."))
    before = assignment.due_date
    assignment.due_date = new_date
    session.flush()
    audit.record(
        actor,
        "assignment.deadline_moved",
        assignment,
        **{
            "from": before.isoformat() if before else None,
            "to": new_date.isoformat(),
            "comment": (comment or "").strip() or None,
        },
    )
    return assignment


def add_comment(session: Session, assignment: Assignment, actor: User, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise AssignmentError(_("Комментарий пустой."))
    if len(body) > 5000:
        raise AssignmentError(_("Комментарий длиннее 5000 знаков."))
    comment = Comment(assignment_id=assignment.id, author_id=actor.id, body=body)
    session.add(comment)
    session.flush()
    audit.record(actor, "assignment.comment", assignment)
    return comment


def deadline_moved(assignment: Assignment) -> bool:
    """The deadline in force is not the protocol's: extended, or moved apart from the words."""
    decision = assignment.decision
    if assignment.extension_count:
        return True
    return (
        decision.deadline_kind in ("date", "month")
        and assignment.due_date is not None
        and assignment.due_date != decision.due_date
    )


def deadline_in_force(assignment: Assignment, long: bool = False) -> str:
    """One deadline, the one in force: the protocol's words while they hold («в срок до
    27.02.2023»), the new date once it moved («до 15.03.2023, перенесён с 27.02.2023») —
    never the old words beside the new date. Pages (`long`: «15 марта 2023»), letters and
    exports all say this."""
    decision = assignment.decision
    due = assignment.due_date
    if due is None:
        return decision.deadline_text or _("без срока")
    if deadline_moved(assignment):
        return _moved(due, assignment.original_due_date or decision.due_date, long)
    words = decision.deadline_text or ""
    if long:
        return f"{words} — {_shown(due, long)}" if words else _shown(due, long)
    return words if _shown(due, long) in words else f"{words} ({_shown(due, long)})".strip()


def _moved(due: date, first: date | None, long: bool) -> str:
    """«до 15.03.2023, перенесён с 27.02.2023»."""
    if first and first != due:
        return _(
            "до %(date)s, перенесён с %(first)s", date=_shown(due, long), first=_shown(first, long)
        )
    return _("до %(date)s", date=_shown(due, long))


def _shown(day: date, long: bool) -> str:
    return ru_date(day) if long else day.strftime("%d.%m.%Y")


def is_overdue(
    assignment: Assignment, now: datetime | None = None, *, as_of: date | None = None
) -> bool:
    """Open, with a deadline, and past 00:00 of the day after it in the organization's zone
    (or, with `as_of`, a deadline before that local date)."""
    if assignment.status not in OPEN_STATES or assignment.due_date is None:
        return False
    if as_of is not None:
        return assignment.due_date < as_of
    moment = now or clock.now()
    return moment >= overdue_from(assignment.due_date, assignment.organization.timezone)


def history(session: Session, assignment: Assignment) -> list[Any]:
    from tracker.core.models import AuditLog

    return list(
        session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "assignments", AuditLog.object_id == assignment.id)
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
