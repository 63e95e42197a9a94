"""The sweep: which reminders are due at a moment, written as outbox rows with unique keys.

For each department's policy and each time zone under it, the local date D counts once the
local hour reaches the policy's sending hour. Reminders fall on nominal dates (7, 3 and 1 days
before the deadline, the day itself, the first overdue day and every N days after, and the
escalation after M overdue days); a nominal date that is not a working day moves to the next
working day. Once an assignment is overdue by the escalation's days (30 unless the policy says
otherwise), its executor gets no more reminders: the controller gets one escalation instead.
An assignment gets at most one reminder a day (the one nearest the deadline), and
the key `assignment:<id>:<kind>:<nominal date>:user:<id>` makes a second sweep, a second
scheduler or a catch-up after downtime unable to write it twice."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.functions import FunctionElement

from tracker.assignments.models import OPEN_STATES, Assignment
from tracker.core import clock
from tracker.core.tenancy import Membership, Organization, User
from tracker.core.urls import external_url
from tracker.meetings.models import Decision
from tracker.notify.calendar import WorkCalendar
from tracker.notify.models import (
    Notification,
    OutboxMessage,
    OutboxState,
    ReminderPolicy,
    ReminderSweep,
)
from tracker.notify.services import render_mail
from tracker.roadmaps.models import RoadMap, RoadMapAction

STAFF_ROLES = ("admin", "staff")


class days_between(FunctionElement):
    """Whole days from the second date to the first, on SQLite and PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def policy_for(policies: dict[int, ReminderPolicy], department_id: int) -> ReminderPolicy:
    return policies.get(department_id) or ReminderPolicy(
        organization_id=department_id,
        days_before=[7, 3, 1],
        on_the_day=True,
        overdue_every_days=3,
        escalate_after_days=30,
        send_hour=9,
    )


def reminder_kind(policy: ReminderPolicy, due: date, nominal: date) -> str | None:
    """The reminder a deadline `due` calls for on the nominal date, or None."""
    days = (due - nominal).days
    if days > 0:
        return f"due-minus-{days}" if days in policy.days_before else None
    if days == 0:
        return "due-day" if policy.on_the_day else None
    late = -days
    if late >= policy.escalate_after_days:
        return None  # the controller has been told (escalation); the executor is left alone
    if late == 1 or (late - 1) % policy.overdue_every_days == 0:
        return f"overdue-{late}"
    return None


def urgency(kind: str) -> int:
    """Which of several reminders on one day wins: the one nearest the deadline, or the latest."""
    if kind.startswith("overdue-"):
        return 1000 + int(kind.removeprefix("overdue-"))
    if kind == "due-day":
        return 500
    return 500 - int(kind.removeprefix("due-minus-"))


def notify_mode(user: User) -> str:
    if user.notify_mode:
        return user.notify_mode
    return "digest" if any(m.role in STAFF_ROLES for m in user.memberships) else "each"


@dataclass
class SweepResult:
    queued: int = 0
    digests: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Due:
    assignment: Assignment
    kind: str
    nominal: date
    recipients: list[User | str]
    late: Late | None = None


@dataclass(frozen=True)
class Late:
    """A reminder of a missed sweep day, written at a later sweep (see `catch_up`)."""

    missed: date  # the working day its sweep did not run
    today: date  # the day it is written and sent instead


def sweep(session: Session, at: datetime | None = None) -> SweepResult:
    """Write the outbox rows due at `at` (default: now). Safe to run any number of times."""
    at = at or clock.now()
    calendar = WorkCalendar.load(session)
    policies = {p.organization_id: p for p in session.scalars(sa.select(ReminderPolicy))}
    departments = session.scalars(
        sa.select(Organization).where(Organization.kind == "department")
    ).all()
    zones = list(session.scalars(sa.select(Organization.timezone).distinct()))
    result = SweepResult()
    digest_items: dict[int, list[Due]] = defaultdict(list)
    digest_day: dict[int, date] = {}
    pending: list[tuple[str, Due, User | str, datetime]] = []
    pending_actions: list[tuple[str, ActionDue, User, datetime]] = []
    for department in departments:
        policy = policy_for(policies, department.id)
        for tz in zones:
            local = at.astimezone(ZoneInfo(tz))
            if local.hour < policy.send_hour:
                continue
            nominal_days = calendar.shifted_here(local.date())
            if not nominal_days:
                continue
            send_after = datetime.combine(
                local.date(), datetime.min.time().replace(hour=policy.send_hour), ZoneInfo(tz)
            )
            action_dues = _actions_due_here(session, department, tz, policy, nominal_days)
            dues = _due_here(session, department, tz, policy, nominal_days)
            late_actions, late_dues = catch_up(session, calendar, department, tz, policy, local)
            for action_due in latest_only(action_dues + late_actions):
                for recipient in action_due.recipients:
                    key = _action_key(action_due, recipient)
                    pending_actions.append((key, action_due, recipient, send_after))
            for due in latest_only(dues + late_dues):
                for recipient in due.recipients:
                    if isinstance(recipient, User) and notify_mode(recipient) == "digest":
                        digest_items[recipient.id].append(due)
                        digest_day[recipient.id] = local.date()
                        continue
                    pending.append((_reminder_key(due, recipient), due, recipient, send_after))
    # Render only what is new: a second sweep of the same day costs one lookup per letter.
    existing = _existing_keys(session, [key for key, *_ in pending + pending_actions])
    rows = []
    for key, due, recipient, send_after in pending:
        if key not in existing:
            rows.append(_reminder_row(key, due, recipient, send_after))
            result.by_kind[due.kind.split("-")[0]] += 1
    for key, action_due, recipient, send_after in pending_actions:
        if key not in existing:
            rows.append(_action_row(key, action_due, recipient, send_after))
            result.by_kind["roadmap"] += 1
    result.queued += _insert(session, rows)
    result.digests = _queue_digests(session, calendar, digest_items, digest_day, at)
    return result


# How far back a sweep looks for days it missed (the scheduler was down longer: older days
# are left alone, the board shows what is overdue).
CATCH_UP_DAYS = 31


def catch_up(
    session: Session,
    calendar: WorkCalendar,
    department: Organization,
    tz: str,
    policy: ReminderPolicy,
    local: datetime,
) -> tuple[list[ActionDue], list[Due]]:
    """The reminders of the working days since the last sweep of this department and zone
    that no sweep covered (the scheduler was down), marked late; records today's sweep and the
    days caught up in `reminder_sweeps`. The first sweep ever catches nothing up."""
    today = local.date()
    swept = ReminderSweep.__table__.c
    here = sa.and_(swept.organization_id == department.id, swept.timezone == tz)
    last = session.scalar(sa.select(sa.func.max(swept.day)).where(here, swept.day < today))
    missed: list[date] = []
    if last is not None:
        day = max(last, today - timedelta(days=CATCH_UP_DAYS)) + timedelta(days=1)
        while day < today:
            if calendar.is_working(day):
                missed.append(day)
            day += timedelta(days=1)
    actions: list[ActionDue] = []
    dues: list[Due] = []
    for day in missed:
        late = Late(missed=day, today=today)
        nominal_days = calendar.shifted_here(day)
        for action_due in _actions_due_here(session, department, tz, policy, nominal_days):
            action_due.late = late
            actions.append(action_due)
        for due in _due_here(session, department, tz, policy, nominal_days):
            due.late = late
            dues.append(due)
    _record_sweeps(session, department.id, tz, [(today, False)] + [(d, True) for d in missed])
    return actions, dues


DueT = TypeVar("DueT", "Due", "ActionDue")


def latest_only(dues: list[DueT]) -> list[DueT]:
    """One reminder per assignment (or action) and kind of letter: a later one replaces the
    reminders of missed days before it."""
    best: dict[tuple[int, bool], DueT] = {}
    for due in dues:
        group = _group(due)
        if group not in best or due.nominal > best[group].nominal:
            best[group] = due
    return [due for due in dues if best[_group(due)] is due]


def _group(due: Due | ActionDue) -> tuple[int, bool]:
    subject = due.assignment.id if isinstance(due, Due) else due.action.id
    return subject, due.kind == "escalation"


def _record_sweeps(
    session: Session, department_id: int, tz: str, days: list[tuple[date, bool]]
) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = clock.now()
    session.execute(
        insert(ReminderSweep.__table__).on_conflict_do_nothing(
            index_elements=["organization_id", "timezone", "day"]
        ),
        [
            {"organization_id": department_id, "timezone": tz, "day": d, "late": late}
            | {"swept_at": now}
            for d, late in days
        ],
    )


def _due_here(
    session: Session,
    department: Organization,
    tz: str,
    policy: ReminderPolicy,
    nominal_days: list[date],
) -> list[Due]:
    """Assignments under the department, in zone `tz`, with a reminder on these nominal dates."""
    wanted_dues: set[date] = set()
    overdue_conditions = []
    for n in nominal_days:
        wanted_dues.update(n + timedelta(days=k) for k in policy.days_before)
        if policy.on_the_day:
            wanted_dues.add(n)
        wanted_dues.add(n - timedelta(days=1))
        wanted_dues.add(n - timedelta(days=policy.escalate_after_days))
        overdue_conditions.append(
            sa.and_(
                Assignment.due_date < n - timedelta(days=1),
                Assignment.due_date > n - timedelta(days=policy.escalate_after_days),
                (days_between(sa.literal(n, sa.Date), Assignment.due_date) - 1)
                % policy.overdue_every_days
                == 0,
            )
        )
    query = (
        sa.select(Assignment)
        .join(Organization, Organization.id == Assignment.organization_id)
        .where(
            Organization.timezone == tz,
            Organization.path.like(department.path + "%"),
            Assignment.status.in_(OPEN_STATES),
            Assignment.due_date.is_not(None),
            sa.or_(Assignment.due_date.in_(sorted(wanted_dues)), *overdue_conditions),
        )
        .options(
            selectinload(Assignment.decision).selectinload(Decision.controller),
            selectinload(Assignment.assignee).selectinload(User.memberships),
        )
    )
    candidates = list(session.scalars(query))
    directors = _directors(session, {a.organization_id for a in candidates if not a.assignee_id})
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
                recipients = list(directors.get(assignment.organization_id, [])) or [
                    e for e in [emails.get(assignment.organization_id)] if e
                ]
            found.append(Due(assignment, kind, n, recipients))
        for n in nominal_days:
            if (n - assignment.due_date).days == policy.escalate_after_days:
                found.append(
                    Due(assignment, "escalation", n, _escalation_to(assignment, directors))
                )
    return found


@dataclass
class ActionDue:
    action: RoadMapAction
    kind: str
    nominal: date
    recipients: list[User]
    late: Late | None = None


def _actions_due_here(
    session: Session,
    department: Organization,
    tz: str,
    policy: ReminderPolicy,
    nominal_days: list[date],
) -> list[ActionDue]:
    """Open actions of approved road maps under the department, in zone `tz`, that are due soon,
    today, or became overdue yesterday (once: the department's board shows the rest)."""
    wanted: set[date] = set()
    for n in nominal_days:
        wanted.update(n + timedelta(days=k) for k in policy.days_before)
        if policy.on_the_day:
            wanted.add(n)
        wanted.add(n - timedelta(days=1))
    actions = list(
        session.scalars(
            sa.select(RoadMapAction)
            .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
            .join(Organization, Organization.id == RoadMap.organization_id)
            .where(
                Organization.timezone == tz,
                Organization.path.like(department.path + "%"),
                RoadMap.approved_at.is_not(None),
                RoadMapAction.status.in_(("planned", "in_progress")),
                RoadMapAction.due_date.in_(sorted(wanted)),
            )
            .options(
                selectinload(RoadMapAction.road_map).selectinload(RoadMap.organization),
                selectinload(RoadMapAction.responsible_user),
            )
        )
    )
    directors = _directors(
        session, {a.road_map.organization_id for a in actions if a.responsible_user is None}
    )
    found = []
    for action in actions:
        options = [
            (kind, n)
            for n in nominal_days
            if (kind := reminder_kind(policy, action.due_date, n)) is not None
            and (kind == "overdue-1" or not kind.startswith("overdue-"))
        ]
        if not options:
            continue
        kind, n = max(options, key=lambda option: urgency(option[0]))
        people = (
            [action.responsible_user]
            if action.responsible_user is not None and action.responsible_user.active
            else directors.get(action.road_map.organization_id, [])
        )
        if people:
            found.append(ActionDue(action, kind, n, list(people)))
    return found


def _action_key(due: ActionDue, recipient: User) -> str:
    return (
        f"roadmap-action:{due.action.id}:{due.kind}:{due.nominal.isoformat()}:user:{recipient.id}"
    )


def _action_row(key: str, due: ActionDue, recipient: User, send_after: datetime) -> dict[str, Any]:
    action = due.action
    subject, text, html = render_mail(
        "roadmap_reminder",
        recipient=recipient,
        action=action,
        road_map=action.road_map,
        days_left=(action.due_date - (due.late.today if due.late else due.nominal)).days,
        late_since=due.late.missed if due.late else None,
        link=external_url("roadmaps.mark", road_map_id=action.road_map_id, action_id=action.id),
        settings_link=external_url("notify.settings"),
    )
    return {
        "key": key,
        "kind": "roadmap.reminder",
        "recipient_id": recipient.id,
        "recipient_email": recipient.email,
        "road_map_id": action.road_map_id,
        "road_map_action_id": action.id,
        "occurrence": _occurrence(due),
        "due_date": action.due_date,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "send_after": send_after,
    }


def _directors(session: Session, organization_ids: set[int]) -> dict[int, list[User]]:
    if not organization_ids:
        return {}
    rows = session.execute(
        sa.select(Membership.organization_id, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id.in_(organization_ids),
            Membership.role == "director",
            User.active.is_(True),
        )
        .options(selectinload(User.memberships))
    ).all()
    result: dict[int, list[User]] = defaultdict(list)
    for org_id, user in rows:
        result[org_id].append(user)
    return result


def _escalation_to(assignment: Assignment, directors: dict[int, list[User]]) -> list[User | str]:
    """The controller, and the director when the assignee is one of the school's staff."""
    people: list[User | str] = []
    if assignment.decision.controller is not None:
        people.append(assignment.decision.controller)
    if assignment.assignee is not None:
        people.extend(
            d
            for d in directors.get(assignment.organization_id, [])
            if d.id != assignment.assignee_id
        )
    return people


def _reminder_key(due: Due, recipient: User | str) -> str:
    who = f"user:{recipient.id}" if isinstance(recipient, User) else f"email:{recipient}"
    return f"assignment:{due.assignment.id}:{due.kind}:{due.nominal.isoformat()}:{who}"


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        # A join with the array, not `key IN (thousands of bound parameters)`: PostgreSQL
        # compares such a list linearly per row, which after a large insert (before the table
        # is analyzed) turns a sub-second lookup into minutes.
        wanted = (
            sa.func.unnest(sa.cast(sa.literal(keys), ARRAY(sa.Text)))
            .table_valued("key")
            .render_derived(name="wanted")
        )
        return set(
            session.scalars(
                sa.select(OutboxMessage.key).join(wanted, wanted.c.key == OutboxMessage.key)
            )
        )
    found: set[str] = set()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        found.update(
            session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        )
    return found


def _reminder_row(
    key: str, due: Due, recipient: User | str, send_after: datetime
) -> dict[str, Any]:
    a = due.assignment
    email = recipient.email if isinstance(recipient, User) else recipient
    template = "escalation" if due.kind == "escalation" else "reminder"
    subject, text, html = render_mail(
        template,
        recipient=recipient if isinstance(recipient, User) else None,
        assignment=a,
        decision=a.decision,
        meeting=a.decision.meeting,
        kind=due.kind,
        days_left=(a.due_date - (due.late.today if due.late else due.nominal)).days,
        late_since=due.late.missed if due.late else None,
        link=external_url("assignments.detail", assignment_id=a.id),
        settings_link=external_url("notify.settings"),
    )
    return {
        "key": key,
        "kind": f"reminder.{due.kind.split('-')[0]}" if due.kind != "escalation" else "escalation",
        "recipient_id": recipient.id if isinstance(recipient, User) else None,
        "recipient_email": email,
        "assignment_id": a.id,
        "occurrence": _occurrence(due),
        "due_date": a.due_date,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "send_after": send_after,
    }


def _occurrence(due: Due | ActionDue) -> str:
    """`kind:nominal date`, and `:late` for a letter of a missed day."""
    return f"{due.kind}:{due.nominal.isoformat()}" + (":late" if due.late else "")


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert rows whose key is new; a key that exists (another sweep wrote it) is skipped."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(OutboxMessage.__table__)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.__table__.c.id)
    )
    now = clock.now()
    rows = [{"state": OutboxState.PENDING, "attempts": 0, "created_at": now, **row} for row in rows]
    # One cached statement, executed in batches (SQLAlchemy's «insertmanyvalues»).
    ids = [row[0] for row in session.connection().execute(statement, rows)]
    session.info.setdefault("outbox_new", []).extend(ids)
    return len(ids)


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
        return len({d.assignment.organization_id for d in self.items})

    @property
    def link(self) -> str:
        if len(self.items) == 1 or self.decision.meeting_id is None:
            return external_url("assignments.detail", assignment_id=self.items[0].assignment.id)
        return external_url("meetings.detail", meeting_id=self.decision.meeting_id)


def by_decision(items: list[Due]) -> list[DigestGroup]:
    """A digest's lines grouped by decision, in the order of their first line."""
    groups: dict[int, DigestGroup] = {}
    for due in items:
        decision = due.assignment.decision
        groups.setdefault(decision.id, DigestGroup(decision, [])).items.append(due)
    return list(groups.values())


def _events_for_digest(session: Session, at: datetime) -> dict[int, list[Notification]]:
    """Unread events of the last day for people who take events in the digest."""
    found: dict[int, list[Notification]] = defaultdict(list)
    for notification in session.scalars(
        sa.select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(
            User.event_mail == "digest",
            Notification.read_at.is_(None),
            Notification.created_at > at - timedelta(days=1),
            Notification.created_at <= at,
        )
        .order_by(Notification.created_at)
    ):
        found[notification.user_id].append(notification)
    return found


def _queue_digests(
    session: Session,
    calendar: WorkCalendar,
    items: dict[int, list[Due]],
    days: dict[int, date],
    at: datetime,
) -> int:
    """One daily digest per user who chose it: what is due, overdue, and waiting for them."""
    waiting: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in session.scalars(
        sa.select(Assignment)
        .join(Decision)
        .where(Assignment.status == "reported", Decision.controller_id.is_not(None))
        .options(selectinload(Assignment.decision))
    ):
        waiting[assignment.decision.controller_id].append(assignment)
    events = _events_for_digest(session, at)
    users = {
        u.id: u
        for u in session.scalars(
            sa.select(User)
            .where(User.id.in_(set(items) | set(waiting) | set(events)), User.active.is_(True))
            .options(selectinload(User.memberships).selectinload(Membership.organization))
        )
    }
    rows = []
    for user_id, user in users.items():
        if notify_mode(user) != "digest" and user_id not in events:
            continue
        tz = user.memberships[0].organization.timezone if user.memberships else "Europe/Moscow"
        local = at.astimezone(ZoneInfo(tz))
        day = days.get(user_id, local.date())
        if user_id not in items and (local.hour < 9 or not calendar.is_working(day)):
            continue
        due = sorted(items.get(user_id, []), key=lambda d: (d.assignment.due_date, d.assignment.id))
        subject, text, html = render_mail(
            "digest",
            recipient=user,
            day=day,
            due=due,
            groups=by_decision(due),
            waiting=by_decision(
                [Due(a, "reported", day, []) for a in waiting.get(user_id, [])]
                if notify_mode(user) == "digest"
                else []
            ),
            events=events.get(user_id, []),
            link_for=lambda a: external_url("assignments.detail", assignment_id=a.id),
            settings_link=external_url("notify.settings"),
        )
        rows.append(
            {
                "key": f"digest:user:{user_id}:{day.isoformat()}",
                "kind": "digest",
                "recipient_id": user_id,
                "recipient_email": user.email,
                "occurrence": day.isoformat(),
                "subject": subject,
                "body_text": text,
                "body_html": html,
                "send_after": at,
            }
        )
    return _insert(session, rows)


@dataclass
class PreviewLine:
    """One letter the sweep of a day would write: to whom, about what, and why."""

    recipient: str
    email: str
    subject: str
    link: str
    why: str
    in_digest: bool
    written: bool


def preview(session: Session, department: Organization, day: date) -> list[PreviewLine]:
    """What the sweep of `day` writes for the department's assignments and road-map actions,
    computed by the sweep's own functions, writing nothing."""
    calendar = WorkCalendar.load(session)
    policy = policy_for(
        {p.organization_id: p for p in session.scalars(sa.select(ReminderPolicy))},
        department.id,
    )
    nominal_days = calendar.shifted_here(day)
    if not nominal_days:
        return []
    zones = session.scalars(
        sa.select(Organization.timezone)
        .where(Organization.path.like(department.path + "%"))
        .distinct()
    ).all()
    wanted: list[tuple[str, str, User | str, str, str]] = []
    for tz in zones:
        for due in _due_here(session, department, tz, policy, nominal_days):
            a = due.assignment
            what = f"{a.organization.short_name}: п. {a.decision.number or '—'}"
            link = external_url("assignments.detail", assignment_id=a.id)
            for recipient in due.recipients:
                wanted.append((_reminder_key(due, recipient), what, recipient, link, due.kind))
        for action_due in _actions_due_here(session, department, tz, policy, nominal_days):
            action = action_due.action
            what = f"{action.road_map.organization.short_name}: {action.text[:80]}"
            link = external_url("roadmaps.detail", road_map_id=action.road_map_id)
            for recipient in action_due.recipients:
                key = _action_key(action_due, recipient)
                wanted.append((key, what, recipient, link, f"roadmap:{action_due.kind}"))
    written = _existing_keys(session, [key for key, *_ in wanted])
    lines = []
    for key, what, recipient, link, kind in wanted:
        user = recipient if isinstance(recipient, User) else None
        lines.append(
            PreviewLine(
                recipient=user.full_name if user else "",
                email=user.email if user else str(recipient),
                subject=what,
                link=link,
                why=why(kind, policy),
                in_digest=bool(user and kind != "escalation" and notify_mode(user) == "digest"),
                written=key in written,
            )
        )
    return sorted(lines, key=lambda line: (line.email, line.subject))


def why(kind: str, policy: ReminderPolicy) -> str:
    """The rule of the policy that calls for a reminder of this kind, in words."""
    from tracker.core.i18n import _, ngettext_ru

    roadmap = kind.startswith("roadmap:")
    kind = kind.removeprefix("roadmap:")
    if kind == "escalation":
        text = _(
            "просрочено на %(days)s — одно письмо контролёру, исполнителю больше не напоминаем",
            days=ngettext_ru("%(num)s день", "%(num)s дней", policy.escalate_after_days),
        )
    elif kind == "due-day":
        text = _("сегодня срок")
    elif kind.startswith("due-minus-"):
        days = int(kind.removeprefix("due-minus-"))
        text = _("до срока %(days)s", days=ngettext_ru("%(num)s день", "%(num)s дней", days))
    else:
        days = int(kind.removeprefix("overdue-"))
        text = _(
            "просрочено на %(days)s (напоминаем каждые %(every)s)",
            days=ngettext_ru("%(num)s день", "%(num)s дней", days),
            every=ngettext_ru("%(num)s день", "%(num)s дней", policy.overdue_every_days),
        )
    return _("мероприятие дорожной карты: %(text)s", text=text) if roadmap else text
