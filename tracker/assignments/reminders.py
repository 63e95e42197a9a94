"""The sweep's reminders of assignments (registered with notify): the executor's reminders
before the deadline, on the day and while overdue, the escalation to the controller, the
staff digest's lines grouped by decision, and the kinds of letters about assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.assignments.models import OPEN_STATES, Assignment, AssignmentStatus
from tracker.core.tenancy import Organization, User
from tracker.core.urls import external_url
from tracker.meetings.models import Decision
from tracker.notify.models import OutboxMessage, ReminderPolicy
from tracker.notify.reminders import due_dates, reminder_kind, urgency
from tracker.notify.services import render_mail
from tracker.notify.sources import (
    DigestSection,
    Due,
    ReminderSource,
    directors,
    register_digest,
    register_kind,
    register_source,
)


class AssignmentReminders(ReminderSource):
    name = "assignment"
    in_digest = True

    def due(
        self,
        session: Session,
        department: Organization,
        tz: str,
        policy: ReminderPolicy,
        nominal_days: list[date],
    ) -> list[Due]:
        query = (
            sa.select(Assignment)
            .join(Organization, Organization.id == Assignment.organization_id)
            .where(
                Organization.timezone == tz,
                Organization.path.like(department.path + "%"),
                Assignment.status.in_(OPEN_STATES),
                Assignment.due_date.in_(due_dates(policy, nominal_days)),
            )
            .options(
                selectinload(Assignment.decision).selectinload(Decision.controller),
                selectinload(Assignment.assignee).selectinload(User.memberships),
            )
        )
        candidates = list(session.scalars(query))
        heads = directors(session, {a.organization_id for a in candidates if not a.assignee_id})
        emails = dict(
            session.execute(
                sa.select(Organization.id, Organization.email).where(
                    Organization.id.in_({a.organization_id for a in candidates})
                )
            ).all()
        )
        found: list[Due] = []
        for assignment in candidates:
            options = [
                (kind, n)
                for n in nominal_days
                if (kind := reminder_kind(policy, assignment.due_date, n)) is not None
            ]
            if options:
                kind, n = max(options, key=lambda option: urgency(option[0]))
                if assignment.assignee is not None:
                    recipients: list[User | str] = [assignment.assignee]
                else:
                    recipients = list(heads.get(assignment.organization_id, [])) or [
                        e for e in [emails.get(assignment.organization_id)] if e
                    ]
                found.append(Due(self, assignment, kind, n, recipients))
            for n in nominal_days:
                if (n - assignment.due_date).days == policy.escalate_after_days:
                    people = escalation_to(assignment, heads)
                    found.append(Due(self, assignment, "escalation", n, people))
        return found

    def key(self, due: Due, recipient: User | str) -> str:
        who = f"user:{recipient.id}" if isinstance(recipient, User) else f"email:{recipient}"
        return f"assignment:{due.subject.id}:{due.kind}:{due.nominal.isoformat()}:{who}"

    def row(self, key: str, due: Due, recipient: User | str, send_after: datetime) -> dict:
        a = due.subject
        subject, text, html = render_mail(
            "escalation" if due.kind == "escalation" else "reminder",
            recipient=recipient if isinstance(recipient, User) else None,
            assignment=a,
            decision=a.decision,
            meeting=a.decision.meeting,
            kind=due.kind,
            days_left=(a.due_date - due.counted_from).days,
            late_since=due.late.missed if due.late else None,
            link=external_url("assignments.detail", assignment_id=a.id),
            settings_link=external_url("notify.settings"),
        )
        return {
            "key": key,
            "kind": "escalation"
            if due.kind == "escalation"
            else f"reminder.{self.counted_as(due)}",
            "recipient_id": recipient.id if isinstance(recipient, User) else None,
            "recipient_email": recipient.email if isinstance(recipient, User) else recipient,
            "assignment_id": a.id,
            "occurrence": due.occurrence,
            "due_date": a.due_date,
            "subject": subject,
            "body_text": text,
            "body_html": html,
            "send_after": send_after,
        }

    def counted_as(self, due: Due) -> str:
        return due.kind.split("-")[0]

    def preview(self, due: Due) -> tuple[str, str]:
        a = due.subject
        what = f"{a.organization.short_name}: п. {a.decision.number or '—'}"
        return what, external_url("assignments.detail", assignment_id=a.id)


def escalation_to(assignment: Assignment, heads: dict[int, list[User]]) -> list[User | str]:
    """The controller, and the director when the assignee is one of the school's staff."""
    people: list[User | str] = []
    if assignment.decision.controller is not None:
        people.append(assignment.decision.controller)
    if assignment.assignee is not None:
        people.extend(
            d for d in heads.get(assignment.organization_id, []) if d.id != assignment.assignee_id
        )
    return people


@dataclass
class DigestGroup:
    """One decision's lines in a digest: «п. 2 — 15 школ, из них 3 просрочили»."""

    decision: Decision
    items: list[Due]

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


def by_decision(items: list[Due]) -> list[DigestGroup]:
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

    def context(self, due: list[Due], waiting: list[Any], day: date) -> dict[str, Any]:
        due = sorted(due, key=lambda d: (d.subject.due_date, d.subject.id))
        return {
            "due": due,
            "groups": by_decision(due),
            "waiting": by_decision([Due(REMINDERS, a, "reported", day, []) for a in waiting]),
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
