"""E-mails about assignments: one function per event, one template pair each, queued in the
transaction of the change (a change that rolls back sends nothing)."""

from __future__ import annotations

from tracker.core.permissions import can
from tracker.core.tenancy import User
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.notify.events import executors, is_muted
from tracker.notify.services import queue_mail


def _send(assignment, event: str, ref: object, recipients: list[User], **context) -> None:
    if is_muted():
        return
    decision = assignment.decision
    # The letter quotes the assignment: only people who may see it on the page get it.
    readers = {
        u.id: u
        for u in recipients
        if u is not None
        and u.active
        and (u.id == assignment.assignee_id or can(u, "assignment.view", assignment.organization))
    }
    for user in readers.values():
        queue_mail(
            db.session,
            recipient=user,
            kind=f"assignment.{event}",
            key=f"assignment:{assignment.id}:{event}:{ref}:user:{user.id}",
            template=f"assignment_{event}",
            context={
                "assignment": assignment,
                "decision": decision,
                "meeting": decision.meeting,
                "link": external_url("assignments.detail", assignment_id=assignment.id),
                "settings_link": external_url("notify.settings"),
                **context,
            },
            assignment_id=assignment.id,
        )


def assignment_created(assignment) -> None:
    _send(assignment, "created", assignment.id, executors(db.session, assignment))


def report_submitted(assignment, report) -> None:
    controller = assignment.decision.controller
    if controller is not None:
        from tracker.notify.reminders import notify_mode

        if notify_mode(controller) == "each":
            _send(assignment, "reported", report.id, [controller], report=report)


def report_reviewed(assignment, report, accepted: bool) -> None:
    people = [report.author, *executors(db.session, assignment)]
    event = "accepted" if accepted else "returned"
    _send(assignment, event, report.id, people, report=report)


def extension_decided(assignment, request) -> None:
    people = [request.requested_by, *executors(db.session, assignment)]
    event = "extension_granted" if request.state == "granted" else "extension_refused"
    _send(assignment, event, request.id, people, request=request)
