"""The sweep's reminders of assignments (registered with notify): the executor's reminders
before the deadline, on the day and while overdue, the escalation to the controller, the
staff digest's lines grouped by decision, and the kinds of letters about assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.assignments.models import OPEN_STATES, Assignment, AssignmentStatus
from tracker.assignments.services import deadline_in_force
from tracker.core.tenancy import Organization, User
from tracker.core.urls import external_url
from tracker.meetings.models import Decision
from tracker.notify.models import OutboxMessage
from tracker.notify.reminders import deadlines, plans
from tracker.notify.services import Blanked, blank, fill, render_mail, with_blanks
from tracker.notify.sources import (
    DigestSection,
    Due,
    ReminderSource,
    Window,
    Windows,
    directors_of,
    register_digest,
    register_kind,
    register_source,
    users,
)


class AssignmentReminders(ReminderSource):
    name = "assignment"
    in_digest = True

    def due(self, session: Session, windows: Windows) -> list[Due]:
        planned = plans(windows)
        rows = session.execute(
            sa.select(
                Assignment.id,
                Assignment.organization_id,
                Assignment.assignee_id,
                Assignment.due_date,
                Decision.controller_id,
                Organization.path,
                Organization.timezone,
                Organization.email,
            )
            .join(Decision, Decision.id == Assignment.decision_id)
            .join(Organization, Organization.id == Assignment.organization_id)
            .where(
                Assignment.status.in_(OPEN_STATES),
                Assignment.due_date.in_(deadlines(planned)),
                Organization.timezone.in_(windows.zones),
            )
            .order_by(Assignment.id)
        ).all()
        found: list[tuple[Any, Window, str, date]] = []
        for row in rows:
            for window in windows.of(row.path, row.timezone):
                found += [
                    (row, window, kind, n) for kind, n in planned[window].get(row.due_date, ())
                ]
        return self._with_people(session, found)

    def _with_people(
        self, session: Session, found: list[tuple[Any, Window, str, date]]
    ) -> list[Due]:
        """The reminders with their recipients, read in two queries whatever their number."""
        escalating = [row for row, _window, kind, _n in found if kind == "escalation"]
        heads = directors_of(
            session,
            {r.organization_id for r, *_ in found if not r.assignee_id}
            | {r.organization_id for r in escalating if r.assignee_id},
        )
        people = users(
            session, {r.assignee_id for r, *_ in found} | {r.controller_id for r in escalating}
        )
        return [
            Due(self, row, kind, nominal, _recipients(row, kind, people, heads), window)
            for row, window, kind, nominal in found
        ]

    def load(self, session: Session, dues: list[Due]) -> None:
        ids = sorted({due.subject.id for due in dues})
        loaded: dict[int, Assignment] = {}
        for start in range(0, len(ids), 1000):
            loaded.update(
                (a.id, a)
                for a in session.scalars(
                    sa.select(Assignment)
                    .where(Assignment.id.in_(ids[start : start + 1000]))
                    # Many rows share a few decisions, meetings and schools: joined, not
                    # loaded in chunks of 500 keys each.
                    .options(
                        joinedload(Assignment.decision).joinedload(Decision.meeting),
                        joinedload(Assignment.organization),
                        joinedload(Assignment.assignee),
                    )
                )
            )
        for due in dues:
            due.subject = loaded[due.subject.id]

    def key(self, due: Due, recipient: User | str) -> str:
        who = f"user:{recipient.id}" if isinstance(recipient, User) else f"email:{recipient}"
        return f"assignment:{due.subject.id}:{due.kind}:{due.nominal.isoformat()}:{who}"

    def rows(self, letters: list[tuple[str, Due, User | str]]) -> list[dict[str, Any]]:
        """The letters of one decision, kind, deadline and day differ only in the school, the
        people and the link: each such group is rendered once, with blanks, then filled in."""
        rendered: dict[tuple, Blanked] = {}
        rows = []
        for key, due, recipient in letters:
            a = due.subject
            user = recipient if isinstance(recipient, User) else None
            group = (a.decision_id, due.kind, a.due_date, due.counted_from, due.late)
            group += (user is None, a.assignee is None)
            if group not in rendered:
                rendered[group] = with_blanks(_letter(due, user is not None))
            subject, text, html = fill(
                rendered[group],
                {
                    "recipient": user.full_name if user else "",
                    "school": a.organization.short_name,
                    "assignee": a.assignee.full_name if a.assignee else "",
                    "deadline": deadline_in_force(a),
                    "link": external_url("assignments.detail", assignment_id=a.id),
                },
            )
            rows.append(
                {
                    "key": key,
                    "kind": "escalation"
                    if due.kind == "escalation"
                    else f"reminder.{self.counted_as(due)}",
                    "recipient_id": user.id if user else None,
                    "recipient_email": user.email if user else recipient,
                    "assignment_id": a.id,
                    "occurrence": due.occurrence,
                    "due_date": a.due_date,
                    "subject": subject,
                    "body_text": text,
                    "body_html": html,
                    "send_after": due.window.send_after,
                }
            )
        return rows

    def counted_as(self, due: Due) -> str:
        return due.kind.split("-")[0]

    def preview(self, due: Due) -> tuple[str, str]:
        a = due.subject
        what = f"{a.organization.short_name}: п. {a.decision.number or '—'}"
        return what, external_url("assignments.detail", assignment_id=a.id)


def _letter(due: Due, to_user: bool) -> tuple[str, str, str]:
    """A reminder (or escalation) with blanks for what differs between the schools and people
    of one decision (`notify.services.fill`)."""
    a = due.subject
    assignee = SimpleNamespace(full_name=blank("assignee")) if a.assignee else None
    return render_mail(
        "escalation" if due.kind == "escalation" else "reminder",
        recipient=SimpleNamespace(full_name=blank("recipient")) if to_user else None,
        assignment=SimpleNamespace(
            assignee=assignee, organization=SimpleNamespace(short_name=blank("school"))
        ),
        deadline_in_force=lambda _assignment: blank("deadline"),
        decision=a.decision,
        meeting=a.decision.meeting,
        kind=due.kind,
        days_left=(a.due_date - due.counted_from).days,
        late_since=due.late.missed if due.late else None,
        link=blank("link"),
        settings_link=external_url("notify.settings"),
    )


def _recipients(
    row: Any, kind: str, people: dict[int, User], heads: dict[int, list[User]]
) -> list[User | str]:
    """The executor (the person named, or the school's directors, or its address), or for the
    escalation the controller and the directors."""
    if kind == "escalation":
        return escalation_to(row, people, heads)
    if row.assignee_id is not None:
        return [people[row.assignee_id]]
    return list(heads.get(row.organization_id, [])) or [e for e in [row.email] if e]


def escalation_to(
    row: Any, people: dict[int, User], heads: dict[int, list[User]]
) -> list[User | str]:
    """The controller, and the director when the assignee is one of the school's staff."""
    found: list[User | str] = []
    if row.controller_id is not None:
        found.append(people[row.controller_id])
    if row.assignee_id is not None:
        found.extend(d for d in heads.get(row.organization_id, []) if d.id != row.assignee_id)
    return found


@dataclass
class Line:
    """A digest's line that is no reminder: a report waiting for the controller."""

    subject: Assignment
    kind: str


@dataclass
class DigestGroup:
    """One decision's lines in a digest: «п. 2 — 15 школ, из них 3 просрочили»."""

    decision: Decision
    items: list[Due | Line]

    @property
    def overdue(self) -> int:
        return sum(1 for d in self.items if d.kind.startswith("overdue") or d.kind == "escalation")

    @property
    def schools(self) -> int:
        return len({d.subject.organization_id for d in self.items})

    @property
    def link(self) -> str:
        if len(self.items) == 1 or self.decision.meeting_id is None:
            return external_url("assignments.detail", assignment_id=self.items[0].subject.id)
        return external_url("meetings.detail", meeting_id=self.decision.meeting_id)


def by_decision(items: list[Due] | list[Line]) -> list[DigestGroup]:
    """A digest's lines grouped by decision, in the order of their first line."""
    groups: dict[int, DigestGroup] = {}
    for due in items:
        decision = due.subject.decision
        groups.setdefault(decision.id, DigestGroup(decision, [])).items.append(due)
    return list(groups.values())


class AssignmentDigest(DigestSection):
    def waiting(self, session: Session) -> dict[int, list[Any]]:
        """Reports waiting for each controller's review."""
        found: dict[int, list[Any]] = {}
        for assignment in session.scalars(
            sa.select(Assignment)
            .join(Decision)
            .where(
                Assignment.status == AssignmentStatus.REPORTED,
                Decision.controller_id.is_not(None),
            )
            .options(selectinload(Assignment.decision))
        ):
            found.setdefault(assignment.decision.controller_id, []).append(assignment)
        return found

    def context(self, due: list[Due], waiting: list[Any]) -> dict[str, Any]:
        due = sorted(due, key=lambda d: (d.subject.due_date, d.subject.id))
        return {
            "due": due,
            "groups": by_decision(due),
            "waiting": by_decision([Line(a, "reported") for a in waiting]),
            "link_for": lambda a: external_url("assignments.detail", assignment_id=a.id),
        }


def _reminder_stale(row: OutboxMessage) -> str | None:
    assignment = row.assignment
    if assignment is None:
        return "поручение удалено"
    if assignment.status not in OPEN_STATES:
        return f"поручение в состоянии {assignment.status}"
    if row.due_date is not None and assignment.due_date != row.due_date:
        return "срок поручения изменён"
    return None


REMINDERS = AssignmentReminders()
register_source(REMINDERS)
register_digest(AssignmentDigest())
for _kind in ("reminder.due", "reminder.overdue", "escalation"):
    register_kind(_kind, replyable=_kind != "escalation", stale=_reminder_stale)
# The events' kinds (`notifications.py`); a letter to the executor can be answered with a report.
for _event in ("created", "returned", "extension_granted", "extension_refused"):
    register_kind(f"assignment.{_event}", replyable=True)
for _event in ("reported", "extension_requested", "accepted", "delegated"):
    register_kind(f"assignment.{_event}")
