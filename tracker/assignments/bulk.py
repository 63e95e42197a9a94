"""One action on many selected assignments (the control board's bulk actions), all or nothing,
each row through the one function that owns the move."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from tracker.assignments.models import Assignment, ExtensionState
from tracker.assignments.services import (
    AssignmentError,
    decide_extension,
    move_deadline,
    transition,
)
from tracker.core.errors import NotAllowed
from tracker.core.i18n import _
from tracker.core.permissions import visible_to
from tracker.core.tenancy import User

BULK_ACTIONS = {
    "accept": _l("принять отчёты"),
    "return": _l("вернуть на доработку"),
    "grant": _l("перенести срок по просьбе"),
    "refuse": _l("отказать в переносе срока"),
    "move_deadline": _l("установить новый срок"),
    "cancel": _l("отменить"),
}
MAX_BULK = 500


class BulkRefused(AssignmentError):
    """Some selected rows cannot take the action: nothing was changed; `rows` names them
    (id, the reason in Russian, whether it was a matter of rights or visibility)."""

    def __init__(self, message: str, rows: list[tuple[int, str, bool]]) -> None:
        super().__init__(message)
        self.rows = rows


def row_label(assignment: Assignment) -> str:
    decision = assignment.decision
    who = (
        assignment.assignee.full_name if assignment.assignee else assignment.organization.short_name
    )
    if decision.number:
        return _("п. %(number)s — %(who)s", number=decision.number, who=who)
    return _("№ %(id)s — %(who)s", id=assignment.id, who=who)


def bulk_apply(
    session: Session,
    actor: User,
    assignment_ids: list[int],
    action: str,
    *,
    comment: str | None = None,
    new_date: date | None = None,
) -> list[Assignment]:
    """One action on the selected assignments, each through its one function (the transition,
    the extension decision, the deadline move), each audited on its own. All or nothing: when
    any row refuses, BulkRefused lists every such row with its reason, and the caller rolls
    the whole transaction back."""
    ids = list(dict.fromkeys(i for i in assignment_ids if isinstance(i, int) and i > 0))
    _check_request(action, ids, new_date)
    found = _visible(session, actor, ids)
    refused: list[tuple[int, str, bool]] = []
    done: list[Assignment] = []
    for assignment_id in ids:
        assignment = found.get(assignment_id)
        if assignment is None:
            text = _("№ %(id)s: поручение не найдено", id=assignment_id)
            refused.append((assignment_id, text, True))
            continue
        try:
            _apply_one(session, actor, assignment, action, comment, new_date)
        except (AssignmentError, NotAllowed) as error:
            denied = isinstance(error, NotAllowed)
            reason = _("нет права на это действие") if denied else str(error)
            refused.append((assignment_id, f"{row_label(assignment)}: {reason}", denied))
        else:
            done.append(assignment)
    if refused:
        raise _refusal(action, refused)
    return done


def _visible(session: Session, actor: User, ids: list[int]) -> dict[int, Assignment]:
    """The selected assignments the actor can see, with what the actions read loaded."""
    return {
        a.id: a
        for a in session.scalars(
            sa.select(Assignment)
            .where(Assignment.id.in_(ids), visible_to(actor, Assignment))
            .options(
                selectinload(Assignment.reports),
                selectinload(Assignment.extensions),
                selectinload(Assignment.organization),
                selectinload(Assignment.decision),
                selectinload(Assignment.assignee),
            )
        )
    }


def _check_request(action: str, ids: list[int], new_date: date | None) -> None:
    if action not in BULK_ACTIONS:
        raise AssignmentError(_("Неизвестное действие: %(action)s", action=action))
    if not ids:
        raise AssignmentError(_("Отметьте поручения, к которым применить действие."))
    if len(ids) > MAX_BULK:
        raise AssignmentError(_("За один раз — не больше %(n)s поручений.", n=MAX_BULK))
    if action == "move_deadline" and new_date is None:
        raise AssignmentError(_("Укажите новый срок в формате ДД.ММ.ГГГГ."))


def _apply_one(
    session: Session,
    actor: User,
    assignment: Assignment,
    action: str,
    comment: str | None,
    new_date: date | None,
) -> None:
    """The action on one row, through the one function that owns it."""
    if action == "move_deadline":
        move_deadline(session, assignment, actor, new_date, comment)  # type: ignore[arg-type]
    elif action in ("grant", "refuse"):
        pending = [e for e in assignment.extensions if e.state == ExtensionState.PENDING]
        if not pending:
            raise AssignmentError(_("нет просьбы о переносе срока"))
        decide_extension(session, pending[-1], actor, action == "grant", comment)
    else:
        transition(session, assignment, action, actor, comment=comment)


def _refusal(action: str, refused: list[tuple[int, str, bool]]) -> BulkRefused:
    """Every refused row named (the first twenty, then how many more)."""
    listed = "; ".join(row[1] for row in refused[:20])
    if len(refused) > 20:
        listed += " " + _("и ещё %(n)s", n=len(refused) - 20)
    return BulkRefused(
        _(
            "Ничего не изменено: действие «%(action)s» нельзя выполнить для: %(rows)s.",
            action=BULK_ACTIONS[action],
            rows=listed,
        ),
        refused,
    )
