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
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from tracker.core import clock
from tracker.core.tenancy import Membership, Organization, User
from tracker.core.urls import external_url
from tracker.notify.calendar import WorkCalendar
from tracker.notify.models import (
    Notification,
    OutboxMessage,
    OutboxState,
    ReminderPolicy,
    ReminderSweep,
)
from tracker.notify.services import render_mail
from tracker.notify.sources import DIGEST, SOURCES, Due, Late

STAFF_ROLES = ("admin", "staff")


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


def due_dates(
    policy: ReminderPolicy, nominal_days: list[date], *, overdue_repeats: bool = True
) -> list[date]:
    """The deadlines that call for a reminder (or the escalation) on these nominal dates: a few
    days, read from an index on the deadline, whatever the number of rows. Without
    `overdue_repeats`, the first overdue day only."""
    wanted: set[date] = set()
    for n in nominal_days:
        wanted.update(n + timedelta(days=k) for k in policy.days_before)
        if policy.on_the_day:
            wanted.add(n)
        wanted.add(n - timedelta(days=1))
        if overdue_repeats:
            wanted.update(
                n - timedelta(days=late)
                for late in range(1, policy.escalate_after_days + 1)
                if (late - 1) % policy.overdue_every_days == 0 or late == policy.escalate_after_days
            )
    return sorted(wanted)


def notify_mode(user: User) -> str:
    if user.notify_mode:
        return user.notify_mode
    return "digest" if any(m.role in STAFF_ROLES for m in user.memberships) else "each"


@dataclass
class SweepResult:
    queued: int = 0
    digests: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


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
    # Per source, in the order they were registered: the rows are written in that order.
    pending: dict[str, list[tuple[str, Due, User | str, datetime]]] = {n: [] for n in SOURCES}
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
            dues = _due_here(session, department, tz, policy, nominal_days)
            dues += catch_up(session, calendar, department, tz, policy, local)
            for due in latest_only(dues):
                for recipient in due.recipients:
                    if (
                        due.source.in_digest
                        and isinstance(recipient, User)
                        and notify_mode(recipient) == "digest"
                    ):
                        digest_items[recipient.id].append(due)
                        digest_day[recipient.id] = local.date()
                        continue
                    key = due.source.key(due, recipient)
                    pending[due.source.name].append((key, due, recipient, send_after))
    letters = [letter for name in pending for letter in pending[name]]
    # Render only what is new: a second sweep of the same day costs one lookup per letter.
    existing = _existing_keys(session, [key for key, *_ in letters])
    rows = []
    for key, due, recipient, send_after in letters:
        if key not in existing:
            rows.append(due.source.row(key, due, recipient, send_after))
            result.by_kind[due.source.counted_as(due)] += 1
    result.queued += _insert(session, rows)
    result.digests = _queue_digests(session, calendar, digest_items, digest_day, at)
    return result


def _due_here(
    session: Session,
    department: Organization,
    tz: str,
    policy: ReminderPolicy,
    nominal_days: list[date],
) -> list[Due]:
    """What every registered source finds under the department, in zone `tz`."""
    return [
        due
        for source in SOURCES.values()
        for due in source.due(session, department, tz, policy, nominal_days)
    ]


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
) -> list[Due]:
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
    dues: list[Due] = []
    for day in missed:
        late = Late(missed=day, today=today)
        for due in _due_here(session, department, tz, policy, calendar.shifted_here(day)):
            due.late = late
            dues.append(due)
    _record_sweeps(session, department.id, tz, [(today, False)] + [(d, True) for d in missed])
    return dues


def latest_only(dues: list[Due]) -> list[Due]:
    """One reminder per row reminded of and kind of letter: a later one replaces the reminders
    of missed days before it."""
    best: dict[tuple[str, int, bool], Due] = {}
    for due in dues:
        group = _group(due)
        if group not in best or due.nominal > best[group].nominal:
            best[group] = due
    return [due for due in dues if best[_group(due)] is due]


def _group(due: Due) -> tuple[str, int, bool]:
    return due.source.name, due.subject.id, due.kind == "escalation"


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
    section = DIGEST.section
    waiting = section.waiting(session) if section else {}
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
        due = items.get(user_id, [])
        waits = waiting.get(user_id, []) if notify_mode(user) == "digest" else []
        lines = section.context(due, waits, day) if section else {"due": due}
        subject, text, html = render_mail(
            "digest",
            recipient=user,
            day=day,
            events=events.get(user_id, []),
            settings_link=external_url("notify.settings"),
            **lines,
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
    wanted: list[tuple[str, Due, User | str]] = []
    for tz in zones:
        for due in _due_here(session, department, tz, policy, nominal_days):
            wanted.extend((due.source.key(due, r), due, r) for r in due.recipients)
    written = _existing_keys(session, [key for key, *_ in wanted])
    lines = []
    for key, due, recipient in wanted:
        user = recipient if isinstance(recipient, User) else None
        what, link = due.source.preview(due)
        lines.append(
            PreviewLine(
                recipient=user.full_name if user else "",
                email=user.email if user else str(recipient),
                subject=what,
                link=link,
                why=due.source.explain(why(due.kind, policy)),
                in_digest=bool(user and due.kind != "escalation" and notify_mode(user) == "digest"),
                written=key in written,
            )
        )
    return sorted(lines, key=lambda line: (line.email, line.subject))


def why(kind: str, policy: ReminderPolicy) -> str:
    """The rule of the policy that calls for a reminder of this kind, in words."""
    from tracker.core.i18n import _, ngettext_ru

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
    return text
