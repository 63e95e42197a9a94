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

import gc
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
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
from tracker.notify.sources import DIGEST, SOURCES, Due, Late, Window, Windows

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
    policy: ReminderPolicy, nominal_days: list[date], *, escalates: bool = True
) -> list[date]:
    """The deadlines that call for a reminder (or the escalation) on these nominal dates: a few
    days, read from an index on the deadline, whatever the number of rows. Without
    `escalates` (road-map actions), the first overdue day only."""
    wanted: set[date] = set()
    for n in nominal_days:
        wanted.update(n + timedelta(days=k) for k in policy.days_before)
        if policy.on_the_day:
            wanted.add(n)
        wanted.add(n - timedelta(days=1))
        if escalates:
            wanted.update(
                n - timedelta(days=late)
                for late in range(1, policy.escalate_after_days + 1)
                if (late - 1) % policy.overdue_every_days == 0 or late == policy.escalate_after_days
            )
    return sorted(wanted)


Plan = dict[date, list[tuple[str, date]]]


def plan(window: Window, *, escalates: bool = True) -> Plan:
    """For each deadline that calls for letters in the window: the most urgent reminder (kind,
    nominal date) and the escalation's. A row's letters are then one lookup of its deadline.
    Without `escalates` (road-map actions): the first overdue day only, no escalation."""
    policy, nominal_days = window.policy, window.nominal_days
    found: Plan = {}
    for due in due_dates(policy, nominal_days, escalates=escalates):
        options = [
            (kind, n)
            for n in nominal_days
            if (kind := reminder_kind(policy, due, n)) is not None
            and (escalates or kind == "overdue-1" or not kind.startswith("overdue-"))
        ]
        letters = [max(options, key=lambda option: urgency(option[0]))] if options else []
        if escalates:
            late = policy.escalate_after_days
            letters += [("escalation", n) for n in nominal_days if (n - due).days == late]
        if letters:
            found[due] = letters
    return found


def plans(windows: Windows, *, escalates: bool = True) -> dict[Window, Plan]:
    return {window: plan(window, escalates=escalates) for window in windows.all}


def deadlines(plans: dict[Window, Plan]) -> list[date]:
    """Every deadline the plans remind of: the `IN` list of a source's query."""
    return sorted({due for found in plans.values() for due in found})


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
    with _without_cycle_collection():
        return _sweep(session, at or clock.now())


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A sweep keeps a few objects per row reminded of until it ends, and reference counting
    frees them; meanwhile Python's cycle collector would walk the whole process's heap again
    and again as they pile up (two thirds of a sweep that finds nothing new)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sweep(session: Session, at: datetime) -> SweepResult:
    calendar = WorkCalendar.load(session)
    windows = _windows(session, calendar, at)
    result = SweepResult()
    digest_items: dict[int, list[Due]] = defaultdict(list)
    digest_day: dict[int, date] = {}
    letters: list[tuple[str, Due, User | str]] = []
    for due in _found(session, windows):
        for recipient in due.recipients:
            if _in_digest(due, recipient):
                digest_items[recipient.id].append(due)
                digest_day[recipient.id] = due.window.today
                continue
            letters.append((due.source.key(due, recipient), due, recipient))
    # Render only what is new: a second sweep of the same day costs one lookup of the keys.
    existing = _existing_keys(session, [key for key, *_ in letters])
    new = [letter for letter in letters if letter[0] not in existing]
    _load(session, [due for _key, due, _recipient in new])
    rows = []
    for source in SOURCES.values():
        mine = [letter for letter in new if letter[1].source is source]
        rows += source.rows(mine)
        for _key, due, _recipient in mine:
            result.by_kind[source.counted_as(due)] += 1
    result.queued += _insert(session, rows)
    result.digests = _queue_digests(session, calendar, digest_items, digest_day, at)
    return result


def _in_digest(due: Due, recipient: User | str) -> bool:
    return (
        due.source.in_digest and isinstance(recipient, User) and notify_mode(recipient) == "digest"
    )


def _windows(session: Session, calendar: WorkCalendar, at: datetime) -> list[Window]:
    """Each department and zone whose sending hour has come on a working day, followed by
    the missed days it catches up."""
    policies = {p.organization_id: p for p in session.scalars(sa.select(ReminderPolicy))}
    departments = session.scalars(
        sa.select(Organization).where(Organization.kind == "department").order_by(Organization.id)
    ).all()
    zones = sorted(session.scalars(sa.select(Organization.timezone).distinct()))
    today: list[Window] = []
    for department in departments:
        policy = policy_for(policies, department.id)
        for tz in zones:
            local = at.astimezone(ZoneInfo(tz))
            nominal_days = calendar.shifted_here(local.date())
            if local.hour < policy.send_hour or not nominal_days:
                continue
            send_after = datetime.combine(
                local.date(), datetime.min.time().replace(hour=policy.send_hour), ZoneInfo(tz)
            )
            today.append(Window(department, tz, policy, nominal_days, local.date(), send_after))
    missed = catch_up(session, calendar, today)
    return [each for window in today for each in (window, *missed.get(window, []))]


def _found(session: Session, windows: list[Window]) -> list[Due]:
    """What the registered sources find in the windows, one query each: window by window,
    the latest reminder of each row and kind of letter."""
    if not windows:
        return []
    order = {window: i for i, window in enumerate(windows)}
    found: list[Due] = []
    for source in SOURCES.values():
        dues = source.due(session, Windows(windows))
        found += latest_only(sorted(dues, key=lambda due: order[due.window]))
    return found


def _load(session: Session, dues: list[Due]) -> None:
    for source in SOURCES.values():
        source.load(session, [due for due in dues if due.source is source])


# How far back a sweep looks for days it missed (the scheduler was down longer: older days
# are left alone, the board shows what is overdue).
CATCH_UP_DAYS = 31


def catch_up(
    session: Session, calendar: WorkCalendar, windows: list[Window]
) -> dict[Window, list[Window]]:
    """The windows of the working days since the last sweep of each department and zone that
    no sweep covered (the scheduler was down), marked late; records today's sweeps and the
    days caught up in `reminder_sweeps`. The first sweep ever catches nothing up."""
    if not windows:
        return {}
    swept = ReminderSweep.__table__.c
    today_here = sa.case(
        {w.tz: sa.literal(w.today, sa.Date) for w in windows}, value=swept.timezone
    )
    last = {
        (org_id, tz): day
        for org_id, tz, day in session.execute(
            sa.select(swept.organization_id, swept.timezone, sa.func.max(swept.day))
            .where(
                swept.organization_id.in_({w.department.id for w in windows}),
                swept.timezone.in_({w.tz for w in windows}),
                swept.day < today_here,
            )
            .group_by(swept.organization_id, swept.timezone)
        )
    }
    found: dict[Window, list[Window]] = {}
    records = []
    for window in windows:
        previous = last.get((window.department.id, window.tz))
        missed: list[date] = []
        if previous is not None:
            day = max(previous, window.today - timedelta(days=CATCH_UP_DAYS)) + timedelta(days=1)
            while day < window.today:
                if calendar.is_working(day):
                    missed.append(day)
                day += timedelta(days=1)
        found[window] = [
            replace(
                window,
                nominal_days=calendar.shifted_here(day),
                late=Late(missed=day, today=window.today),
            )
            for day in missed
        ]
        records += [(window, window.today, False)] + [(window, day, True) for day in missed]
    _record_sweeps(session, records)
    return found


def latest_only(dues: list[Due]) -> list[Due]:
    """One reminder per window's department and zone, row reminded of and kind of letter: a
    later one replaces the reminders of missed days before it."""
    best: dict[tuple, Due] = {}
    for due in dues:
        group = _group(due)
        if group not in best or due.nominal > best[group].nominal:
            best[group] = due
    return [due for due in dues if best[_group(due)] is due]


def _group(due: Due) -> tuple:
    place = (due.window.department.id, due.window.tz)
    return place, due.source.name, due.subject.id, due.kind == "escalation"


def _record_sweeps(session: Session, records: list[tuple[Window, date, bool]]) -> None:
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
            {"organization_id": w.department.id, "timezone": w.tz, "day": day, "late": late}
            | {"swept_at": now}
            for w, day, late in records
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
            sa.func.unnest(sa.bindparam("keys", keys, type_=ARRAY(sa.Text)))
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
    now = clock.now()
    rows = [{"state": OutboxState.PENDING, "attempts": 0, "created_at": now, **row} for row in rows]
    table = OutboxMessage.__table__
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        # One statement whatever the number of rows, its rows one JSON parameter (encoded in
        # C, not value by value): INSERT ... SELECT FROM json_to_recordset.
        columns = [c for c in table.columns if any(c.name in row for row in rows)]
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c.name) for c in columns)
        types = ", ".join(f"{quote(c.name)} {c.type.compile(dialect)}" for c in columns)
        statement = sa.text(
            f"INSERT INTO {quote(table.name)} ({names}) SELECT {names}"
            f" FROM json_to_recordset(CAST(:rows AS json)) AS r({types})"
            " ON CONFLICT (key) DO NOTHING RETURNING id"
        )
        document = json.dumps(
            [{c.name: row.get(c.name) for c in columns} for row in rows], default=_json_value
        )
        ids = list(session.scalars(statement, {"rows": document}))
    else:
        from sqlalchemy.dialects.sqlite import insert

        statement = insert(table).on_conflict_do_nothing(index_elements=["key"])
        # One cached statement, executed in batches (SQLAlchemy's «insertmanyvalues»).
        ids = [
            row[0] for row in session.connection().execute(statement.returning(table.c.id), rows)
        ]
    session.info.setdefault("outbox_new", []).extend(ids)
    return len(ids)


def _json_value(value: date) -> str:
    """Dates as ISO text; moments as UTC without the zone, as `UTCDateTime` stores them."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


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
    chosen: dict[int, date] = {}
    for user_id, user in users.items():
        if notify_mode(user) != "digest" and user_id not in events:
            continue
        tz = user.memberships[0].organization.timezone if user.memberships else "Europe/Moscow"
        local = at.astimezone(ZoneInfo(tz))
        day = days.get(user_id, local.date())
        if user_id not in items and (local.hour < 9 or not calendar.is_working(day)):
            continue
        chosen[user_id] = day
    keys = {user_id: f"digest:user:{user_id}:{day.isoformat()}" for user_id, day in chosen.items()}
    written = _existing_keys(session, list(keys.values()))
    chosen = {user_id: day for user_id, day in chosen.items() if keys[user_id] not in written}
    _load(session, [due for user_id in chosen for due in items.get(user_id, [])])
    rows = []
    for user_id, day in chosen.items():
        user = users[user_id]
        due = items.get(user_id, [])
        waits = waiting.get(user_id, []) if notify_mode(user) == "digest" else []
        lines = section.context(due, waits) if section else {"due": due}
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
                "key": keys[user_id],
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
    send_after = datetime.combine(day, datetime.min.time().replace(hour=policy.send_hour))
    windows = [Window(department, tz, policy, nominal_days, day, send_after) for tz in zones]
    dues = _found(session, windows)
    _load(session, dues)
    wanted = [(due.source.key(due, r), due, r) for due in dues for r in due.recipients]
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
